"""One delivery attempt over HTTP: sign, POST (5 s, no redirects), and classify the answer.

No database here: the task reads what it needs, calls `attempt`, and records the outcome.
"""

import base64
import binascii
import contextvars
import hashlib
import hmac
import random
import re
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpcore
import httpx

from openidv.kit.clock import as_utc, now
from openidv.webhooks.ssrf import Target, vet

ATTEMPTS = 8
# Persona's waits before attempts 2..8 (about n**6 seconds).
DEFAULT_SCHEDULE = (3, 64, 729, 4096, 15625, 46656, 117649)
TIMEOUT_SECONDS = 5.0
MAX_RETRY_AFTER = 3600  # a receiver's Retry-After is honoured up to this many seconds
BODY_LOG_LIMIT = 2000
_BASE64 = re.compile(r"[A-Za-z0-9+/]+=*")


@dataclass
class Policy:
    """Operator settings, installed by the app or the worker from `Settings`."""

    allow_private_urls: bool = False
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE


policy = Policy()
_client: httpx.Client | None = None  # shared: building a client (its TLS context) costs tens of ms
_pinned: contextvars.ContextVar[tuple[str, Target] | None] = contextvars.ContextVar("webhook_target", default=None)


class _PinnedBackend(httpcore.SyncBackend):
    """Opens a connection only to the addresses the SSRF guard vetted for this attempt's host, never by
    resolving the name again (DNS rebinding). TLS still verifies the certificate against the URL's host
    (SNI and Host stay the URL's)."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        pinned = _pinned.get()
        if pinned is None or pinned[0] != host or not pinned[1].addresses:
            raise httpcore.ConnectError(f"no vetted address for {host}")
        error: Exception | None = None
        for address in pinned[1].addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error


class PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool whose connections go to vetted addresses only. A kept-alive
    connection is reused for its own host only, and it was opened to an address vetted then."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend())


def _http() -> httpx.Client:
    global _client
    if _client is None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        _client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False, transport=PinnedTransport(limits))
    return _client


@contextmanager
def _pinned_to(url: str, target: Target) -> Iterator[None]:
    token = _pinned.set((httpx.URL(url).raw_host.decode("ascii"), target))
    try:
        yield
    finally:
        _pinned.reset(token)


def request_vetted(method: str, url: str, *, body: bytes | None, headers: dict[str, str]) -> httpx.Response:
    """A request to a URL someone configured (a workflow's call-http step) behind the webhooks' SSRF guard: resolved
    once, every address checked, the connection pinned to them; no redirects, the webhooks' timeout."""
    target = vet(url, allow_private=policy.allow_private_urls)
    with _pinned_to(url, target):
        return _http().request(method, url, content=body, headers=headers)


def parse_schedule(text: str | None) -> tuple[float, ...]:
    if not text:
        return DEFAULT_SCHEDULE
    waits = tuple(float(part) for part in text.split(",") if part.strip())
    if not waits or any(w < 0 for w in waits):
        raise ValueError("OPENIDV_WEBHOOKS_RETRY_SCHEDULE must be comma-separated non-negative seconds")
    return waits


def attempts_total() -> int:
    return len(policy.schedule) + 1


def next_wait(attempts_made: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after `attempts_made` attempts, or None when none is left."""
    if attempts_made >= attempts_total():
        return None
    base = policy.schedule[attempts_made - 1]
    wait = base * random.uniform(0.9, 1.1)  # jitter spreads retries of many deliveries
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


def live_secrets(secrets: list[dict[str, Any]], at: datetime) -> list[str]:
    values = []
    for secret in secrets:
        expires = secret.get("expires-at")
        if expires is None or as_utc(datetime.fromisoformat(expires.replace("Z", "+00:00"))) > at:
            values.append(secret["value"])
    return values


def persona_signature(secrets: list[str], body: bytes, timestamp: int) -> str:
    """`t=<unix>,v1=<hex hmac>`, one pair per live secret (newest first) joined by a space."""
    pairs = []
    for secret in secrets:
        digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        pairs.append(f"t={timestamp},v1={digest}")
    return " ".join(pairs)


def standard_webhooks_key(secret: str) -> bytes:
    """The Standard Webhooks signing key of a `wbhsec_…` secret: the base64 after the prefix, decoded as the
    specification's reference library decodes `whsec_` + that base64. Secrets made before openidv generated
    base64 ones (url-safe, with `-` or `_`) keep their former key, the UTF-8 bytes after the prefix."""
    rest = secret.split("_", 1)[-1]
    if _BASE64.fullmatch(rest):
        try:
            return base64.b64decode(rest + "==")
        except (binascii.Error, ValueError):
            pass
    return rest.encode()


def standard_webhooks_signature(secrets: list[str], message_id: str, body: bytes, timestamp: int) -> str:
    """Standard Webhooks `webhook-signature`: `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`, keyed
    by the base64-decoded secret after its prefix; one per live secret, joined by a space."""
    out = []
    for secret in secrets:
        digest = hmac.new(standard_webhooks_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        out.append("v1," + base64.b64encode(digest).decode())
    return " ".join(out)


@dataclass
class Outcome:
    at: datetime
    status_code: int | None = None
    duration_ms: int = 0
    body: str = ""
    error: str | None = None
    retry_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def log_entry(self, attempt: int) -> dict[str, Any]:
        return {"attempt": attempt, "at": self.at.isoformat(), "status-code": self.status_code, "duration-ms": self.duration_ms,
                "response-body": self.body, "error": self.error}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def attempt(url: str, target: Target, body: bytes, *, secrets: list[str], event_id: str, attempts_made: int, first_attempted_at: datetime,
            standard_webhooks: bool) -> Outcome:
    """POST once, connecting only to `target`'s vetted addresses. `attempts_made` counts this attempt."""
    started = now()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "openidv-webhooks",
        "Persona-Signature": persona_signature(secrets, body, timestamp),
        "Persona-Webhook-Attempts-Made": str(attempts_made),
        "Persona-Webhook-Attempts-Left": str(attempts_total() - attempts_made),
        "Persona-Webhook-First-Attempted-At": str(int(first_attempted_at.timestamp())),
    }
    if standard_webhooks:
        headers |= {"webhook-id": event_id, "webhook-timestamp": str(timestamp),
                    "webhook-signature": standard_webhooks_signature(secrets, event_id, body, timestamp)}
    clock = time.perf_counter()
    try:
        with _pinned_to(url, target):
            response = _http().post(url, content=body, headers=headers)
        return Outcome(started, response.status_code, int((time.perf_counter() - clock) * 1000), response.text[:BODY_LOG_LIMIT],
                       retry_after=_retry_after(response.headers.get("retry-after")))
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(started, None, int((time.perf_counter() - clock) * 1000), error=f"{type(exc).__name__}: {exc}"[:500])


def configure(settings: Any) -> None:
    """Install the operator's webhook settings (openidv.config.Settings) for this process."""
    policy.allow_private_urls = settings.webhooks_allow_private_urls
    policy.schedule = parse_schedule(settings.webhooks_retry_schedule)
