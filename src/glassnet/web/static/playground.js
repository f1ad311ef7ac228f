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
let heartbeat = null; // the timer that tells the server this page is still open
let runQuery = null;  // the settings of the run on the server, which the form goes back to after a refusal
let starting = 0;     // counts the runs asked for: an answer for one that a later one has overtaken is closed
let runCsv = null;    // the CSV text the run on the server was made from (a file, or a run file's): new settings
                      // take it again until another file is chosen

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
  if (!response.ok) {
    const error = new Error((data && data.error) || `The server answered ${response.status}.`);
    error.status = response.status;
    error.retryAfter = Number(response.headers.get("Retry-After") || 0);
    error.step = data && Number.isInteger(data.step) ? data.step : null;  // a busy answer after some steps
    throw error;
  }
  return data;
}

// a number the server sends as a string because it is not finite: "NaN", "Infinity", "-Infinity"
function num(value, digits, format = "toFixed") {
  return typeof value === "number" ? value[format](digits) : String(value);
}

function showNotice(message) { $("notice").textContent = message || ""; }

function showError(message) { $("error").textContent = message || ""; }

// a new run on the server: from the form, a link, or a run file; then replayed to its step, if it had one
async function start(query, csv, steps) {
  stop();
  showError("");
  const body = {query};
  if (csv !== undefined && csv !== null) body.csv = csv;
  const mine = ++starting;
  let answer;
  try {
    answer = await startSession(body, mine);
  } catch (e) {
    if (mine !== starting) return false;  // a later run was asked for meanwhile: its answer says what happened
    if (e.status === 429) {  // no room: said plainly, nothing else changes
      showError(`The server is full: ${e.message} (try again in about ${e.retryAfter || 60} seconds).`);
    } else if (e.status === 503) {  // asked ten times
      showError("The server stayed busy with other learners' requests: try again in a minute.");
    } else {
      showError(e.message);
    }
    if (runQuery !== null) showSettings(runQuery);  // the form goes back to the run that is still there
    return false;
  }
  if (mine !== starting) {  // overtaken while it waited for the server (a second click, a busy classroom)
    if (answer) navigator.sendBeacon(`/api/playground/${answer.id}/close`);
    return false;
  }
  if (session) navigator.sendBeacon(`/api/playground/${session}/close`);  // the old run is done with
  session = answer.id;
  runCsv = body.csv === undefined ? null : body.csv;
  selected = null; weight = null;
  $("detail").textContent = "Click a neuron to see its numbers.";
  $("weights").replaceChildren(); $("edit").hidden = true;
  $("gradcheck-table").replaceChildren();
  for (const [id, file] of [["export-script", "export.py"], ["export-model", "model.glassnet"],
                            ["export-run", "run.json"]]) {
    $(id).href = `/api/playground/${session}/${file}`;
  }
  $("export-script").hidden = answer.frame.query.includes("data=csv");  // a script cannot hold the points
  clearInterval(heartbeat);
  heartbeat = setInterval(() => {
    if (session) fetch(`/api/playground/${session}/heartbeat`, {method: "POST"}).catch(() => {});
  }, 1000 * (answer.heartbeat || 30));
  draw(answer.frame);
  showSettings(answer.frame.query);
  if (steps > 0) await replay(steps);
  return true;
}

// a new session, asked for again while the server answers busy (its turn to compute did not come within
// the wait: nothing was made), as a frame is; a page opened in a busy classroom starts late, not with an error
// (none, once the run asked for is no longer the latest)
async function startSession(body, mine) {
  for (let tries = 1; mine === starting; tries++) {
    try {
      const answer = await call("POST", "/api/playground/sessions", body);
      showNotice("");
      return answer;
    } catch (e) {
      if (e.status !== 503 || tries === 10) { showNotice(""); throw e; }
      showNotice("The server is busy with other learners: asking it again ...");
      await sleep(1000 * (e.retryAfter || 1));
    }
  }
  return null;
}

// train to the link's step, a request at a time: the engine is deterministic, so the weights come back
async function replay(steps) {
  let at = frame ? frame.step : steps;
  while (frame && at < steps) {
    showNotice(`Replaying the link's run: step ${at} of ${steps} ...`);
    try {
      draw(await call("POST", `/api/playground/${session}/train`, {steps: Math.min(1000, steps - at)}));
      at = frame.step;
    } catch (e) {
      if (e.status === 503) {  // busy: one that came after some steps says where the session stands
        if (e.step !== null) at = e.step;
        await sleep(1000 * (e.retryAfter || 1));
        continue;
      }
      showError(e.message);
      break;
    }
  }
  const drawn = !(frame && frame.step < at) || await refresh();  // the last steps were answered busy
  showNotice(drawn ? "" : BEHIND);
}

