"use strict";
// The teach page: a lesson on the server holds each class's pictures and trains the network;
// this page only sends pictures and draws what comes back. Class names are the learner's text:
// always inserted with textContent or as input values, never as HTML.
const $ = (id) => document.getElementById(id);
const camera = $("camera");
let lesson = null;  // {id, size, max_classes, max_examples, min_examples, name_length, heartbeat}
const slots = [];   // one per class card: {slot, card, name input, count, thumbs, error}
let trained = false;

async function call(path, options) {
  let res;
  try {
    res = await fetch(`/api/teach/${lesson.id}/${path}`, options);
  } catch (err) {
    throw new Error("The server did not answer. Is glassnet still running?");
  }
  let data = null;
  try { data = await res.json(); } catch (err) { /* not JSON: said below */ }
  if (!res.ok || data === null) throw new Error((data && data.error) || `The server answered ${res.status}.`);
  return data;
}
const post = (path, body) => call(path, { method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body) });
const sendPicture = (path, blob, fields) => {
  const form = new FormData();
  Object.entries(fields || {}).forEach(([k, v]) => form.append(k, v));
  form.append("image", blob, "picture");
  return call(path, { method: "POST", body: form });
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// -- classes: a card per class, holding its name, count, newest pictures and buttons ----------

function free() {
  for (let k = 0; k < lesson.max_classes; k++) if (!slots.some((s) => s.slot === k)) return k;
  return -1;
}

function addClass() {
  const k = free();
  if (k < 0) return;
  const card = document.createElement("div");
  card.className = "card";
  card.dataset.slot = k;
  const head = document.createElement("div");
  head.className = "head";
  const name = document.createElement("input");
  name.type = "text";
  name.maxLength = lesson.name_length;
  name.value = `Class ${k + 1}`;
  name.setAttribute("aria-label", "class name");
  const count = document.createElement("span");
  count.className = "count";
  const record = document.createElement("button");
  record.className = "record";
  record.textContent = "Record";
  record.disabled = !Webcam.running(camera);
  const upload = document.createElement("label");
  upload.className = "button secondary-label";
  upload.textContent = "Upload…";
  const file = document.createElement("input");
  file.type = "file";
  file.accept = "image/*";
  file.multiple = true;
  upload.appendChild(file);
  const clear = document.createElement("button");
  clear.className = "secondary";
  clear.textContent = "Clear";
  const remove = document.createElement("button");
  remove.className = "secondary";
  remove.textContent = "×";
  remove.title = "Remove this class";
  remove.setAttribute("aria-label", "Remove this class");
  head.append(name, count, record, upload, clear, remove);
  const thumbs = document.createElement("div");
  thumbs.className = "thumbs";
  const error = document.createElement("div");
  error.className = "card-error";
  card.append(head, thumbs, error);
  $("classes").appendChild(card);
  const entry = { slot: k, card, name, count, thumbs, error, record, pending: new Set(), removed: false };
  slots.push(entry);
  setCount(entry, 0);

  // held: a snapshot every ~120 ms, each sent before the next is taken
  let holding = false;
  const start = async (e) => {
    e.preventDefault();
    if (holding || !Webcam.running(camera)) return;
    holding = true;
    record.classList.add("active");
    error.textContent = "";
    while (holding) {
      const blob = await Webcam.snapshot(camera);
      if (!(await addPicture(entry, blob))) break;
      await sleep(120);
    }
    holding = false;
    record.classList.remove("active");
  };
  const end = () => { holding = false; };
  record.addEventListener("pointerdown", start);
  ["pointerup", "pointerleave", "pointercancel"].forEach((t) => record.addEventListener(t, end));
  file.addEventListener("change", async () => {
    error.textContent = "";
    for (const f of Array.from(file.files)) await addPicture(entry, f, f.name);
    file.value = "";
  });
  clear.addEventListener("click", async () => {
    try {
      const data = await post("clear", { class: k });
      setCount(entry, data.counts[k]);
      thumbs.replaceChildren();
    } catch (err) { error.textContent = err.message; }
  });
  remove.addEventListener("click", async () => {
    if (entry.removed) return;  // a second click while the first waits
    if (slots.length <= 2) { error.textContent = "A lesson needs at least two classes."; return; }
    // its uploads and recording stop, the pictures on their way land, then the slot is cleared: a class added
    // after it takes the slot empty (the pictures still uploading went to the next class)
    entry.removed = true;
    holding = false;
    await Promise.all(entry.pending);
    try { await post("clear", { class: k }); } catch (err) {
      entry.removed = false;
      error.textContent = `The class could not be removed: ${err.message}`;
      return;
    }
    slots.splice(slots.indexOf(entry), 1);
    card.remove();
    $("add-class").disabled = false;
  });
  $("add-class").disabled = free() < 0;
}

function setCount(entry, n) {
  entry.n = n;
  entry.count.textContent = `${n} picture${n === 1 ? "" : "s"}`;
}

// sends one picture; shows it among the class's newest; false when the class cannot take more, or was removed.
// The thumbnail is drawn before anything changes, so the count and the pictures move together.
async function addPicture(entry, blob, label) {
  if (entry.removed) return false;
  try {
    const sent = sendPicture("example", blob, { class: entry.slot });
    const landed = sent.catch(() => null);
    entry.pending.add(landed);  // an upload and a recording may both be on their way
    landed.then(() => entry.pending.delete(landed));
    const data = await sent;
    const thumb = await thumbnail(blob);
    setCount(entry, data.counts[entry.slot]);
    if (thumb) {
      entry.thumbs.prepend(thumb);
      while (entry.thumbs.children.length > 12) entry.thumbs.lastChild.remove();
    }
    return true;
  } catch (err) {
    entry.error.textContent = label ? `${label}: ${err.message}` : err.message;
    return false;
  }
}

// a 40x40 canvas of the picture's centre square; null when this browser cannot draw it
async function thumbnail(blob) {
  const c = document.createElement("canvas");
  c.width = c.height = 40;
  try {
    const bitmap = await createImageBitmap(blob);
    const side = Math.min(bitmap.width, bitmap.height);
    c.getContext("2d").drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side,
      0, 0, 40, 40);
  } catch (err) { return null; }  // the server read it; this browser cannot draw it
  return c;
}

