"""Issue 17, "Webhook SSRF by DNS rebinding": a delivery connects to the address the guard vetted, never to
what the name resolves to a moment later, and every notation of a private address is refused, at creation
and before each attempt.

The rebinding resolver is a real DNS server on loopback (UDP, dnspython's wire format); the process's
resolver (`socket.getaddrinfo`, which both the guard and an HTTP client would call) asks it for names
under `rebind.test`, as a system resolver pointed at an attacker's name server would."""

import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.message
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from openidv.webhooks import delivery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))
from webhook_receiver import Receiver

API = "/api/v1"
PUBLIC = "1.1.1.1"  # a public address: the vetted one; nothing of the test's listens there
ZONE = "rebind.test"
FAST = "0.2,0.2,0.2,0.2,0.2,0.2,0.2"


class RebindingDns:
    """Answers A queries under ZONE with TTL 0: PUBLIC to the first `public_answers` queries, then 127.0.0.1."""

    def __init__(self, public_answers: int) -> None:
        self.public_answers = public_answers
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _serve(self) -> None:
        while self.running:
            try:
                wire, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            answer = dns.message.make_response(query)
            question = query.question[0]
            if question.rdtype == dns.rdatatype.A and question.name.to_text().rstrip(".").endswith(ZONE):
                self.queries += 1
                address = PUBLIC if self.queries <= self.public_answers else "127.0.0.1"
                answer.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
            self.sock.sendto(answer.to_wire(), peer)

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[RebindingDns]:
    """The process resolves names under ZONE through the rebinding server (public twice: the check at
    creation and the one before the first attempt; then loopback)."""
    server = RebindingDns(public_answers=2)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = server.port
    resolver.lifetime = 2
    system = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.rstrip(".").endswith(ZONE):
            return system(host, port, *args, **kwargs)
        answers = resolver.resolve(name, "A", search=False)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a.address, int(port or 0))) for a in answers]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield server
    server.close()


@pytest.fixture
def guarded() -> Iterator[None]:
    """The production default: private URLs refused; a fast retry schedule."""
    saved = (delivery.policy.allow_private_urls, delivery.policy.schedule)
    delivery.policy.allow_private_urls = False
    delivery.policy.schedule = delivery.parse_schedule(FAST)
    yield
    delivery.policy.allow_private_urls, delivery.policy.schedule = saved


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _webhook(client, url: str) -> Any:
    body = {"data": {"attributes": {"name": "ssrf", "url": url, "enabled-events": ["inquiry.created"]}}}
    return client.post(f"{API}/webhooks", json=body)


def _new_inquiry(client, world) -> None:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    assert client.post(f"{API}/inquiries", json=body).status_code == 201


def _attempts(client, webhook_id: str, at_least: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The attempts logged on the webhook's one delivery, once there are `at_least` of them."""
    deadline = time.time() + timeout
    while True:
        rows = client.get(f"{API}/webhooks/{webhook_id}/deliveries").json()["data"]
        attempts = rows[0]["attributes"]["attempts"] if rows else []
        if len(attempts) >= at_least:
            return list(attempts)
        assert time.time() < deadline, f"{webhook_id}: {attempts}"
        time.sleep(0.05)


def test_rebinding_resolver_never_reaches_the_loopback_receiver(client, world, job_worker, guarded, rebinding, receiver) -> None:
    port = receiver.server.server_address[1]
    made = _webhook(client, f"http://hook.{ZONE}:{port}/hook")
    assert made.status_code == 201, made.text  # the check at creation saw the public address
    _new_inquiry(client, world)
    attempts = _attempts(client, made.json()["data"]["id"], 3)
    # The first attempt went to the vetted public address (nothing listens there); later checks saw 127.0.0.1.
    assert attempts[0]["status-code"] is None and not attempts[0]["error"].startswith("refused")
    assert all(a["error"].startswith("refused") for a in attempts[1:3]), attempts
    assert receiver.received == []


def _private_forms(port: int) -> list[str]:
    return [f"http://{host}:{port}/hook" for host in (
        "[::127.0.0.1]",  # IPv4-compatible
        "[::ffff:127.0.0.1]",  # IPv4-mapped
        "[::ffff:0:7f00:1]",  # SIIT IPv4-translated
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b:1::808:808]",  # local-use NAT64 (RFC 8215)
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
        "[fe80::1]",  # link-local
        "[fd00::1]",  # unique-local
        "[fd00:ec2::254]",  # a cloud metadata address
        "2130706433",  # 127.0.0.1 in decimal
        "0177.0.0.1",  # octal
        "127.1",  # short
        "0x7f.1",  # hex
    )]


def test_odd_forms_of_private_addresses_refused_at_creation(client, world, guarded) -> None:
    for url in _private_forms(8080):
        answer = _webhook(client, url)
        assert answer.status_code == 422, (url, answer.text)
        assert "private" in answer.json()["errors"][0]["details"], url
    # A public receiver behind NAT64 (an IPv6-only network) is fine; a public address in an odd notation is not.
    assert _webhook(client, "https://[64:ff9b::808:808]/hook").status_code == 201
    assert _webhook(client, "https://134744072/hook").status_code == 422


def test_odd_forms_of_private_addresses_refused_at_delivery(client, world, job_worker, guarded, receiver) -> None:
    """Webhooks saved while the operator allowed private URLs, then the guard turned back on: every attempt
    is refused before any connection, and the loopback receiver hears nothing."""
    delivery.policy.allow_private_urls = True
    hooks = {}
    for url in _private_forms(receiver.server.server_address[1]):
        made = _webhook(client, url)
        assert made.status_code == 201, (url, made.text)
        hooks[url] = made.json()["data"]["id"]
    delivery.policy.allow_private_urls = False
    _new_inquiry(client, world)
    for url, webhook_id in hooks.items():
        (first, *_) = _attempts(client, webhook_id, 1)
        assert first["error"].startswith("refused") and "private" in first["error"], (url, first)
    assert receiver.received == []
