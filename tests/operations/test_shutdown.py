"""Graceful shutdown of a real `openidv worker`: on SIGTERM it stops claiming, lets running jobs finish within
OPENIDV_SHUTDOWN_GRACE_SECONDS, and releases the lease of one that could not, so another worker takes it at
once. Meanwhile the worker serves its own /metrics on OPENIDV_METRICS_PORT. And the in-process worker's
stop(grace) records a job that finishes within the grace as done."""

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from openidv.jobs import repository, runtime
from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.models import Job, WebhookDelivery
from openidv.webhooks import delivery

DELIVER = "webhooks.deliver"
BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deliver_job(engine) -> Job | None:
    with transaction(session_factory(engine)) as db:
        job = db.scalar(select(Job).where(Job.name == DELIVER))
        if job is not None:
            db.expunge(job)
        return job


def _hook_and_inquiry(client, world, url: str) -> None:
    hook = {"data": {"attributes": {"name": "slow", "url": url, "enabled-events": ["inquiry.created"]}}}
    assert client.post("/api/v1/webhooks", json=hook).status_code == 201
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Database"]}}})
    assert made.status_code == 201, made.text


def _wait(what, seconds: float, message: str):
    deadline = time.monotonic() + seconds
    while not (found := what()):
        assert time.monotonic() < deadline, message
        time.sleep(0.05)
    return found


@pytest.fixture
def private_urls():
    """Loopback receivers allowed (as OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS does), restored afterwards."""
    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True
    yield
    delivery.policy.allow_private_urls = saved


@pytest.mark.skipif(BACKEND != "postgresql", reason="`openidv worker` processes run in distributed mode, on PostgreSQL; beside the suite's "
                    "SQLite file, a tests/security test reads the file's bytes, which drops this process's SQLite locks, and a second "
                    "process on the file then takes the WAL for abandoned (later tests: disk I/O error)")
def test_sigterm_releases_the_lease_of_a_job_still_running(settings, engine, client, world, private_urls, tmp_path: Path):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts the connection, never answers: the POST waits its 5 s
    _hook_and_inquiry(client, world, f"http://127.0.0.1:{silent.getsockname()[1]}/hook")
    metrics_port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_DATA_DIR": str(settings.data_dir), "OPENIDV_DATABASE_URL": settings.resolved_database_url,
        **{"OPENIDV_" + k.upper(): v for k, v in settings.secrets.items()},
        "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "OPENIDV_SHUTDOWN_GRACE_SECONDS": "1", "OPENIDV_JOBS_POLL_SECONDS": "0.05",
        "OPENIDV_METRICS_PORT": str(metrics_port), "OPENIDV_LOG_FORMAT": "json"}
    stderr = (tmp_path / "worker.err").open("w+")
    worker = subprocess.Popen([sys.executable, "-m", "openidv.cli", "worker", "--executor-id", "graceful"], env=env, stdout=subprocess.DEVNULL,
                              stderr=stderr)
    try:
        silent.settimeout(90)
        connection, _ = silent.accept()  # the worker took the delivery and is in the middle of its POST
        job = _deliver_job(engine)
        assert job is not None and job.locked_by == "graceful" and job.attempts == 1
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert scraped.status_code == 200
        names = {family.name for family in text_string_to_metric_families(scraped.text)}
        assert {"openidv_job_queue_depth", "openidv_job_duration_seconds", "process_resident_memory_bytes"} <= names
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        took = time.monotonic() - started
        assert 0.9 < took < 4.5, took  # the grace period, not the POST's 5 s
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        silent.close()
    job = _deliver_job(engine)
    assert job is not None and job.state == "queued" and job.locked_by is None and job.locked_until is not None
    assert job.locked_until <= now()  # claimable at once by another worker, not after the lease's 60 s
    with transaction(session_factory(engine, writer=True)) as db:
        assert [j.id for j in repository.claim_due(db, now(), "another", 60, 10) if j.name == DELIVER] == [job.id]
    stderr.seek(0)
    records = [json.loads(line) for line in stderr.read().splitlines() if line.strip()]
    assert any("1 job(s) unfinished" in r["message"] and r["level"] == "warning" for r in records), records
    connection.close()


@pytest.fixture
def slow_receiver():
    """Answers 200 after 0.5 s."""

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.5)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_a_job_finishing_within_the_grace_is_recorded_done(app, engine, client, world, private_urls, slow_receiver):
    _hook_and_inquiry(client, world, slow_receiver)
    worker = runtime.Worker(app.state.writer, executor_id="in-grace", threads=2, poll_seconds=0.05, periodic=False)
    worker.start()
    _wait(lambda: (job := _deliver_job(engine)) is not None and job.locked_by == "in-grace", 20, "the worker never took the delivery")
    assert worker.stop(grace=10) == 0
    job = _deliver_job(engine)
    assert job is not None and job.state == "done" and job.locked_by is None
    with transaction(session_factory(engine)) as db:
        assert list(db.scalars(select(WebhookDelivery.status))) == ["succeeded"]
