"""Real receivers on loopback for the senders: an SMTP server (aiosmtpd) and an HTTP server that
takes Twilio-shaped requests, plus helpers that drive a verification through the API."""

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jsonschema
import pytest
from aiosmtpd.controller import Controller
from verification_support import CODE, SPEC, Mailbox, free_port

from openidv.kit.db import session_factory
from openidv.verifications import tasks


@pytest.fixture
def smtp_server(monkeypatch):
    mailbox = Mailbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        login = (auth_data.login.decode(), auth_data.password.decode())
        mailbox.logins.append(login)
        return AuthResult(success=login == ("mailer", "s3cret"))

    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    monkeypatch.setenv("OPENIDV_SMTP_URL", f"smtp://mailer:s3cret@127.0.0.1:{port}")
    monkeypatch.setenv("OPENIDV_EMAIL_FROM", "Verify <verify@example.test>")
    yield mailbox
    controller.stop()


# ---------------------------------------------------------------- HTTP (Twilio-shaped)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def basic_auth(self) -> tuple[str, str]:
        scheme, _, value = self.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password


@dataclass
class HttpReceiver:
    url: str
    requests: list[Received]
    status: list[int]  # answers to give, in order (then 201)

    def last_code(self) -> str:
        last = self.requests[-1]
        text = last.form.get("Body") if "x-www-form-urlencoded" in last.headers.get("content-type", "") else json.loads(last.body)["body"]
        return CODE.search(text).group(1)


@pytest.fixture
def http_receiver():
    requests: list[Received] = []
    status: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            code = status.pop(0) if status else 201
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"sid": "SM123", "status": "queued"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield HttpReceiver(f"http://127.0.0.1:{server.server_address[1]}", requests, status)
    server.shutdown()
    server.server_close()


@pytest.fixture
def twilio(http_receiver, monkeypatch):
    monkeypatch.setenv("OPENIDV_SMS_PROVIDER", "twilio")
    monkeypatch.setenv("OPENIDV_TWILIO_ACCOUNT_SID", "AC0123456789")
    monkeypatch.setenv("OPENIDV_TWILIO_AUTH_TOKEN", "tok3n")
    monkeypatch.setenv("OPENIDV_TWILIO_FROM", "+15005550006")
    monkeypatch.setenv("OPENIDV_TWILIO_BASE_URL", http_receiver.url)
    return http_receiver


# ---------------------------------------------------------------- driving the API


@pytest.fixture
def run_jobs(engine):
    """Run the send job for a verification (what the job port does after the request commits)."""
    writer = session_factory(engine, writer=True)

    def send(verification_id: str) -> bool:
        return tasks.send_confirmation(verification_id, sessions=writer)

    def time_out(verification_id: str) -> bool:
        return tasks.time_out_confirmation(verification_id, sessions=writer)

    send.time_out = time_out  # type: ignore[attr-defined]
    return send


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    with open(SPEC) as f:
        return json.load(f)


@pytest.fixture
def valid(spec):
    """Assert a resource object validates against a schema of Persona's spec."""

    def check(resource: dict[str, Any], schema_name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        jsonschema.validate(resource, schema, cls=jsonschema.Draft202012Validator)

    return check


class Api:
    """Small helpers over the test client."""

    def __init__(self, client) -> None:
        self.client = client

    def new_inquiry(self, template_id: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        attributes: dict[str, Any] = {"inquiry-template-id": template_id}
        if fields:
            attributes["fields"] = fields
        made = self.client.post("/api/v1/inquiries", json={"data": {"attributes": attributes}})
        assert made.status_code == 201, made.text
        return made.json()["data"]

    def inquiry(self, inquiry_id: str) -> dict[str, Any]:
        return self.client.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["attributes"]


@pytest.fixture
def api(client) -> Api:
    return Api(client)
