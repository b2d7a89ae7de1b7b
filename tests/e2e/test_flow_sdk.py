"""The embedded flow driven by the unmodified official `persona` npm SDK (UMD build) from a parent page on
another site (127.0.0.1) with `customHost: 'localhost:<port>'` (COMPAT.md §10, §11), third-party cookies blocked:
the frame lives on the pass in its URL, never on a cookie."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest
from flow_support import SDK_DIR, free_port
from flow_support.fixtures import needs_sdk

pytestmark = needs_sdk

PARENT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>parent</title></head><body>
<script src="/persona.js"></script>
<script>
const q = new URLSearchParams(location.search);
window.events = [];
window.origins = [];
window.addEventListener("message", (e) => origins.push(e.origin));
window.client = new Persona.Client({
  templateId: q.get("tid"),
  environmentId: q.get("env"),
  referenceId: "sdk-user",
  customHost: q.get("host"),
  onLoad: () => events.push({type: "load"}),
  onReady: () => { events.push({type: "ready"}); client.open(); },
  onEvent: (name, metadata) => events.push({type: "event", name, metadata}),
  onComplete: (result) => events.push({type: "complete", ...result}),
  onCancel: (result) => events.push({type: "cancel", ...result}),
  onError: (error) => events.push({type: "error", error}),
});
</script></body></html>"""

# Served from localhost:<parent port>: another origin than the flow's `localhost:<port>`, so the SDK must drop it.
FORGED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head><body><script>
const q = new URLSearchParams(location.search);
parent.postMessage({name: "complete", templateId: q.get("tid"), metadata: {inquiryId: "inq_forged", status: "completed", fields: {}}}, "*");
</script></body></html>"""


class _Parent(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/persona.js":
            body, kind = (SDK_DIR / "persona" / "dist" / "persona.js").read_bytes(), "application/javascript; charset=utf-8"
        elif path == "/forged.html":
            body, kind = FORGED.encode(), "text/html; charset=utf-8"
        else:
            body, kind = PARENT.encode(), "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def parent():
    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), _Parent)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    yield context.new_page()
    context.close()


def _events(page, kind: str) -> list[dict]:
    return page.evaluate(f"events.filter(e => e.type === {kind!r})")


def _open(page, parent: int, server, world) -> dict:
    query = urlencode({"tid": world.templates["Phone"], "env": world.sandbox_id, "host": f"localhost:{server.port}"})
    page.goto(f"http://127.0.0.1:{parent}/?{query}")
    page.wait_for_function("events.some(e => e.type === 'event' && e.name === 'start')")
    kinds = [e["type"] for e in page.evaluate("events")]
    assert kinds.index("load") < kinds.index("ready")
    (start,) = [e for e in _events(page, "event") if e["name"] == "start"]
    return start["metadata"]


def test_official_sdk_load_ready_start_complete_match_the_api(page, parent, server, world, sms_inbox):
    started = _open(page, parent, server, world)
    src = page.locator("iframe.persona-widget__iframe").get_attribute("src")
    assert src.startswith(f"http://localhost:{server.port}/widget?") and f"inquiry-template-id={world.templates['Phone']}" in src

    # a forged `complete` from another origin reaches the parent window but not onComplete
    page.evaluate(f"""() => {{ const f = document.createElement('iframe');
        f.src = 'http://localhost:{parent}/forged.html?tid={world.templates['Phone']}'; document.body.appendChild(f); }}""")
    page.wait_for_function(f"origins.includes('http://localhost:{parent}')")
    # the flow's frame is a third-party one here: the browser gives it no cookies
    frame = next(f for f in page.frames if f.url.startswith(f"http://localhost:{server.port}/"))
    assert frame.evaluate("document.hasStorageAccess()") is False

    flow = page.frame_locator("iframe.persona-widget__iframe")
    # The SDK animates its modal in; a click during the animation can land beside the moving checkbox.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    flow.get_by_role("checkbox").check()
    flow.get_by_role("button", name="Continue").click()
    flow.get_by_label("Your mobile phone number").fill("+14155550123")
    flow.get_by_role("button", name="Submit").click()
    flow.get_by_label("6-digit code").wait_for()
    flow.get_by_label("6-digit code").fill(sms_inbox.last_code())
    flow.get_by_role("button", name="Submit").click()
    page.wait_for_function("events.some(e => e.type === 'complete')")

    (complete,) = _events(page, "complete")  # the forged one never arrived
    assert complete["inquiryId"] == started["inquiryId"]
    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"})
    inquiry = api.get(f"/inquiries/{complete['inquiryId']}").json()["data"]
    assert complete["status"] == inquiry["attributes"]["status"] == "completed"
    assert complete["fields"] == inquiry["attributes"]["fields"]
    assert inquiry["attributes"]["reference-id"] == "sdk-user"
    assert _events(page, "error") == []


def test_official_sdk_cancel(page, parent, server, world):
    started = _open(page, parent, server, world)
    page.evaluate("client.cancel(true)")
    page.wait_for_function("events.some(e => e.type === 'cancel')")
    (cancel,) = _events(page, "cancel")
    assert cancel["inquiryId"] == started["inquiryId"]
    assert isinstance(cancel["sessionToken"], str) and cancel["sessionToken"].count(".") == 2
    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"})
    names = [e["attributes"]["name"] for e in api.get("/events?filter[name]=inquiry-session.canceled").json()["data"]]
    assert names == ["inquiry-session.canceled"]
    # the token the SDK handed back resumes the same inquiry
    resumed = httpx.get(f"{server.url}/verify", params={"inquiry-id": cancel["inquiryId"], "session-token": cancel["sessionToken"]})
    assert resumed.status_code == 303


def test_official_sdk_gets_onerror_for_an_inactive_template(page, parent, server, world):
    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"})
    assert api.patch(f"/inquiry-templates/{world.templates['Phone']}", json={"data": {"attributes": {"status": "inactive"}}}).status_code == 200
    query = urlencode({"tid": world.templates["Phone"], "env": world.sandbox_id, "host": f"localhost:{server.port}"})
    page.goto(f"http://127.0.0.1:{parent}/?{query}")
    page.wait_for_function("events.some(e => e.type === 'error')")
    (error,) = _events(page, "error")
    assert error["error"]["status"] == 422 and error["error"]["code"] == "inactive_template"
    assert api.get("/inquiries").json()["data"] == []
