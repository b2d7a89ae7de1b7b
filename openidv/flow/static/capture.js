// openidv flow: the government-ID choices (country search, ID type tiles), camera capture with a frame or
// an oval, previews and retake, the upload fallback, and chosen files kept across an error. No dependencies.
import { data, post } from "./flow.js";

const text = data.text;
const form = document.querySelector("form[data-step]");
const stepId = form ? form.dataset.stepId : null;

// ---------------------------------------------------------------- chosen files survive an error page
// A browser never refills a file input from the server, so what was chosen or captured is kept in this
// browser (IndexedDB, per step) and put back when the step comes back with a problem.
const store = (() => {
  let opened = null;
  const db = () => {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open("openidv-flow", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("files");
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return opened;
  };
  const run = async (mode, work) => {
    const tx = (await db()).transaction("files", mode);
    const result = work(tx.objectStore("files"));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(result.result);
      tx.onerror = () => reject(tx.error);
    });
  };
  return {
    put: (name, file) => run("readwrite", (s) => s.put(file, `${stepId}:${name}`)).catch(() => {}),
    get: (name) => run("readonly", (s) => s.get(`${stepId}:${name}`)).catch(() => undefined),
    clear: () => run("readwrite", (s) => s.clear()).catch(() => {}),
  };
})();

function setFile(input, blob, name) {
  const files = new DataTransfer();
  files.items.add(blob instanceof File ? blob : new File([blob], name, { type: blob.type || "image/jpeg" }));
  input.files = files.files;
  if (stepId) store.put(input.name, input.files[0]);
}

function clearFile(input) {
  input.value = "";
  if (stepId) store.put(input.name, null);
}

function show(img, blob) {
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(blob);
  img.hidden = false;
}

// ---------------------------------------------------------------- camera
// A camera may start playing a moment before it delivers its first frame (a slow phone, a busy machine):
// wait for it (at most a few seconds), so the first picture is never an empty canvas.
function firstFrame(video) {
  if (video.readyState >= 2 && video.videoWidth) return Promise.resolve();
  return new Promise((resolve) => {
    video.addEventListener("loadeddata", resolve, { once: true });
    setTimeout(resolve, 5000);
  });
}

// One run of `work` per tap: the button is disabled from the tap until the work is done, so a quick second
// tap waits for the first picture instead of racing it.
function onTap(button, work) {
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    button.disabled = true;
    try { await work(); } finally { button.disabled = false; }
  });
}

// The frame as the camera sees it (a selfie is shown mirrored, never uploaded mirrored); null without one.
async function grab(video) {
  await firstFrame(video);
  if (!video.videoWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
}

async function hasCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return false;
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.length === 0 || devices.some((d) => d.kind === "videoinput");
  } catch (_) {
    return true; // let getUserMedia say
  }
}

class Camera {
  constructor(box) {
    this.box = box;
    this.viewport = box.querySelector(".viewport");
    this.video = box.querySelector("video");
    this.status = box.querySelector(".camera-status");
    this.start = box.querySelector("[data-camera-start]");
    this.retake = box.querySelector("[data-retake]");
    this.stream = null;
  }

  async open() {
    this.status.textContent = text.starting;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: this.box.dataset.facing, width: { ideal: 1920 } } });
    } catch (_) {
      this.status.textContent = text.denied;
      return false;
    }
    this.video.srcObject = this.stream;
    this.viewport.hidden = false;
    await this.video.play();
    await firstFrame(this.video);
    this.status.textContent = "";
    this.start.textContent = text.capture;
    return true;
  }

  close() {
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.viewport.hidden = true;
  }
}

