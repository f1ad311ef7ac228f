"use strict";
// The playground page: settings in, frames out. Training runs on the server (glassnet's engine);
// the page only asks for frames and draws them. Every value from the server or a file is inserted
// as text (textContent) or drawn on a canvas, never as HTML.
const $ = (id) => document.getElementById(id);
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const ACTIVATIONS = ["tanh", "relu", "sigmoid", "leaky_relu", "identity"];
const CLASS_COLOURS = [[47, 111, 222], [232, 131, 42], [22, 163, 74], [190, 60, 170], [120, 120, 120]];
let session = null;   // the server's id for this run
let frame = null;     // the last frame drawn
let data = null;      // the points, their labels and the training rows: sent with a session's first frame
let curve = [];       // the losses of every frame so far
let playing = false;
let selected = null;  // {layer, j} of the neuron shown in Inspect
let weight = null;    // {layer, i, j} of the weight being edited

// -- settings <-> the URL query ---------------------------------------------------------------
function layerRow(width, activation) {
  const row = document.createElement("div");
  row.className = "layer";
  const minus = document.createElement("button");
  minus.className = "secondary small"; minus.type = "button"; minus.textContent = "−";
  const input = document.createElement("input");
  input.type = "number"; input.min = "1"; input.max = "16"; input.value = String(width);
  const plus = document.createElement("button");
  plus.className = "secondary small"; plus.type = "button"; plus.textContent = "+";
  const select = document.createElement("select");
  for (const a of ACTIVATIONS) {
    const o = document.createElement("option");
    o.value = a; o.textContent = a; select.append(o);
  }
  select.value = activation;
  const remove = document.createElement("button");
  remove.className = "secondary small"; remove.type = "button"; remove.textContent = "×";
  remove.title = "remove this layer";
  minus.addEventListener("click", () => { input.value = String(Math.max(1, Number(input.value) - 1)); });
  plus.addEventListener("click", () => { input.value = String(Number(input.value) + 1); });
  remove.addEventListener("click", () => row.remove());
  row.append(minus, input, plus, select, remove);
  return row;
}

function buildFeatureBoxes() {
  for (const f of FEATURES) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.value = f; box.checked = f === "x1" || f === "x2";
    label.append(box, document.createTextNode(" " + f));
    $("features").append(label);
  }
}

function readSettings() {
  const q = new URLSearchParams();
  for (const id of ["data", "classes", "noise", "points", "train_fraction", "seed", "optimizer", "lr",
                    "batch_size", "l2", "l1"]) {
    q.set(id, $(id).value.trim());
  }
  q.set("features", [...$("features").querySelectorAll("input:checked")].map((b) => b.value).join(","));
  const rows = [...$("layers").children];
  q.set("layers", rows.map((r) => r.querySelector("input").value.trim()).join(","));
  q.set("activations", rows.map((r) => r.querySelector("select").value).join(","));
  return q.toString();
}

function showSettings(query) {
  const q = new URLSearchParams(query);
  for (const id of ["data", "classes", "noise", "points", "train_fraction", "seed", "optimizer", "lr",
                    "batch_size", "l2", "l1"]) {
    if (q.has(id)) $(id).value = q.get(id);
  }
  const features = (q.get("features") || "").split(",");
  for (const box of $("features").querySelectorAll("input")) box.checked = features.includes(box.value);
  const widths = (q.get("layers") || "").split(",").filter((w) => w);
  const acts = (q.get("activations") || "").split(",");
  $("layers").replaceChildren(...widths.map((w, i) => layerRow(w, acts[i] || "tanh")));
  $("csv-row").hidden = $("data").value !== "csv";
}

// -- talking to the server ----------------------------------------------------------------------
async function call(method, path, body) {
  const options = {method, headers: {}};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (e) {
    throw new Error("The server cannot be reached. Is glassnet serve still running?");
  }
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (!response.ok) throw new Error((data && data.error) || `The server answered ${response.status}.`);
  return data;
}

function showError(message) { $("error").textContent = message || ""; }

