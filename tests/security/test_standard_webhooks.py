"""Issue 17, "Standard Webhooks signatures don't verify with the official library": a real receiver on loopback
verifies `webhook-id`, `webhook-timestamp` and `webhook-signature` with the `standardwebhooks` package, given
the webhook's secret as `whsec_` + the part after `wbhsec_`, and answers 400 when they don't verify. During a
rotation either secret verifies. Persona-Signature is unchanged (COMPAT.md §8)."""

import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook as StandardWebhook, WebhookVerificationError

from openidv.webhooks import delivery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))
from webhook_receiver import signature_ok

API = "/api/v1"


def standard_secret(secret: str) -> str:
    return "whsec_" + secret.removeprefix("wbhsec_")


class VerifyingReceiver:
    """Answers 204 when every configured secret verifies the request with `standardwebhooks`, else 400."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.results: list[tuple[dict[str, str], bytes, list[bool]]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verdicts = []
                for secret in receiver.secrets:
                    try:
                        StandardWebhook(standard_secret(secret)).verify(raw, headers)
                        verdicts.append(True)
                    except WebhookVerificationError:
                        verdicts.append(False)
                with receiver.arrived:
                    receiver.results.append((headers, raw, verdicts))
                    receiver.arrived.notify_all()
                self.send_response(204 if verdicts and all(verdicts) else 400)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[dict[str, str], bytes, list[bool]]]:
        deadline = time.time() + timeout
        with self.arrived:
            while len(self.results) < count:
                assert self.arrived.wait(max(0.0, deadline - time.time())), f"expected {count} deliveries, got {len(self.results)}"
            return list(self.results)


@pytest.fixture
def receiver() -> Iterator[VerifyingReceiver]:
    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True  # the receiver is on loopback
    r = VerifyingReceiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
    delivery.policy.allow_private_urls = saved


def _new_inquiry(client, world) -> None:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    assert client.post(f"{API}/inquiries", json=body).status_code == 201


def _delivery_status(client, webhook_id: str, timeout: float = 15) -> str:
    deadline = time.time() + timeout
    while True:
        rows = client.get(f"{API}/webhooks/{webhook_id}/deliveries").json()["data"]
        if rows and rows[0]["attributes"]["attempts"]:
            return str(rows[0]["attributes"]["status"])
        assert time.time() < deadline
        time.sleep(0.05)


def test_standard_webhooks_headers_verify_with_the_official_package(client, world, job_worker, receiver) -> None:
    made = client.post(f"{API}/webhooks", json={"data": {"attributes": {
        "name": "standard", "url": receiver.url, "enabled-events": ["inquiry.created"], "standard-webhooks": True}}})
    assert made.status_code == 201, made.text
    webhook_id, first = made.json()["data"]["id"], made.json()["data"]["attributes"]["secret"]
    receiver.secrets = [first]
    _new_inquiry(client, world)
    ((headers, raw, verdicts),) = receiver.wait_for(1)
    assert verdicts == [True], headers
    assert headers["webhook-id"].startswith("evt_") and abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert signature_ok(headers["persona-signature"], raw, [first])  # Persona's signature, as before
    assert _delivery_status(client, webhook_id) == "succeeded"

    rotated = client.post(f"{API}/webhooks/{webhook_id}/rotate-secret").json()["data"]["attributes"]["secret"]
    receiver.secrets = [first, rotated]  # both sign until the old one expires: a receiver holding either verifies
    _new_inquiry(client, world)
    _, (headers, raw, verdicts) = receiver.wait_for(2)
    assert verdicts == [True, True], headers
    assert len(headers["webhook-signature"].split(" ")) == 2 and all(s.startswith("v1,") for s in headers["webhook-signature"].split(" "))
    assert signature_ok(headers["persona-signature"], raw, [first]) and signature_ok(headers["persona-signature"], raw, [rotated])


def test_a_tampered_body_does_not_verify(client, world, job_worker, receiver) -> None:
    """The receiver's check is a real one: the same headers over another body fail."""
    made = client.post(f"{API}/webhooks", json={"data": {"attributes": {
        "name": "standard", "url": receiver.url, "enabled-events": ["inquiry.created"], "standard-webhooks": True}}})
    receiver.secrets = [made.json()["data"]["attributes"]["secret"]]
    _new_inquiry(client, world)
    ((headers, raw, verdicts),) = receiver.wait_for(1)
    assert verdicts == [True]
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(standard_secret(receiver.secrets[0])).verify(raw.replace(b"inquiry", b"inquirx", 1), headers)