// -- training: the server trains, the page polls and draws the curve --------------------------

function names() {
  const out = new Array(lesson.max_classes).fill("");
  slots.forEach((s) => { out[s.slot] = s.name.value.trim() || `Class ${s.slot + 1}`; });
  return out;
}

$("train").addEventListener("click", async () => {
  $("lesson-error").textContent = "";
  try {
    const status = await post("train", { names: names() });
    showStatus(status);
    poll();
  } catch (err) { $("lesson-error").textContent = err.message; }
});
$("stop").addEventListener("click", async () => {
  try { showStatus(await post("stop", {})); } catch (err) { $("lesson-error").textContent = err.message; }
});

let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const status = await call("status");
      showStatus(status);
      if (status.state !== "queued" && status.state !== "training") break;
      await sleep(400);
    }
  } catch (err) {
    $("lesson-error").textContent = err.message;
  }
  polling = false;
}

function showStatus(s) {
  const busy = s.state === "queued" || s.state === "training";
  $("train").disabled = busy;
  $("stop").disabled = !busy;
  const text = {
    queued: "Waiting for a free trainer…",
    training: `Training: epoch ${s.epoch} of ${s.epochs}`,
  }[s.state] || s.message || "";
  $("train-status").textContent = text;
  drawCurve(s.losses, s.accuracies, s.epochs);
  trained = s.trained;
  $("live").disabled = !trained || !Webcam.running(camera);
  ["download-model", "download-onnx"].forEach((id) => {
    $(id).classList.toggle("disabled", !trained);
    $(id).setAttribute("aria-disabled", String(!trained));
  });
  if (trained) {
    $("download-model").href = `/api/teach/${lesson.id}/model.glassnet`;
    $("download-onnx").href = `/api/teach/${lesson.id}/model.onnx`;
  }
}