const BEHIND = "The server is busy: the picture shows an earlier step than the network has reached.";

// the frame where the session stands, asked for without training (after a busy answer that took steps);
// false when the server stayed busy. An answer for a session that a reset has since replaced is dropped.
async function refresh() {
  const asked = session;
  for (let tries = 0; tries < 10; tries++) {
    try {
      const answer = await call("GET", `/api/playground/${asked}/frame`);
      if (session === asked) draw(answer);
      return true;
    } catch (e) {
      if (session !== asked) return true;
      if (e.status !== 503) { showError(e.message); return true; }
      await sleep(1000 * (e.retryAfter || 1));
    }
  }
  return false;
}

function sleep(ms) { return new Promise((done) => setTimeout(done, ms)); }

async function reset() {
  let csv;
  if ($("data").value === "csv") {
    const file = $("csv").files[0];
    if (!file && runCsv !== null) {  // the run's own points (opened from a run file): the new settings on them
      await start(readSettings(), runCsv, 0);
      return;
    }
    if (!file) {
      showError("Choose a CSV file of three columns: x1, x2 and the class (0, 1, ...).");
      if (runQuery !== null) showSettings(runQuery);
      return;
    }
    if (file.size > 1000000) {
      showError(`The CSV file must be at most 1,000,000 bytes; this one has ${file.size}.`);
      if (runQuery !== null) showSettings(runQuery);
      return;
    }
    csv = await file.text();
  }
  await start(readSettings(), csv, 0);
}

async function openRun(file) {
  let run;
  try {
    run = JSON.parse(await file.text());
  } catch (e) { showError("That file is not a run file of the playground."); return; }
  if (!run || run.format !== "glassnet-playground-run" || typeof run.query !== "string") {
    showError("That file is not a run file of the playground."); return;
  }
  await start(run.query, run.csv, Number(run.steps) || 0);
}

async function train(body) {
  if (!session) return;
  try {
    draw(await call("POST", `/api/playground/${session}/train`, body));
  } catch (e) {
    if (e.status === 503) {  // busy: the next frame asks again; steps it took are drawn now
      await sleep(1000 * (e.retryAfter || 1));
      if (e.step !== null && !playing && !await refresh()) showNotice(BEHIND);
      return;
    }
    stop();
    showError(e.message);
  }
}

async function play() {
  if (playing) { stop(); return; }
  playing = true;
  $("play").textContent = "Pause";
  if ($("play").dataset.running) return;  // paused and played again before the last frame came: that loop goes on
  $("play").dataset.running = "true";
  while (playing) {
    const n = data ? Math.max(1, Math.ceil(data.train_rows.length / Number($("batch_size").value || 1))) : 1;
    await train({steps: Math.min(n, 200)});
  }
  delete $("play").dataset.running;  // the last frame asked for is drawn
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
  if ($("notice").textContent === BEHIND) showNotice("");  // caught up
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
  const parts = [`epoch ${f.epoch}`, `step ${f.step}`, `train loss ${num(f.train_loss, 4)}`,
                 `test loss ${num(f.test_loss, 4)}`];
  if (f.train_accuracy !== undefined) {
    parts.push(`train accuracy ${num(100 * f.train_accuracy, 1)} %`,
               `test accuracy ${num(100 * f.test_accuracy, 1)} %`);
  }
  $("status").textContent = parts.join(" · ");
  $("status").dataset.testAccuracy = String(f.test_accuracy ?? "");
  $("status").dataset.trainLoss = String(f.train_loss);  // every digit, for checks against a script
  $("status").dataset.step = String(f.step);
  runQuery = f.query;
  // the link: the settings, the hand edits, and the step to replay to
  history.replaceState(null, "", "?" + f.query + (f.step ? `&steps=${f.step}` : ""));
}

