// openidv flow: Persona SDK postMessage contract (COMPAT.md §10) and camera capture. No dependencies.
export const data = JSON.parse(document.getElementById("flow-data").textContent);
const embed = data.embed;
const text = data.text;

// ---------------------------------------------------------------- SDK messages (iframe -> parent)
export function post(name, metadata, error) {
  if (!embed || !embed.target_origin || window.parent === window) return;
  window.parent.postMessage({
    name,
    containerId: embed.container_id,
    templateId: embed.template_id,
    templateVersionId: embed.template_version_id,
    metadata: metadata || {},
    error: error || null,
  }, embed.target_origin);
}

async function exitFlow() {
  if (data.csrf) {
    const body = new FormData();
    body.append("csrf", data.csrf);
    try { await fetch(data.cancelUrl, { method: "POST", body, credentials: "same-origin" }); } catch (_) { /* still tell the parent */ }
  }
  post("exit", { inquiryId: data.inquiryId, sessionToken: data.sessionToken });
}

if (embed) {
  window.addEventListener("message", (event) => {
    // Only the parent that framed us, from the origin it told us about.
    if (event.source !== window.parent || event.origin !== embed.target_origin) return;
    const action = event.data && event.data.action;
    if (action === "open") post("start", { inquiryId: data.inquiryId });
    else if (action === "exit") exitFlow();
  });
  if (location.hash === "#load") {
    history.replaceState(null, "", location.pathname);
    post("load");
    post("ready", {
      preferredDimensions: { minimumWidth: 360, maximumWidth: 560, minimumHeight: 600, maximumHeight: 800 },
      styles: { borderRadius: "12px" },
    });
  }
  post("page-change", { pathname: location.pathname, pageHeight: document.documentElement.scrollHeight });
  if (data.sdk && data.sdk.event) post(data.sdk.event, data.sdk.metadata);
  if (data.sdk && data.sdk.error) post("error", {}, data.sdk.error);
  for (const button of document.querySelectorAll("[data-exit]")) button.addEventListener("click", exitFlow);
}

// ---------------------------------------------------------------- waiting pages: follow the inquiry
// The processing screen waits for the checks' job; the hand-off page follows the phone to the end.
if (data.follow) {
  const follow = data.follow;
  const tick = async () => {
    try {
      const answer = await fetch(follow.status, { credentials: "same-origin", cache: "no-store" });
      if ((await answer.json()).state !== follow.state) { location.replace(follow.next); return; }
    } catch (_) { /* try again on the next tick */ }
    setTimeout(tick, 250);
  };
  setTimeout(tick, 250);
}

// ---------------------------------------------------------------- one submission per form
// A second tap while the first is on its way would spend an attempt: the button stays disabled until the
// next page (the server also accepts one submission per step).
for (const form of document.querySelectorAll("form[method=post]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    for (const button of form.querySelectorAll("button[type=submit], [data-submit]")) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    }
  });
}
