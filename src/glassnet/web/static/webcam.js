"use strict";
// The webcam, shared by the model page and the teach page. Browsers allow it only in a secure
// context: a page served over HTTPS, or over plain HTTP from localhost. Elsewhere the button
// says why there is no webcam, and uploads do the work.
const Webcam = {
  available() {
    return window.isSecureContext && !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  },
  reason() {
    return `No webcam here: browsers allow it only on localhost or over HTTPS, and this page comes from ` +
      `${location.protocol}//${location.host}. Uploading pictures works.`;
  },
  // starts the camera into a <video>; rejects with a message a person can act on
  async start(video) {
    if (!Webcam.available()) throw new Error(Webcam.reason());
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false });
    } catch (err) {
      throw new Error(err && err.name === "NotAllowedError"
        ? "The browser was not allowed to use the webcam: allow it in the address bar, or upload pictures."
        : "No webcam could be started (" + ((err && err.name) || "unknown error") + "); upload pictures instead.");
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
  },
  stop(video) {
    if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
  },
  running(video) { return !!video.srcObject && video.videoWidth > 0; },
  // the current frame as a JPEG; the server fits it to the model's square as it fits uploads
  snapshot(video) {
    const c = document.createElement("canvas");
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    c.getContext("2d").drawImage(video, 0, 0);
    return new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.9));
  },
};