async function reset() {
  stop();
  showError("");
  const body = {query: readSettings()};
  if ($("data").value === "csv") {
    const file = $("csv").files[0];
    if (!file) { showError("Choose a CSV file of three columns: x1, x2 and the class (0, 1, ...)."); return; }
    if (file.size > 1000000) { showError(`The CSV file must be at most 1,000,000 bytes; this one has ${file.size}.`); return; }
    body.csv = await file.text();
  }
  try {
    const answer = await call("POST", "/api/playground/sessions", body);
    session = answer.id;
    selected = null; weight = null;
    $("detail").textContent = "Click a neuron to see its numbers.";
    $("weights").replaceChildren(); $("edit").hidden = true;
    $("gradcheck-table").replaceChildren();
    $("export-script").href = `/api/playground/${session}/export.py`;
    $("export-model").href = `/api/playground/${session}/model.glassnet`;
    draw(answer.frame);
    showSettings(answer.frame.query);
  } catch (e) {
    showError(e.message);
  }
}

async function train(body) {
  if (!session) return;
  try {
    draw(await call("POST", `/api/playground/${session}/train`, body));
  } catch (e) {
    stop();
    showError(e.message);
  }
}

async function play() {
  if (playing) { stop(); return; }
  playing = true;
  $("play").textContent = "Pause";
  while (playing) {
    const n = data ? Math.max(1, Math.ceil(data.train_rows.length / Number($("batch_size").value || 1))) : 1;
    await train({steps: Math.min(n, 200)});
  }
}

function stop() {
  playing = false;
  $("play").textContent = "Play";
}

// -- drawing a frame ------------------------------------------------------------------------------
function colourOf(value, task, classes) {
  if (task === "regression") {  // blue above 0, orange below
    const t = Math.max(-1, Math.min(1, value));
    return t >= 0 ? [255 - 208 * t, 255 - 144 * t, 255 - 33 * t] : [255 + 23 * t, 255 + 124 * t, 255 + 213 * t];
  }
  if (classes <= 2) {  // the probability of class 1: orange -> white -> blue
    return colourOf(1 - 2 * value, "regression");
  }
  const c = CLASS_COLOURS[value % CLASS_COLOURS.length];
  return [c[0] + (255 - c[0]) * 0.6, c[1] + (255 - c[1]) * 0.6, c[2] + (255 - c[2]) * 0.6];
}

function paintGrid(canvas, grid, task, classes) {
  const n = grid.length, ctx = canvas.getContext("2d");
  const image = ctx.createImageData(n, n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const [red, green, blue] = colourOf(grid[n - 1 - r][c], task, classes);  // x2 grows upwards
      const k = 4 * (r * n + c);
      image.data[k] = red; image.data[k + 1] = green; image.data[k + 2] = blue; image.data[k + 3] = 255;
    }
  }
  const small = document.createElement("canvas");
  small.width = n; small.height = n;
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;  // the grid's cells blend, as the function they sample does
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function draw(f) {
  frame = f;
  if (f.points) {
    data = {points: f.points, labels: f.labels, train_rows: f.train_rows};
    curve = f.history.slice();
  } else if (!curve.length || curve[curve.length - 1].step !== f.step) {
    curve.push({step: f.step, train_loss: f.train_loss, test_loss: f.test_loss});
    if (curve.length > 1000) curve.shift();
  }
  const classes = f.task === "regression" ? 1 : Math.max(...data.labels) + 1;
  const out = $("output");
  paintGrid(out, f.output, f.task, classes);
  const ctx = out.getContext("2d"), train = new Set(data.train_rows);
  data.points.forEach(([x1, x2], i) => {
    const x = (x1 + 1) / 2 * out.width, y = (1 - (x2 + 1) / 2) * out.height;
    const label = data.labels[i];
    const c = f.task === "regression" ? colourOf(label, "regression") : CLASS_COLOURS[label % CLASS_COLOURS.length];
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.strokeStyle = train.has(i) ? "#fff" : "#000";
    ctx.fill(); ctx.stroke();
  });
  drawLoss(curve);
  drawNetwork(f);
  const parts = [`epoch ${f.epoch}`, `step ${f.step}`, `train loss ${f.train_loss.toFixed(4)}`,
                 `test loss ${f.test_loss.toFixed(4)}`];
  if (f.train_accuracy !== undefined) {
    parts.push(`train accuracy ${(100 * f.train_accuracy).toFixed(1)} %`,
               `test accuracy ${(100 * f.test_accuracy).toFixed(1)} %`);
  }
  $("status").textContent = parts.join(" · ");
  $("status").dataset.testAccuracy = String(f.test_accuracy ?? "");
  $("status").dataset.trainLoss = String(f.train_loss);  // every digit, for checks against a script
  $("status").dataset.step = String(f.step);
  history.replaceState(null, "", "?" + f.query);
}

