"""Limits on anonymous inquiry creation: `/verify?inquiry-template-id=…` and `/widget` make an inquiry (and an
account, webhooks, a session) for anyone who asks, so a flood must stop at the door.

Two token buckets are spent by each creation, both must have a token:
- per client IP and environment (`OPENIDV_FLOW_CREATIONS_PER_IP_PER_MINUTE`, default 10): one browser or
  script. Counted per environment so a developer testing in the sandbox never spends the allowance of the
  production users behind the same address (an office NAT);
- per template (`OPENIDV_FLOW_CREATIONS_PER_TEMPLATE_PER_MINUTE`, default 300): all clients together, so many
  addresses cannot flood one production template either.

A bucket holds `limit` tokens and refills at `limit` per minute, so a burst of `limit` is admitted and then
one creation per `60 / limit` seconds. Refused: `FlowError("error.too_many", status=429)`, the SDK's
`application_error`; nothing is created. Opening an existing inquiry (`inquiry-id`, `session-token`, a
one-time link) is not limited here: it creates nothing.

The client IP is the ASGI peer (`request.client.host`). Behind a proxy, run uvicorn with `--proxy-headers`
and `--forwarded-allow-ips=<the proxy>` so the peer is the browser's address, not the proxy's.

**Where the counters live.** In this process (a lock-guarded dict, O(1) per key; full buckets are dropped,
so memory follows the clients of the last minute, at most `MAX_KEYS`). That is exact in embedded mode, which
is one process. In a fleet of N servers each keeps its own buckets, so the effective limits are N times the
settings: divide the settings by N, or route by client address at the load balancer (sticky by IP) so the
per-IP bucket is exact and only the per-template one is N-fold; a shared store (a PostgreSQL row per key
updated with `UPDATE … RETURNING`, or Redis) would replace `Buckets` behind the same `admit()`.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from openidv.config import Settings
from openidv.flow import repository, service
from openidv.inquiries.service import TEMPLATE_KEYS
from openidv.inquiry_templates import service as templates
from openidv.kit.errors import ApiError

WINDOW_SECONDS = 60.0
MAX_KEYS = 100_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class Buckets:
    """Token buckets by key, `limit` per `window` seconds; thread-safe."""

    def __init__(self, limit: int, window: float = WINDOW_SECONDS) -> None:
        self.limit, self.window = max(0, limit), window
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._since_sweep = 0

    def _level(self, bucket: _Bucket, at: float) -> float:
        return min(float(self.limit), bucket.tokens + (at - bucket.at) * self.limit / self.window)

    def available(self, key: str, at: float) -> bool:
        bucket = self._buckets.get(key)
        return bucket is None or self._level(bucket, at) >= 1

    def take(self, key: str, at: float) -> None:
        bucket = self._buckets.get(key)
        level = float(self.limit) if bucket is None else self._level(bucket, at)
        self._buckets[key] = _Bucket(level - 1, at)
        self._since_sweep += 1
        if self._since_sweep >= 1000 or len(self._buckets) > MAX_KEYS:
            self._sweep(at)

    def retry_after(self, key: str, at: float) -> int:
        bucket = self._buckets.get(key)
        if bucket is None or self.limit == 0:
            return int(self.window)
        return max(1, int((1 - self._level(bucket, at)) * self.window / self.limit + 0.999))

    def _sweep(self, at: float) -> None:
        """Full buckets are the same as absent ones; past `MAX_KEYS` the least recently used go too."""
        self._since_sweep = 0
        self._buckets = {k: b for k, b in self._buckets.items() if self._level(b, at) < self.limit}
        if len(self._buckets) > MAX_KEYS:
            kept = sorted(self._buckets.items(), key=lambda item: item[1].at)[-MAX_KEYS // 2:]
            self._buckets = dict(kept)


class CreationLimits:
    """The per-IP and per-template buckets of one process (see the module)."""

    def __init__(self, per_ip: int, per_template: int) -> None:
        self.per_ip, self.per_template = Buckets(per_ip), Buckets(per_template)
        self._lock = threading.Lock()

    def admit(self, ip_key: str, template_key: str, at: float | None = None) -> int | None:
        """Spends one token of each bucket and answers None, or answers the seconds to wait and spends nothing."""
        at = time.monotonic() if at is None else at
        with self._lock:
            if not self.per_ip.available(ip_key, at):
                return self.per_ip.retry_after(ip_key, at)
            if not self.per_template.available(template_key, at):
                return self.per_template.retry_after(template_key, at)
            self.per_ip.take(ip_key, at)
            self.per_template.take(template_key, at)
            return None


_by_settings: dict[int, tuple[Settings, CreationLimits]] = {}
_lock = threading.Lock()


def limits_for(settings: Settings) -> CreationLimits:
    """This process's limits for these settings (one set per app; tests build several apps)."""
    with _lock:
        found = _by_settings.get(id(settings))
        if found is None or found[0] is not settings:
            found = (settings, CreationLimits(settings.flow_creations_per_ip_per_minute, settings.flow_creations_per_template_per_minute))
            _by_settings[id(settings)] = found
        return found[1]


def _template_key(db: Session, template_ref: str) -> tuple[str, str]:
    """(environment id, template id) of an `itmpl_`/`tmpl_`/`itmplv_` reference; an unknown reference counts
    under its own name (the entry answers 404 after, but the attempt still spends the IP's tokens)."""
    environment_id = repository.environment_of_template(db, template_ref)
    if environment_id is None:
        return "-", template_ref
    key = "inquiry-template-version-id" if template_ref.startswith("itmplv_") else "inquiry-template-id"
    try:
        template, _version = templates.resolve_for_inquiry(db, environment_id, template_ref, key)
    except ApiError:
        return environment_id, template_ref
    return environment_id, template.id


def admit_creation(db: Session, settings: Settings, client_ip: str | None, params: dict[str, Any]) -> None:
    """Called by the flow's entry before it creates an inquiry from `params` (the entry's query); raises
    `FlowError` (429) past a limit."""
    template_ref = next((str(params[k]) for k in TEMPLATE_KEYS if params.get(k)), "")
    environment_id, template_id = _template_key(db, template_ref)
    wait = limits_for(settings).admit(f"{environment_id}|{client_ip or '-'}", template_id)
    if wait is not None:
        raise service.FlowError("error.too_many", status=429, code="application_error", seconds=wait)
