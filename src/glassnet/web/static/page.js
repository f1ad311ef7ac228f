"use strict";
// Every value that comes from the model or a request is inserted as text (textContent), never
// as HTML: class names come from model files and CSV files, which anyone may write.
let lastSaliency = null;  // the last answer's saliency map, drawn over "What it saw"
const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
const $ = (id) => document.getElementById(id);

function clearCanvas() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}
clearCanvas();
ctx.lineWidth = 20;
ctx.lineCap = "round";
ctx.lineJoin = "round";
ctx.strokeStyle = "#000";

let drawing = false;
function point(e) {
  const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
}
canvas.addEventListener("pointerdown", (e) => {
  drawing = true;
  canvas.setPointerCapture(e.pointerId);
  const [x, y] = point(e);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 0.1, y + 0.1);
  ctx.stroke();
});
canvas.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const [x, y] = point(e);
  ctx.lineTo(x, y);
  ctx.stroke();
});
["pointerup", "pointercancel"].forEach((t) => canvas.addEventListener(t, () => { drawing = false; }));

// -- the result panels: empty, or one prediction; an error always empties them first --------

function emptyPreview(note) {
  const pv = $("preview"), pctx = pv.getContext("2d");
  pctx.fillStyle = "#eef1f6";
  pctx.fillRect(0, 0, pv.width, pv.height);
  $("preview-note").textContent = note;
}

function clearResult() {
  $("prediction").textContent = "";
  $("confidence").textContent = "";
  $("bars").replaceChildren();
  emptyPreview("The picture, prepared as the network's input, appears here.");
  lastSaliency = null;
  drawSaliency();
}

function showError(message) {
  clearResult();
  $("error").textContent = message;
}

clearResult();

$("clear").addEventListener("click", () => {
  clearCanvas();
  clearResult();
  $("error").textContent = "";
  $("file-name").textContent = "";
  $("file").value = "";
});
$("predict-drawing").addEventListener("click", () => {
  $("file-name").textContent = "";
  canvas.toBlob((blob) => send(blob, "drawing.png"), "image/png");
});
$("file").addEventListener("change", (e) => {
  const f = e.target.files[0];
  if (f) { $("file-name").textContent = f.name; send(f, f.name); }
});

async function send(blob, name) {
  $("error").textContent = "";
  const form = new FormData();
  form.append("image", blob, name);
  let res;
  try {
    res = await fetch("/api/predict", { method: "POST", body: form });
  } catch (err) {
    showError("The server did not answer. Is glassnet serve still running?");
    return;
  }
  let data = null;
  try { data = await res.json(); } catch (err) { /* not JSON: say so below */ }
  if (!res.ok || data === null) {
    showError((data && data.error) || `The server answered with status ${res.status}.`);
    return;
  }
  show(data);
}

function show(data) {
  clearResult();
  $("prediction").textContent = data.prediction;
  $("prediction").title = data.prediction;
  $("confidence").textContent = "probability " + (100 * data.confidence).toFixed(1) + " %";
  const best = data.probabilities.indexOf(Math.max(...data.probabilities));
  data.probabilities.forEach((p, i) => {
    const row = document.createElement("div");
    row.className = "bar" + (i === best ? " best" : "");
    row.dataset.cls = data.classes[i];
    const label = document.createElement("span");
    label.textContent = data.classes[i];
    label.title = data.classes[i];
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = "fill";
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = (100 * p).toFixed(1) + "%";
    row.append(label, track, value);
    $("bars").appendChild(row);
    requestAnimationFrame(() => { fill.style.width = (100 * p) + "%"; });
  });
  const [h, w] = data.image_shape, pv = $("preview"), pctx = pv.getContext("2d");
  const img = pctx.createImageData(w, h);
  data.input.forEach((line, y) => line.forEach((v, x) => {
    const k = 4 * (y * w + x), g = Math.round(255 * Math.max(0, Math.min(1, v)));
    img.data[k] = img.data[k + 1] = img.data[k + 2] = g; img.data[k + 3] = 255;
  }));
  const tmp = document.createElement("canvas");
  tmp.width = w; tmp.height = h;
  tmp.getContext("2d").putImageData(img, 0, 0);
  pctx.imageSmoothingEnabled = false;
  pctx.drawImage(tmp, 0, 0, pv.width, pv.height);
  lastSaliency = data.saliency;
  drawSaliency();
  $("preview-note").textContent = `${w}x${h} pixels, as the network sees them`;
}

// the heatmap over "What it saw": red where brightening a pixel raises the predicted class's
// score, blue where it lowers it; the stronger, the more opaque
function drawSaliency() {
  const pv = $("saliency");
  const sctx = pv.getContext("2d");
  sctx.clearRect(0, 0, pv.width, pv.height);
  if (!lastSaliency || !$("show-saliency").checked) return;
  const h = lastSaliency.length, w = lastSaliency[0].length;
  const img = sctx.createImageData(w, h);
  lastSaliency.forEach((line, y) => line.forEach((v, x) => {
    const k = 4 * (y * w + x);
    img.data[k] = v > 0 ? 255 : 70; img.data[k + 1] = v > 0 ? 60 : 170; img.data[k + 2] = v > 0 ? 40 : 255;
    img.data[k + 3] = Math.round(230 * Math.min(1, Math.abs(v)));
  }));
  const tmp = document.createElement("canvas");
  tmp.width = w; tmp.height = h;
  tmp.getContext("2d").putImageData(img, 0, 0);
  sctx.imageSmoothingEnabled = false;
  sctx.drawImage(tmp, 0, 0, pv.width, pv.height);
}
$("show-saliency").addEventListener("change", drawSaliency);

fetch("/api/model").then((r) => r.json()).then((m) => {
  const sizes = m.layers.filter((l) => l.type === "Dense" || l.type === "Conv2D")
    .map((l) => (l.type === "Conv2D" ? `conv ${l.out_channels}` : l.out_features));
  const acc = m.test_accuracy ? `, test accuracy ${(100 * m.test_accuracy).toFixed(2)} %` : "";
  const file = m.file ? `${m.file}: ` : "";
  $("model-info").textContent = `Model ${file}${m.image_shape.join("x")} input → ${sizes.join(" → ")}, ` +
    `${m.parameters.toLocaleString()} parameters, trained on ${m.dataset || "unknown data"}${acc}.`;
}).catch(() => { $("model-info").textContent = "The model's description could not be read."; });