function drawLoss(points) {
  // the two costs against the step, on axes with their scale: 0 and the highest cost, the first and last step
  const canvas = $("loss"), ctx = canvas.getContext("2d");
  const left = 44, right = 8, top = 8, bottom = 30;
  const w = canvas.width - left - right, h = canvas.height - top - bottom;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const finite = points.flatMap((p) => [p.train_loss, p.test_loss]).filter((v) => typeof v === "number");
  const high = finite.length ? Math.max(...finite, 1e-9) : 1;
  const first = points.length ? points[0].step : 0, last = points.length ? points[points.length - 1].step : 1;
  const span = Math.max(1, last - first);
  ctx.strokeStyle = "#98a2b3"; ctx.lineWidth = 1; ctx.fillStyle = "#667085"; ctx.font = "11px system-ui";
  ctx.beginPath(); ctx.moveTo(left, top); ctx.lineTo(left, top + h); ctx.lineTo(left + w, top + h); ctx.stroke();
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const [value, y] of [[high, top], [high / 2, top + h / 2], [0, top + h]]) {
    ctx.fillText(value === 0 ? "0" : value.toPrecision(2), left - 4, y);
    ctx.beginPath(); ctx.moveTo(left - 3, y); ctx.lineTo(left, y); ctx.stroke();
  }
  ctx.textBaseline = "top";
  for (const [value, x, align] of [[first, left, "left"], [last, left + w, "right"]]) {
    ctx.textAlign = align;  // the first step's number from its tick, the last one's up to it
    ctx.fillText(String(value), x, top + h + 4);
    ctx.beginPath(); ctx.moveTo(x, top + h); ctx.lineTo(x, top + h + 3); ctx.stroke();
  }
  ctx.textAlign = "center";
  ctx.fillText("step", left + w / 2, top + h + 14);
  ctx.save(); ctx.translate(10, top + h / 2); ctx.rotate(-Math.PI / 2); ctx.fillText("cost", 0, -6); ctx.restore();
  if (points.length < 2) return;
  for (const [key, colour] of [["train_loss", "#2f6fde"], ["test_loss", "#e8832a"]]) {
    ctx.beginPath();
    let drawing = false;
    for (const p of points) {
      if (typeof p[key] !== "number") { drawing = false; continue; }
      const x = left + (p.step - first) / span * w, y = top + h - Math.min(1, p[key] / high) * h;
      if (drawing) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      drawing = true;
    }
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
      const state = ((f.health || [])[l] || [])[j];  // the diagnosis: "dead", "saturated" or ""
      if (state) {
        c.classList.add(state);
        c.title += ` (${state}: click for why)`;
      }
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
      `bias ${num(n.bias, 6, "toPrecision")}, its gradient in the last step ${num(n.bias_grad, 6, "toPrecision")}` +
      (n.finding ? `\n\n${n.finding}` : "");
    const buttons = n.weights.map((w, i) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "secondary small weight";
      b.textContent = `w${i + 1} = ${num(w, 4, "toPrecision")}`;
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
      `value ${num(w.value, 6, "toPrecision")}, gradient ${num(w.grad, 6, "toPrecision")}\n` +
      `the next step, as ${optimizerName()} takes it: ${num(w.step, 6, "toPrecision")}\n${w.formula}`;
    $("edit").hidden = false;
    $("edit-value").value = String(w.value);
  } catch (e) { showError(e.message); }
}

function optimizerName() {
  return {sgd: "SGD", momentum: "SGD with momentum", adam: "Adam"}[new URLSearchParams(runQuery || "")
    .get("optimizer")] || "the optimizer";
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
      for (const v of [r.parameter, num(r.rel_error, 2, "toExponential"), r.passed ? "pass" : "FAIL"]) {
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
// a data set change starts a new run at once (a CSV as soon as its file is chosen)
for (const id of ["data", "classes", "noise", "points", "train_fraction", "seed"]) {
  $(id).addEventListener("change", () => {
    $("csv-row").hidden = $("data").value !== "csv";
    if ($("data").value !== "csv" || $("csv").files[0]) reset();
    else showNotice("Choose your CSV file: the run starts when it is chosen.");
  });
}
$("csv").addEventListener("change", () => {  // choosing a file is choosing to train on it
  showNotice("");
  $("data").value = "csv";
  $("csv-row").hidden = false;
  reset();
});
$("add-layer").addEventListener("click", () => $("layers").append(layerRow(4, "tanh")));
$("reset").addEventListener("click", reset);
$("play").addEventListener("click", play);
$("step").addEventListener("click", () => { stop(); train({steps: 1}); });
$("epoch").addEventListener("click", () => { stop(); train({epochs: 1}); });
$("edit-apply").addEventListener("click", editWeight);
$("gradcheck").addEventListener("click", runGradcheck);
$("open-run").addEventListener("change", (e) => { if (e.target.files[0]) openRun(e.target.files[0]); });
// the tab closing frees its run on the server at once (else it goes when it has been quiet for 2 minutes)
window.addEventListener("pagehide", () => {
  if (session) navigator.sendBeacon(`/api/playground/${session}/close`);
});
// back to a page the browser kept (its back-forward cache): its run was closed as it left, so start again
// from the link, which holds the run
window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
(async () => {
  const link = new URLSearchParams(location.search);
  const steps = Number(link.get("steps") || 0);
  link.delete("steps");
  if (link.get("data") === "csv") {  // the points are not in the link: they come back with the run file
    showSettings(link.toString());
    showError("This link is of a run on your own CSV file, which a link cannot hold: open the run file it " +
              "was exported to (under Keep it), or choose the CSV file again.");
    return;
  }
  await start(link.toString(), undefined, steps);
})();
