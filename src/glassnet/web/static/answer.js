"use strict";
// What both picture pages (the model page and the teach page) draw from the network's answer: the
// probability bars, the picture as the network saw it, and its saliency over it. Class names come
// from model files and learners: they are inserted as text, never as HTML.
const Answer = {
  // a row per class: name, bar, percentage; the most probable marked "best". animate: the bars grow
  // from 0 (one answer at a time); otherwise they are drawn at their width (live answers, several a second)
  bars(box, probabilities, classes, animate) {
    const best = probabilities.indexOf(Math.max(...probabilities));
    box.replaceChildren(...probabilities.map((p, i) => {
      const row = document.createElement("div");
      row.className = "bar" + (i === best ? " best" : "");
      row.dataset.cls = classes[i];
      const label = document.createElement("span");
      label.textContent = classes[i];
      label.title = classes[i];
      const track = document.createElement("div");
      track.className = "track";
      const fill = document.createElement("div");
      fill.className = "fill";
      track.appendChild(fill);
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = (100 * p).toFixed(1) + "%";
      row.append(label, track, value);
      const width = (100 * p) + "%";
      if (animate) requestAnimationFrame(() => { fill.style.width = width; }); else fill.style.width = width;
      return row;
    }));
  },

  // rows of pixels in [0, 1], scaled up to the canvas: a grey row holds one value per pixel, a colour
  // row an [r, g, b] triple; pixelated, so that each of the network's pixels shows
  picture(canvas, rows) {
    const level = (v) => Math.round(255 * Math.max(0, Math.min(1, v)));
    const tmp = Answer._image(rows, (v) => {
      const rgb = Array.isArray(v) ? v : [v, v, v];
      return [level(rgb[0]), level(rgb[1]), level(rgb[2]), 255];
    });
    const g = canvas.getContext("2d");
    g.imageSmoothingEnabled = false;
    g.drawImage(tmp, 0, 0, canvas.width, canvas.height);
  },

  // the heat map: red where brightening a pixel raises the predicted class's score, blue where it
  // lowers it, the stronger the more opaque; smoothed, so that it reads as regions rather than speckle,
  // and never opaque, so that the picture shows through it. Scaled so that the strongest tenth of the
  // pixels shows at full strength: smoothing spreads each pixel over its neighbours, and a map scaled to
  // its single strongest pixel would fade to nothing
  heat(canvas, heat) {
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    const sizes = heat.flat().map(Math.abs).sort((a, b) => a - b);
    const top = sizes[Math.floor(0.9 * (sizes.length - 1))] || 1;
    const tmp = Answer._image(heat, (v) => [v > 0 ? 255 : 40, v > 0 ? 70 : 130, v > 0 ? 30 : 255,
      Math.round(170 * Math.min(1, Math.abs(v) / top))]);
    g.imageSmoothingEnabled = true;
    g.imageSmoothingQuality = "high";
    g.filter = `blur(${Math.round(canvas.width / heat[0].length)}px)`;
    g.drawImage(tmp, 0, 0, canvas.width, canvas.height);
    g.filter = "none";
  },

  // rows of values as a canvas of their own size, each value coloured [r, g, b, a] by colour(v)
  _image(rows, colour) {
    const h = rows.length, w = rows[0].length, tmp = document.createElement("canvas");
    tmp.width = w; tmp.height = h;
    const t = tmp.getContext("2d"), img = t.createImageData(w, h);
    rows.forEach((line, y) => line.forEach((v, x) => {
      const k = 4 * (y * w + x), rgba = colour(v);
      for (let j = 0; j < 4; j++) img.data[k + j] = rgba[j];
    }));
    t.putImageData(img, 0, 0);
    return tmp;
  },
};
