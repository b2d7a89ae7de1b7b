"""Browser fixtures shared by the flow test modules (tests/e2e/conftest.py imports them; module-scoped, so one server and one browser per module)."""

import email
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from flow_support import LiveServer, camera_browser, fake_camera_video, free_port

CODE = re.compile(r"\b(\d{6})\b")

# Browser tests carry one of these marks; tests/e2e/conftest.py hands their needs to flow_support.require_browser
# before each test: skipped, with one line saying what is missing, only on a machine without Chromium (or
# without the npm packages) and OPENIDV_REQUIRE_BROWSER unset; in CI (.ci/run sets it) they fail instead.
needs_chromium = pytest.mark.browser("chromium")
needs_sdk = pytest.mark.browser("chromium", "sdk")  # also Persona's SDK and axe-core from tests/e2e/sdk/node_modules


@pytest.fixture(scope="module")
def server(app):
    live = LiveServer(app).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    with camera_browser(fake_camera_video(tmp_path_factory.mktemp("camera") / "camera.y4m")) as browser:
        yield browser


class Inbox:
    """Messages a real receiver got; `last_code()` is the newest confirmation code."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def wait_for(self, count: int, timeout: float = 10) -> int:
        """Codes go out through the job port, just after the request commits: wait for them."""
        deadline = time.monotonic() + timeout
        while len(self.texts) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.texts)

    def last_code(self) -> str:
        self.wait_for(1)
        return CODE.search(self.texts[-1]).group(1)


@pytest.fixture
def mailbox(monkeypatch, job_worker):  # job_worker: codes go out through the job port
    """A real SMTP server on loopback; the e-mail sender reads OPENIDV_SMTP_URL when it sends."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            inbox.texts.append(email.message_from_bytes(envelope.content).get_payload(decode=True).decode())
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("OPENIDV_SMTP_URL", f"smtp://127.0.0.1:{port}")
    yield inbox
    controller.stop()


@pytest.fixture
def sms_inbox(monkeypatch, job_worker):  # job_worker: codes go out through the job port
    """A loopback HTTP receiver for the `http` SMS provider (signed JSON POSTs)."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            inbox.texts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"])))["body"])
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENIDV_SMS_PROVIDER", "http")
    monkeypatch.setenv("OPENIDV_SMS_HTTP_URL", f"http://127.0.0.1:{httpd.server_address[1]}/sms")
    monkeypatch.setenv("OPENIDV_SMS_HTTP_SECRET", "flow-test-secret")
    yield inbox
    httpd.shutdown()
    httpd.server_close()
