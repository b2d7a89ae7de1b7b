"""One delivery attempt over HTTP: sign, POST (5 s, no redirects), and classify the answer.

No database here: the task reads what it needs, calls `attempt`, and records the outcome.
"""

import base64
import hashlib
import hmac
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from openidv.kit.clock import as_utc, now

ATTEMPTS = 8
# Persona's waits before attempts 2..8 (about n**6 seconds).
DEFAULT_SCHEDULE = (3, 64, 729, 4096, 15625, 46656, 117649)
TIMEOUT_SECONDS = 5.0
MAX_RETRY_AFTER = 3600  # a receiver's Retry-After is honoured up to this many seconds
BODY_LOG_LIMIT = 2000


@dataclass
class Policy:
    """Operator settings, installed by the app or the worker from `Settings`."""

    allow_private_urls: bool = False
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE


policy = Policy()
_client: httpx.Client | None = None  # shared: building a client (its TLS context) costs tens of ms


def _http() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False,
                               limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))
    return _client


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


def standard_webhooks_signature(secrets: list[str], message_id: str, body: bytes, timestamp: int) -> str:
    """Standard Webhooks `webhook-signature`: `v1,<base64 hmac>` over `id.timestamp.body`, keyed by the
    secret's bytes after its prefix."""
    out = []
    for secret in secrets:
        key = secret.split("_", 1)[-1].encode()
        digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
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


def attempt(url: str, body: bytes, *, secrets: list[str], event_id: str, attempts_made: int, first_attempted_at: datetime,
            standard_webhooks: bool) -> Outcome:
    """POST once. `attempts_made` counts this attempt."""
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
        response = _http().post(url, content=body, headers=headers)
        return Outcome(started, response.status_code, int((time.perf_counter() - clock) * 1000), response.text[:BODY_LOG_LIMIT],
                       retry_after=_retry_after(response.headers.get("retry-after")))
    except httpx.HTTPError as exc:
        return Outcome(started, None, int((time.perf_counter() - clock) * 1000), error=f"{type(exc).__name__}: {exc}"[:500])


def configure(settings: Any) -> None:
    """Install the operator's webhook settings (openidv.config.Settings) for this process."""
    policy.allow_private_urls = settings.webhooks_allow_private_urls
    policy.schedule = parse_schedule(settings.webhooks_retry_schedule)