// One side of a government ID: camera with a document frame, or an upload; a preview and "Retake" either way.
function setupSide(box, cameraOk) {
  const camera = new Camera(box);
  const fieldset = box.closest("fieldset");
  const input = fieldset.querySelector('input[type="file"]');
  const preview = box.querySelector("img.preview");
  const side = box.dataset.target;
  if (!cameraOk) camera.start.hidden = true;

  const captured = (blob, how) => {
    camera.close();
    show(preview, blob);
    camera.start.hidden = true;
    camera.retake.hidden = false;
    camera.status.textContent = how;
  };
  onTap(camera.start, async () => {
    if (!camera.stream) {
      preview.hidden = true;
      if (!(await camera.open())) camera.start.hidden = true;
      return;
    }
    const blob = await grab(camera.video);
    if (!blob) return;
    setFile(input, blob, `${side}.jpg`);
    captured(blob, text.captured);
    post("document-camera-capture", { side });
    camera.retake.focus();
  });
  onTap(camera.retake, async () => {
    clearFile(input);
    preview.hidden = true;
    camera.retake.hidden = true;
    camera.status.textContent = "";
    camera.start.textContent = text.start;
    if (cameraOk) {
      camera.start.hidden = false;
      if (await camera.open()) camera.start.focus();
      else camera.start.hidden = true;
    } else {
      input.focus();
    }
  });
  input.addEventListener("change", () => {
    const file = input.files[0];
    if (!file) return;
    if (stepId) store.put(input.name, file);
    captured(file, text.chosen.replace("{name}", file.name));
    post("document-upload", { side });
  });
  return { input, restored: (file) => captured(file, text.chosen.replace("{name}", file.name)) };
}

// A selfie: one picture (and a short burst, frames `<pose>-1`, `<pose>-2`) per pose, inside a face oval.
// Without a camera, one upload per pose (`capture="user"` opens the front camera on a phone).
function setupSelfie(box, cameraOk) {
  const camera = new Camera(box);
  const poses = box.dataset.poses.split(" ");
  const poseText = box.querySelector(".pose");
  const shots = box.querySelector(".shots");
  const fallback = box.querySelector(".selfie-upload");
  const submit = form.querySelector("[data-submit]");
  const inputOf = (name) => {
    let input = box.querySelector(`input[name="${name}"]`);
    if (!input) {
      input = document.createElement("input");
      Object.assign(input, { type: "file", name, hidden: true, tabIndex: -1 });
      input.setAttribute("aria-hidden", "true");
      box.append(input);
    }
    return input;
  };
  let index = 0;
  const uploadMode = (why) => {
    camera.close();
    camera.start.hidden = true;
    fallback.hidden = false;
    submit.disabled = false;
    if (why) camera.status.textContent = why;
  };
  if (!cameraOk) {
    uploadMode(text.unavailable);
    return null;
  }
  fallback.hidden = true;
  submit.disabled = true;
  const showPose = () => { poseText.textContent = index < poses.length ? poseText.dataset[poses[index]] : ""; };
  const shot = (pose, blob) => {
    shots.hidden = false;
    show(shots.querySelector(`img[data-shot="${pose}"]`), blob);
  };
  const finished = () => {
    camera.close();
    showPose();
    camera.start.hidden = true;
    camera.retake.hidden = false;
    camera.status.textContent = text.captured;
    submit.disabled = false;
  };
  onTap(camera.start, async () => {
    if (!camera.stream) {
      if (!(await camera.open())) uploadMode(text.denied);
      else showPose();
      return;
    }
    const pose = poses[index];
    const blob = await grab(camera.video);
    if (!blob) return;
    setFile(inputOf(pose), blob, `${pose}.jpg`);
    shot(pose, blob);
    const count = Number(box.dataset.burst || 1);
    for (let i = 1; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const frame = await grab(camera.video);
      if (frame) setFile(inputOf(`${pose}-${i}`), frame, `${pose}-${i}.jpg`);
    }
    post("selfie-camera-capture", { side: pose });
    if (++index < poses.length) {
      showPose();
      return;
    }
    finished();
    submit.focus();
  });
  onTap(camera.retake, async () => {
    index = 0;
    for (const input of box.querySelectorAll('input[type="file"]')) clearFile(input);
    for (const img of shots.querySelectorAll("img")) img.hidden = true;
    shots.hidden = true;
    camera.retake.hidden = true;
    camera.start.hidden = false;
    submit.disabled = true;
    camera.status.textContent = "";
    if (await camera.open()) { showPose(); camera.start.focus(); } else uploadMode(text.denied);
  });
  return {
    restored: (pose, file) => shot(pose, file),
    complete: () => { index = poses.length; finished(); },
  };
}