function drawCurve(losses, accuracies, epochs) {
  const c = $("curve"), g = c.getContext("2d"), W = c.width, H = c.height, pad = 30;
  g.clearRect(0, 0, W, H);
  g.strokeStyle = "#d8dde6";
  g.strokeRect(pad, 10, W - 2 * pad, H - 40);
  g.fillStyle = "#667085";
  g.font = "11px system-ui, sans-serif";
  g.fillText("epoch", W / 2 - 14, H - 8);
  if (!losses.length) return;
  const n = Math.max(epochs, losses.length, 2), top = Math.max(...losses, 1e-9);
  const x = (i) => pad + (W - 2 * pad) * i / (n - 1), yLoss = (v) => 10 + (H - 40) * (1 - v / top);
  const yAcc = (v) => 10 + (H - 40) * (1 - v);
  g.fillText(top.toPrecision(2), 2, 18);
  g.fillText("0", 18, H - 30);
  g.fillText("100%", W - pad + 2, 18);
  g.fillText(String(n), W - pad - 8, H - 18);
  [[losses, yLoss, "#2f6fde"], [accuracies, yAcc, "#16a34a"]].forEach(([values, y, colour]) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    values.forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
    g.stroke();
  });
}

// -- trying it: a picture or the live webcam, answered with the classes and the saliency ------

let asked = 0;  // requests numbered: only the answer to the newest is shown

// sends a picture to the model and shows its answer; false when it failed
async function predict(blob, label) {
  const mine = ++asked;
  let data;
  try { data = await sendPicture("predict", blob); } catch (err) {
    if (mine === asked) $("try-error").textContent = label ? `${label}: ${err.message}` : err.message;
    return false;
  }
  if (mine !== asked) return true;  // a newer picture was sent meanwhile (a live answer after an upload)
  $("try-error").textContent = "";
  $("prediction").textContent = data.prediction;
  $("confidence").textContent = "probability " + (100 * data.confidence).toFixed(1) + " %";
  Answer.bars($("bars"), data.probabilities, data.classes, false);  // live: several answers a second
  Answer.picture($("preview"), data.input);
  Answer.heat($("saliency"), data.saliency);
  return true;
}

$("try-file").addEventListener("change", async (e) => {
  const f = e.target.files[0];
  if (!f) return;
  await predict(f, f.name);
  e.target.value = "";
});

let live = false;
$("live").addEventListener("change", async () => {
  if (live || !$("live").checked) { live = $("live").checked; return; }
  live = true;
  while (live && Webcam.running(camera)) {
    let snap;
    try { snap = await Webcam.snapshot(camera); } catch (err) {
      $("try-error").textContent = err.message;
      break;
    }
    if (!live || !(await predict(snap))) break;  // unchecked while the snapshot was taken: not sent
    await sleep(250);
  }
  live = false;
  $("live").checked = false;
});

// -- the webcam, the lesson, and its heartbeat ------------------------------------------------

if (!Webcam.available()) {
  $("camera-start").disabled = true;
  $("camera-note").textContent = Webcam.reason();
}
$("camera-start").addEventListener("click", async () => {
  try {
    await Webcam.start(camera);
    $("camera-start").disabled = true;
    slots.forEach((s) => { s.record.disabled = false; });
    $("live").disabled = !trained;
  } catch (err) { $("camera-note").textContent = err.message; }
});
$("add-class").addEventListener("click", addClass);

async function begin() {
  let res, data = null;
  try {
    res = await fetch("/api/teach/sessions", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
    });
    data = await res.json();
  } catch (err) { /* said below */ }
  if (!res || !res.ok || !data) {
    $("lesson-error").textContent = (data && data.error) || "The server could not start a lesson.";
    return;
  }
  lesson = data;
  addClass();
  addClass();
  showStatus({ state: "collecting", losses: [], accuracies: [], epochs: 0, trained: false, message: "" });
  setInterval(() => call("heartbeat", { method: "POST" }).catch(() => {}), 1000 * lesson.heartbeat);
  window.addEventListener("pagehide", () => navigator.sendBeacon(`/api/teach/${lesson.id}/close`));
}
// back to a page the browser kept (its back-forward cache): its lesson was closed as it left, so begin another
window.addEventListener("pageshow", (e) => { if (e.persisted) location.reload(); });
begin();