function drawLoss(points) {
  const canvas = $("loss"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (points.length < 2) return;
  const top = Math.max(...points.map((p) => Math.max(p.train_loss, p.test_loss)), 1e-9);
  const last = points[points.length - 1].step || 1;
  for (const [key, colour] of [["train_loss", "#2f6fde"], ["test_loss", "#e8832a"]]) {
    ctx.beginPath();
    points.forEach((p, i) => {
      const x = p.step / last * (canvas.width - 4) + 2, y = canvas.height - 2 - p[key] / top * (canvas.height - 4);
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.strokeStyle = colour; ctx.lineWidth = 2; ctx.stroke();
  }
}

function drawNetwork(f) {
  // columns: the input features, each hidden layer's neurons (their pictures), the outputs
  const features = (new URLSearchParams(f.query).get("features") || "").split(",");
  const columns = [nodeColumn("inputs", features)];
  f.neurons.forEach((layer, l) => {
    const column = nodeColumn(`layer ${l + 1}`, []);
    const bytes = Uint8Array.from(atob(layer), (ch) => ch.charCodeAt(0));  // one byte per cell: k / 127 - 1
    const size = f.grid * f.grid;
    for (let j = 0; j < bytes.length / size; j++) {
      const grid = [];
      for (let r = 0; r < f.grid; r++) {
        grid.push(Array.from(bytes.subarray(j * size + r * f.grid, j * size + (r + 1) * f.grid), (b) => b / 127 - 1));
      }
      const c = document.createElement("canvas");
      c.width = 52; c.height = 52; c.className = "neuron node";
      c.dataset.layer = String(l); c.dataset.j = String(j);
      c.title = `layer ${l + 1}, neuron ${j + 1}`;
      if (selected && selected.layer === l && selected.j === j) c.classList.add("selected");
      paintGrid(c, grid, "regression", 1);
      c.addEventListener("click", () => inspectNeuron(l, j));
      column.append(c);
    }
    columns.push(column);
  });
  const outputs = f.weights[f.weights.length - 1][0].length;
  columns.push(nodeColumn("output", Array.from({length: outputs}, (_, k) => outputs > 1 ? `class ${k}` : "out")));
  const wires = document.createElement("canvas");
  wires.id = "wires";
  $("network").replaceChildren(wires, ...columns);
  drawWires(wires, columns, f.weights);
}

function nodeColumn(title, names) {
  const column = document.createElement("div");
  column.className = "column";
  const h = document.createElement("h3");
  h.textContent = title;
  column.append(h);
  for (const name of names) {
    const box = document.createElement("div");
    box.className = "node label";
    box.textContent = name;
    column.append(box);
  }
  return column;
}

function drawWires(canvas, columns, weights) {
  // a line per weight, blue for positive and orange for negative, as thick as the weight is large
  const box = $("network").getBoundingClientRect();
  canvas.width = $("network").scrollWidth;
  canvas.height = $("network").scrollHeight;
  const ctx = canvas.getContext("2d");
  const centres = columns.map((column) => [...column.querySelectorAll(".node")].map((node) => {
    const r = node.getBoundingClientRect();
    return {left: r.left - box.left, right: r.right - box.left, y: (r.top + r.bottom) / 2 - box.top};
  }));
  weights.forEach((W, c) => {
    W.forEach((row, i) => row.forEach((w, j) => {
      const a = centres[c][i], b = centres[c + 1][j];
      if (!a || !b) return;
      ctx.beginPath();
      ctx.moveTo(a.right, a.y);
      ctx.lineTo(b.left, b.y);
      ctx.strokeStyle = w >= 0 ? "rgba(47,111,222,0.6)" : "rgba(232,131,42,0.6)";
      ctx.lineWidth = Math.min(5, 0.3 + 1.2 * Math.abs(w));
      ctx.stroke();
    }));
  });
}

// -- inspecting and editing ------------------------------------------------------------------------------
async function inspectNeuron(layer, j) {
  if (!session) return;
  selected = {layer, j};
  for (const c of document.querySelectorAll(".neuron")) {
    c.classList.toggle("selected", Number(c.dataset.layer) === layer && Number(c.dataset.j) === j);
  }
  try {
    const n = await call("GET", `/api/playground/${session}/neuron?layer=${layer}&j=${j}`);
    $("detail").textContent = `layer ${layer + 1}, neuron ${j + 1}, on training point 1:\n${n.formula}\n` +
      `bias ${n.bias.toPrecision(6)}, its gradient in the last step ${n.bias_grad.toPrecision(6)}`;
    const buttons = n.weights.map((w, i) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "secondary small weight";
      b.textContent = `w${i + 1} = ${w.toPrecision(4)}`;
      b.addEventListener("click", () => inspectWeight(layer, i, j));
      return b;
    });
    $("weights").replaceChildren(...buttons);
  } catch (e) { showError(e.message); }
}

async function inspectWeight(layer, i, j) {
  try {
    const w = await call("GET", `/api/playground/${session}/weight?layer=${layer}&i=${i}&j=${j}`);
    weight = {layer, i, j};
    $("detail").textContent = `the weight from input ${i + 1} to neuron ${j + 1} of layer ${layer + 1}:\n` +
      `value ${w.value.toPrecision(6)}, gradient ${w.grad.toPrecision(6)}\nnext step: ${w.formula}`;
    $("edit").hidden = false;
    $("edit-value").value = String(w.value);
  } catch (e) { showError(e.message); }
}

async function editWeight() {
  if (!weight) return;
  const value = Number($("edit-value").value);
  try {
    draw(await call("POST", `/api/playground/${session}/weight`, {...weight, value}));
    const edited = weight;
    await inspectNeuron(edited.layer, edited.j);
    await inspectWeight(edited.layer, edited.i, edited.j);
  } catch (e) { showError(e.message); }
}

async function runGradcheck() {
  try {
    const report = await call("GET", `/api/playground/${session}/gradcheck`);
    const head = document.createElement("tr");
    for (const h of ["parameter", "relative error", "result"]) {
      const th = document.createElement("th"); th.textContent = h; head.append(th);
    }
    const rows = report.rows.map((r) => {
      const tr = document.createElement("tr");
      for (const v of [r.parameter, r.rel_error.toExponential(2), r.passed ? "pass" : "FAIL"]) {
        const td = document.createElement("td"); td.textContent = v; tr.append(td);
      }
      return tr;
    });
    $("gradcheck-table").replaceChildren(head, ...rows);
  } catch (e) { showError(e.message); }
}

// -- wiring ---------------------------------------------------------------------------------------
buildFeatureBoxes();
showSettings(location.search.slice(1) || "layers=8,8&activations=tanh,tanh");
$("data").addEventListener("change", () => { $("csv-row").hidden = $("data").value !== "csv"; });
$("add-layer").addEventListener("click", () => $("layers").append(layerRow(4, "tanh")));
$("reset").addEventListener("click", reset);
$("play").addEventListener("click", play);
$("step").addEventListener("click", () => { stop(); train({steps: 1}); });
$("epoch").addEventListener("click", () => { stop(); train({epochs: 1}); });
$("edit-apply").addEventListener("click", editWeight);
$("gradcheck").addEventListener("click", runGradcheck);
(async () => {
  const query = location.search.slice(1);
  try {
    const answer = await call("POST", "/api/playground/sessions", {query});
    session = answer.id;
    $("export-script").href = `/api/playground/${session}/export.py`;
    $("export-model").href = `/api/playground/${session}/model.glassnet`;
    draw(answer.frame);
    showSettings(answer.frame.query);
  } catch (e) { showError(e.message); }
})();