// ---------------------------------------------------------------- country search and ID type tiles
function setupChoices() {
  const select = document.getElementById("country");
  const group = document.getElementById("id-class-field");
  if (!select || !group) return;
  const search = document.getElementById("country-search");
  const count = document.getElementById("country-count");
  const all = [...select.options].filter((o) => o.value);
  const placeholder = [...select.options].find((o) => !o.value);
  const tiles = [...group.querySelectorAll(".tile")];
  const need = group.querySelector("[data-need-country]");
  const twoSided = new Set(group.dataset.twoSided.split(" "));
  const front = document.querySelector('fieldset[data-side="front"]');
  const back = document.querySelector('fieldset[data-side="back"]');
  const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

  const syncSides = () => {
    const checked = group.querySelector("input:checked");
    front.hidden = !checked;
    back.hidden = !checked || !twoSided.has(checked.value);
  };
  const syncTiles = () => {
    const country = select.value;
    let shown = [];
    for (const tile of tiles) {
      const only = tile.dataset.countries;
      tile.hidden = !country || (only !== "" && !only.split(" ").includes(country));
      if (tile.hidden) tile.querySelector("input").checked = false;
      else shown.push(tile);
    }
    need.hidden = Boolean(country);
    if (shown.length === 1) shown[0].querySelector("input").checked = true;
    syncSides();
  };
  if (all.length > 8) {
    search.closest(".country-search").hidden = false;
    search.addEventListener("input", () => {
      const wanted = fold(search.value.trim());
      const kept = all.filter((o) => !wanted || fold(o.text).includes(wanted) || o.value.toLowerCase() === wanted);
      const current = select.value;
      select.replaceChildren(...(placeholder ? [placeholder] : []), ...kept);
      select.value = kept.some((o) => o.value === current) ? current : (kept.length === 1 ? kept[0].value : "");
      count.textContent = wanted ? (kept.length ? search.dataset.count.replace("{n}", kept.length) : search.dataset.none) : "";
      if (select.value !== current) syncTiles();
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === "ArrowDown") { event.preventDefault(); select.focus(); }
    });
  }
  select.addEventListener("change", syncTiles);
  group.addEventListener("change", syncSides);
  syncTiles();
}

// ---------------------------------------------------------------- start
async function main() {
  setupChoices();
  const cameraOk = await hasCamera();
  const sides = [...document.querySelectorAll(".camera[data-target]")].map((box) => setupSide(box, cameraOk));
  const selfieBox = document.querySelector(".camera.selfie");
  const selfie = selfieBox ? setupSelfie(selfieBox, cameraOk) : null;
  for (const input of document.querySelectorAll('form[data-step="document"] input[type="file"]')) {
    input.addEventListener("change", () => post("document-upload", { side: input.name }));
  }
  if (!form || !stepId) return;
  if (!form.dataset.problem) {
    store.clear(); // a fresh step: nothing to bring back
    return;
  }
  // The step came back with a problem: put back what was chosen, except the file that was refused.
  let missing = 0;
  for (const side of sides) {
    if (side.input.name === form.dataset.problem || side.input.closest("fieldset").hidden) continue;
    const file = await store.get(side.input.name);
    if (file) { setFile(side.input, file, file.name); side.restored(file); } else missing++;
  }
  if (selfieBox) {
    const poses = selfieBox.dataset.poses.split(" ");
    const names = [...poses, ...poses.flatMap((p) => [1, 2].map((i) => `${p}-${i}`))];
    let found = 0;
    for (const name of names) {
      if (poses.includes(form.dataset.problem)) break;
      const file = await store.get(name);
      if (!file) continue;
      let input = selfieBox.querySelector(`input[name="${name}"]`);
      if (!input) {
        input = Object.assign(document.createElement("input"), { type: "file", name, hidden: true, tabIndex: -1 });
        selfieBox.append(input);
      }
      setFile(input, file, file.name);
      if (poses.includes(name)) { found++; if (selfie) selfie.restored(name, file); }
    }
    missing += poses.length - found;
    if (selfie && found === poses.length) selfie.complete();
  }
  const again = document.querySelector("[data-upload-again]");
  if (again && missing === 0) again.textContent = text.kept;
}

main();
