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
  markStale("Drawing: the answer below is for the picture before this stroke.");
  $("file-name").textContent = "";
  $("file").value = "";
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
// the network answers when a stroke ends; strokes in quick succession send one request
let strokeTimer = null;
["pointerup", "pointercancel"].forEach((t) => canvas.addEventListener(t, () => {
  if (!drawing) return;
  drawing = false;
  clearTimeout(strokeTimer);
  strokeTimer = setTimeout(() => canvas.toBlob((blob) => send(blob, "drawing.png"), "image/png"), 150);
}));

// -- the result panels: empty, or one prediction; an error always empties them first --------

function emptyPreview(note) {
  const pv = $("preview"), pctx = pv.getContext("2d");
  pctx.fillStyle = "#eef1f6";
  pctx.fillRect(0, 0, pv.width, pv.height);
  $("preview-note").textContent = note;
}

function markStale(note) {
  $("result").classList.add("stale");
  $("seen").classList.add("stale");
  $("status").textContent = note;
}

function clearResult() {
  $("result").classList.remove("stale");
  $("seen").classList.remove("stale");
  $("status").textContent = "";
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
  clearTimeout(strokeTimer);
  sent += 1;  // an answer still on its way is for a picture that is gone
  clearCanvas();
  clearResult();
  $("error").textContent = "";
  $("file-name").textContent = "";
  $("file").value = "";
});
$("file").addEventListener("change", (e) => {
  const f = e.target.files[0];
  if (!f) return;
  clearTimeout(strokeTimer);
  clearCanvas();  // the upload replaces the drawing
  $("file-name").textContent = f.name;
  send(f, f.name);
});

let sent = 0;  // requests numbered: only the answer to the latest one is shown
async function send(blob, name) {
  const mine = ++sent;
  $("error").textContent = "";
  markStale("Asking the network…");
  const form = new FormData();
  form.append("image", blob, name);
  let res;
  try {
    res = await fetch("/api/predict", { method: "POST", body: form });
  } catch (err) {
    if (mine === sent) showError("The server did not answer. Is glassnet serve still running?");
    return;
  }
  let data = null;
  try { data = await res.json(); } catch (err) { /* not JSON: say so below */ }
  if (mine !== sent) return;  // a newer picture was sent meanwhile
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
  Answer.bars($("bars"), data.probabilities, data.classes, true);
  const [h, w] = data.image_shape;
  Answer.picture($("preview"), data.input);
  lastSaliency = data.saliency;
  drawSaliency();
  $("preview-note").textContent = `${w}x${h} pixels, as the network sees them`;
}

// the heat map over "What it saw" (see answer.js), unless it is switched off
function drawSaliency() {
  const pv = $("saliency");
  pv.getContext("2d").clearRect(0, 0, pv.width, pv.height);
  if (lastSaliency && $("show-saliency").checked) Answer.heat(pv, lastSaliency);
}
$("show-saliency").addEventListener("change", drawSaliency);

// -- the webcam: a snapshot is sent like an upload ------------------------------------------

const camera = $("camera");
if (!Webcam.available()) {
  $("camera-start").disabled = true;
  $("camera-note").textContent = Webcam.reason();
}
$("camera-start").addEventListener("click", async () => {
  $("camera-note").textContent = "";
  try {
    await Webcam.start(camera);
    $("snap").disabled = false;
    $("camera-start").disabled = true;
  } catch (err) {
    $("camera-note").textContent = err.message;
  }
});
$("snap").addEventListener("click", async () => {
  if (!Webcam.running(camera)) return;
  clearTimeout(strokeTimer);
  clearCanvas();
  $("file-name").textContent = "";
  $("file").value = "";
  send(await Webcam.snapshot(camera), "snapshot.jpg");
});

// -- the model: a digit reader draws; a photo model takes uploads and snapshots -----------

fetch("/api/model").then((r) => r.json()).then((m) => {
  const sizes = m.layers.filter((l) => l.type === "Dense" || l.type === "Conv2D")
    .map((l) => (l.type === "Conv2D" ? `conv ${l.out_channels}` : l.out_features));
  const acc = m.test_accuracy ? `, test accuracy ${(100 * m.test_accuracy).toFixed(2)} %` : "";
  const file = m.file ? `${m.file}: ` : "";
  const input = m.image_shape.join("x") + (m.kind === "photo" ? (m.channels === 3 ? " colour" : " grey") : "");
  $("model-info").textContent = `Model ${file}${input} input → ${sizes.join(" → ")}, ` +
    `${m.parameters.toLocaleString()} parameters, trained on ${m.dataset || "unknown data"}${acc}.`;
  if (m.kind === "photo") {
    document.title = "glassnet: what does the network see?";
    $("title").textContent = "glassnet picture classifier";
    $("intro").textContent = `Upload a picture or take a webcam snapshot: the network names it as one of ` +
      `${m.classes.join(", ")}, and shows what it looked at.`;
    $("draw-box").hidden = true;
    $("upload-head").textContent = "Upload a picture";
    $("upload-head").classList.remove("subhead");
  }
}).catch(() => { $("model-info").textContent = "The model's description could not be read."; });
