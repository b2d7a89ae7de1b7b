"""Prometheus metrics, in a registry of openidv's own (nothing goes to prometheus_client's global one).

Each process exposes its own figures: `openidv serve` at `/metrics`, each `openidv worker` on
`OPENIDV_METRICS_PORT`. The job queue's gauges are read from the jobs table when scraped, so every process
reports the same queue (aggregate them with max, not sum). Labels carry route templates, job names,
verification kinds and outcomes: never an id, a raw path or anything personal.
"""

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from openidv.kit.clock import now
from openidv.operations import repository

log = logging.getLogger("openidv.operations")
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # CPU, memory and open files of this process
CONTENT_TYPE = CONTENT_TYPE_LATEST
LONG_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600)

HTTP_DURATION = Histogram("openidv_http_request_duration_seconds", "Time to answer an HTTP request, by route template and status",
                          ("method", "route", "status"), registry=REGISTRY)
JOB_DURATION = Histogram("openidv_job_duration_seconds", "Time a job's run took, by job name and outcome (succeeded, retrying, failed: gave up)",
                         ("kind", "outcome"), buckets=(0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300), registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter("openidv_webhook_deliveries", "Webhook deliveries concluded, by outcome (succeeded, failed, canceled)",
                             ("outcome",), registry=REGISTRY)
WEBHOOK_DELAY = Histogram("openidv_webhook_delivery_delay_seconds", "From a delivery's enqueueing to the receiver's 2xx (first round only)",
                          buckets=LONG_BUCKETS, registry=REGISTRY)
VERIFICATIONS = Counter("openidv_verifications", "Verifications concluded, by kind and outcome (passed, failed, requires_retry, canceled)",
                        ("kind", "outcome"), registry=REGISTRY)
VERIFICATION_DURATION = Histogram("openidv_verification_duration_seconds", "From a verification's submission to its conclusion, by kind and outcome",
                                  ("kind", "outcome"), buckets=LONG_BUCKETS, registry=REGISTRY)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


_request_children: dict[tuple[str, str, int], Any] = {}  # labels() costs as much as observe(): each child looked up once


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method if method in METHODS else "other", route, status)  # any method a client invents counts as "other"
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = HTTP_DURATION.labels(key[0], route, str(status))
    child.observe(seconds)


def job_ran(name: str, outcome: str, seconds: float) -> None:
    """The job runtime's report of one run: `outcome` is succeeded, retrying or failed (its last attempt)."""
    JOB_DURATION.labels(name, outcome).observe(seconds)


# -- lifecycle observers (listed in openidv.wiring.OBSERVERS); counted once their transaction commits --------

_PENDING = "openidv.operations.pending"
VERIFICATION_CONCLUSIONS = frozenset({"pass", "fail", "require_retry", "cancel"})
DELIVERY_CONCLUSIONS = frozenset({"succeed", "fail", "cancel"})


def _when_committed(session: Session, record: Callable[[], None]) -> None:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        sa_event.listen(session, "after_commit", _record_pending)
        sa_event.listen(session, "after_rollback", _drop_pending)
    pending.append(record)


def _record_pending(session: Session) -> None:
    pending, session.info[_PENDING] = session.info.get(_PENDING, []), []
    for record in pending:
        record()


def _drop_pending(session: Session) -> None:
    session.info[_PENDING] = []


def _verification_concluded(kind: str, outcome: str, seconds: float | None) -> None:
    VERIFICATIONS.labels(kind, outcome).inc()
    if seconds is not None:
        VERIFICATION_DURATION.labels(kind, outcome).observe(seconds)


def on_verification_moved(session: Session, verification: Any, action: str, _actor: str | None) -> None:
    if action not in VERIFICATION_CONCLUSIONS:
        return
    submitted = verification.submitted_at
    seconds = None if submitted is None or action == "cancel" else max(0.0, ((verification.completed_at or now()) - submitted).total_seconds())
    _when_committed(session, partial(_verification_concluded, verification.kind, verification.status, seconds))


def _delivery_concluded(outcome: str, delay: float | None) -> None:
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    if delay is not None:
        WEBHOOK_DELAY.observe(delay)


def on_webhook_delivery_moved(session: Session, delivery: Any, action: str, _actor: str | None) -> None:
    if action not in DELIVERY_CONCLUSIONS:
        return
    delay = None
    if action == "succeed" and delivery.round == 0 and delivery.created_at is not None:
        delay = max(0.0, ((delivery.succeeded_at or now()) - delivery.created_at).total_seconds())
    _when_committed(session, partial(_delivery_concluded, delivery.status, delay))


# -- the job queue, read at scrape time ----------------------------------------------------------------------


class JobQueue(Collector):
    """Waiting jobs (due, not leased) and the age of the oldest, by queue and job name."""

    engine: Engine | None = None

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("openidv_job_queue_depth", "Jobs due and waiting for a worker, by queue and job name", labels=("queue", "kind"))
        oldest = GaugeMetricFamily("openidv_job_queue_oldest_due_seconds", "How long the oldest waiting job has been due, by queue and job name",
                                   labels=("queue", "kind"))
        if self.engine is not None:
            at = now()
            try:
                with self.engine.connect() as connection:
                    rows = repository.waiting_jobs(connection, at)
            except Exception:
                log.warning("metrics: could not read the job queue", exc_info=True)
                rows = []
            for queue, name, count, due in rows:
                depth.add_metric((queue, name), count)
                oldest.add_metric((queue, name), max(0.0, (at - due).total_seconds()))
        yield depth
        yield oldest

    def describe(self) -> Iterator[Metric]:
        return iter(())  # no database read when registered


JOB_QUEUE = JobQueue()
REGISTRY.register(JOB_QUEUE)


def watch_jobs(engine: Engine) -> None:
    """Read the job queue's gauges from this engine's database (the app's, or `openidv worker`'s)."""
    JOB_QUEUE.engine = engine


def render() -> bytes:
    return generate_latest(REGISTRY)


def serve_worker_metrics(port: int, address: str) -> None:
    """`openidv worker`'s own /metrics (prometheus_client's server thread), when OPENIDV_METRICS_PORT is set."""
    if port > 0:
        start_http_server(port, addr=address, registry=REGISTRY)
        log.info("metrics on http://%s:%d/metrics", address, port)
