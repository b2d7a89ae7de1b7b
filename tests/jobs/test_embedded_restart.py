"""Embedded mode is one process on its SQLite file, so a restarted `openidv serve` takes back at once the jobs
its killed predecessor held, instead of waiting out their leases. A distributed worker never does: other
workers, alive, hold leases of their own."""

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from test_crash_recovery import Server, _cli
from webhook_receiver import Receiver

from openidv import jobs
from openidv.jobs import repository, runtime
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.models import Job

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
LEASE = 300  # seconds: far beyond every bound below, so only a released lease lets a job run again


@pytest.fixture
def writer(job_writer, recorder):
    return job_writer


def _held_by_a_dead_process(writer) -> str:
    job_id = jobs.enqueue("test.jobs.record", value="held")
    with transaction(writer) as db:
        (claimed,) = repository.claim_due(db, now(), "host:4242", LEASE, 1)  # claimed, then the process died
        assert claimed.id == job_id
    return job_id


def test_a_reclaiming_worker_runs_a_dead_predecessors_job_at_once(writer, recorder) -> None:
    job_id = _held_by_a_dead_process(writer)
    worker = runtime.Worker(writer, executor_id="host:4343", threads=1, poll_seconds=0.05, periodic=False, reclaim_leases=True)
    started = time.monotonic()
    worker.start()
    try:
        assert recorder.arrived.wait(5), "the held job waited for its lease"
        assert time.monotonic() - started < 2
    finally:
        worker.stop()
    with transaction(writer) as db:
        job = db.get(Job, job_id)
        assert (job.state, job.attempts, recorder.values) == ("done", 2, ["held"])


def test_a_distributed_worker_leaves_other_workers_leases_alone(writer, recorder, settings) -> None:
    job_id = _held_by_a_dead_process(writer)
    worker = runtime.worker_for(settings, writer)  # `openidv worker`
    assert worker.reclaim_leases is False
    assert runtime.worker_for(settings, writer, embedded=True).reclaim_leases is settings.is_sqlite  # `openidv serve`, SQLite only
    worker.periodic = False
    worker.start()
    try:
        assert not recorder.arrived.wait(1.5)
    finally:
        worker.stop()
    with transaction(writer) as db:
        job = db.get(Job, job_id)
        assert (job.locked_by, job.attempts) == ("host:4242", 1)
        assert job.locked_until > now() + timedelta(seconds=LEASE - 30)


@pytest.mark.skipif(BACKEND != "sqlite", reason="embedded mode runs on SQLite; on PostgreSQL other workers may hold leases, so none is released at start")
def test_a_restarted_server_redelivers_at_once_what_its_killed_predecessor_held(tmp_path: Path) -> None:
    receiver = Receiver()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "OPENIDV_JOBS_LEASE_SECONDS": str(LEASE), "OPENIDV_JOBS_POLL_SECONDS": "0.1",
        "OPENIDV_LOG_LEVEL": "warning", "OPENIDV_RATE_LIMIT_PER_MINUTE": "100000",
    }
    try:
        setup = _cli(tmp_path, "setup", env=env)
        key = _cli(tmp_path, "api-key", "create", "--environment", "sandbox", env=env)["secret"]
        template = setup["environments"]["sandbox"]["templates"][0]["id"]
        first = Server(tmp_path, env=env)
        try:
            api = first.api(key)
            hook = api.post("/webhooks", json={"data": {"attributes": {"name": "restart", "url": receiver.url, "enabled-events": ["inquiry.created"]}}})
            assert hook.status_code == 201, hook.text
            receiver.gate.clear()  # the receiver holds the delivery: in flight when the server dies
            made = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}})
            assert made.status_code == 201, made.text
            receiver.wait_for(1)
            first.kill()
        finally:
            first.stop()
        receiver.gate.set()
        restarted = time.monotonic()
        second = Server(tmp_path, env=env)
        try:
            event = second.api(key).get("/events", params={"filter[name]": "inquiry.created"}).json()["data"][0]["id"]
            deadline = restarted + 20
            while sum(r.body["data"]["id"] == event for r in list(receiver.received)) < 2:
                assert time.monotonic() < deadline, "the delivery the killed server held waited for its lease"
                time.sleep(0.05)
            print(f"\nredelivered {time.monotonic() - restarted:.2f} s after the restart began (lease {LEASE} s)")
        finally:
            second.stop()
    finally:
        receiver.gate.set()
        receiver.close()
