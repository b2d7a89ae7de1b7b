// The case page's evidence: zoom and rotate each picture (the CSP allows no inline script).
document.addEventListener("click", (event) => {
  const button = event.target.closest("figure.evidence button[data-act]");
  if (!button) return;
  const img = button.closest("figure").querySelector("img");
  const zoom = Number(img.dataset.zoom || 1);
  const turn = Number(img.dataset.turn || 0);
  const act = button.dataset.act;
  img.dataset.zoom = String(act === "zoom-in" ? Math.min(zoom * 1.5, 6) : act === "zoom-out" ? Math.max(zoom / 1.5, 1) : zoom);
  img.dataset.turn = String(act === "rotate" ? (turn + 90) % 360 : turn);
  img.style.transform = `scale(${img.dataset.zoom}) rotate(${img.dataset.turn}deg)`;
  img.closest(".frame").classList.toggle("zoomed", Number(img.dataset.zoom) > 1);
});

// The ID's portrait: the face found on the ID's front (`data-box`, in the photo shrunk to 2000 px as the checks
// read it), framed with some margin.
function framePortrait(img) {
  const [x, y, w, h] = img.dataset.box.split(",").map(Number);
  const longest = Math.max(img.naturalWidth, img.naturalHeight);
  const k = longest > 2000 ? longest / 2000 : 1;
  const frame = img.closest(".frame");
  const bw = w * 1.9 * k, bh = h * 2.2 * k;
  const scale = Math.min(frame.clientWidth / bw, frame.clientHeight / bh);
  const cx = (x + w / 2) * k, cy = (y + h / 2) * k;
  img.classList.add("portrait");
  img.style.width = `${img.naturalWidth * scale}px`;
  img.style.left = `${frame.clientWidth / 2 - cx * scale}px`;
  img.style.top = `${frame.clientHeight / 2 - cy * scale}px`;
}
for (const img of document.querySelectorAll("img[data-box]")) {
  if (img.complete && img.naturalWidth) framePortrait(img);
  else img.addEventListener("load", () => framePortrait(img));
}
