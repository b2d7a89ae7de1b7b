// openidv flow: camera capture, previews and the ID type choice. No dependencies.
import { data, post } from "./flow.js";

const text = data.text;

// ---------------------------------------------------------------- camera capture
function grab(video) {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
}

function setFile(input, blob, name) {
  const files = new DataTransfer();
  files.items.add(new File([blob], name, { type: "image/jpeg" }));
  input.files = files.files;
}

// A selfie pose is a short burst where the browser allows (frames 1.. go to hidden inputs `<pose>-<n>`),
// so the server can look for a blink and for motion between frames.
function burstInput(box, name) {
  let input = box.querySelector(`input[name="${name}"]`);
  if (!input) {
    input = document.createElement("input");
    Object.assign(input, { type: "file", name, hidden: true, tabIndex: -1 });
    input.setAttribute("aria-hidden", "true");
    box.append(input);
  }
  return input;
}

async function grabBurst(box, video, name) {
  const count = Number(box.dataset.burst || 1);
  for (let i = 1; i < count; i++) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const blob = await grab(video);
    if (blob) setFile(burstInput(box, `${name}-${i}`), blob, `${name}-${i}.jpg`);
  }
}

function setupCamera(box) {
  const start = box.querySelector("[data-camera-start]");
  const video = box.querySelector("video");
  const status = box.querySelector(".camera-status");
  const poseText = box.querySelector(".pose");
  const poses = box.dataset.poses ? box.dataset.poses.split(" ") : null;
  const form = box.closest("form");
  const submit = form.querySelector("[data-submit]");
  let stream = null;
  let index = 0;
  if (poses) submit.disabled = true;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    status.textContent = text.unavailable;
    start.hidden = true;
    return;
  }
  const showPose = () => { if (poses && poseText) poseText.textContent = poseText.dataset[poses[index]]; };
  const stop = () => {
    stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    start.hidden = true;
  };
  start.addEventListener("click", async () => {
    if (!stream) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: box.dataset.facing } });
      } catch (_) {
        status.textContent = text.unavailable;
        return;
      }
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      start.textContent = text.capture;
      showPose();
      return;
    }
    const name = poses ? poses[index] : box.dataset.target;
    setFile(form.querySelector(`input[name="${name}"]`), await grab(video), `${name}.jpg`);
    if (poses) {
      start.disabled = true;
      await grabBurst(box, video, name);
      start.disabled = false;
    }
    post(poses ? "selfie-camera-capture" : "document-camera-capture", { side: name });
    status.textContent = text.captured;
    if (poses && ++index < poses.length) {
      showPose();
      return;
    }
    stop();
    if (poses) { poseText.textContent = ""; submit.disabled = false; submit.focus(); }
  });
}

for (const box of document.querySelectorAll(".camera")) setupCamera(box);
for (const input of document.querySelectorAll('input[type="file"]:not([hidden])')) {
  input.addEventListener("change", () => post("document-upload", { side: input.name }));
}
if (data.handoff) post("one-time-link-start", {});

// Government ID: the back side only for ID types that have one.
const idClass = document.getElementById("id-class");
if (idClass) {
  const twoSided = new Set(idClass.dataset.twoSided.split(" "));
  const back = document.querySelector('fieldset[data-side="back"]');
  const sync = () => { back.hidden = !twoSided.has(idClass.value); };
  idClass.addEventListener("change", sync);
  sync();
}

