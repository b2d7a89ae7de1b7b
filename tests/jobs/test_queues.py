"""Named queues with threads of their own: the composition root says which job goes on which queue, and a
worker's webhook deliveries run while its verifications queue is saturated by a burst of slow jobs."""

import threading
import time

import pytest
from sqlalchemy import select

from openidv import jobs, wiring
from openidv.jobs import runtime
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.kit.ids import new_id
from openidv.models import Job

gate = threading.Event()
started: list[int] = []
delivered: list[int] = []
legacy: list[str] = []


@jobs.job("test.queues.heavy")
def heavy(n: int) -> None:
    started.append(n)
    gate.wait(30)  # a photo that takes long to process


@jobs.job("test.queues.deliver")
def deliver(n: int) -> None:
    delivered.append(n)


@jobs.job("test.queues.legacy")
def old_row(value: str) -> None:
    legacy.append(value)


@pytest.fixture
def writer(job_writer):
    gate.clear()
    started.clear()
    delivered.clear()
    legacy.clear()
    jobs.add(heavy, "verifications")
    jobs.add(deliver, "deliveries")
    jobs.add(old_row)
    yield job_writer
    gate.set()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_composition_root_puts_each_job_on_its_queue(settings) -> None:
    queues = wiring.describe()["queues"]
    assert queues["government-id.process"] == queues["selfie.process"] == queues["document.process"] == "verifications"
    assert queues["webhooks.deliver"] == "deliveries"
    assert queues["reports.run"] == queues["inquiries.expire-due"] == "default"
    assert set(queues.values()) <= set(jobs.port.QUEUES)
    try:
        with pytest.raises(ValueError, match="unknown job queue"):
            jobs.port.install(wiring.JOBS, wiring.TIMERS, {"photos": (wiring.webhooks_tasks.deliver,)})
        with pytest.raises(ValueError, match="queued but not installed"):
            jobs.port.install(wiring.JOBS, wiring.TIMERS, {"verifications": (heavy,)})
    finally:
        wiring.install(settings)


def test_deliveries_run_while_the_verifications_queue_is_saturated(writer) -> None:
    with transaction(writer) as db:
        for n in range(20):
            jobs.enqueue_in_tx(db, heavy, n=n)
    worker = runtime.Worker(writer, executor_id="lanes", queues={"verifications": 2, "deliveries": 2, "default": 1},
                            poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        _wait(lambda: len(started) == 2, 5, f"two slow jobs should be running, got {started}")
        enqueued = time.monotonic()
        with transaction(writer) as db:
            for n in range(10):
                jobs.enqueue_in_tx(db, deliver, n=n)
        _wait(lambda: len(delivered) == 10, 5, f"deliveries starved behind the verifications: {delivered}")
        waited = time.monotonic() - enqueued
        assert len(started) == 2, "the verifications queue runs on its own two threads only"
        assert waited < 2, waited
        with transaction(writer) as db:
            rows = {j.name: j.queue for j in db.scalars(select(Job))}
        assert rows == {"test.queues.heavy": "verifications", "test.queues.deliver": "deliveries"}
        gate.set()
        _wait(lambda: len(started) == 20, 10, f"the burst should drain once the photos are quick again: {len(started)}")
    finally:
        gate.set()
        worker.stop()


def test_one_shared_pool_is_what_starved_them(writer) -> None:
    """The control: with one pool for every queue (the old worker), the burst holds back the deliveries."""
    with transaction(writer) as db:
        for n in range(4):
            jobs.enqueue_in_tx(db, heavy, n=n)
    worker = runtime.Worker(writer, executor_id="one-pool", threads=2, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        _wait(lambda: len(started) == 2, 5, f"two slow jobs should be running, got {started}")
        jobs.enqueue(deliver, n=1)
        time.sleep(1)
        assert delivered == []
    finally:
        gate.set()
        worker.stop()


def test_a_row_of_a_queue_without_threads_runs_on_the_default_queue(writer) -> None:
    """Rows an older release wrote (queue `webhooks`, `periodic`) are not stranded."""
    with transaction(writer) as db:
        db.add(Job(id=new_id("job"), name="test.queues.legacy", queue="periodic", kwargs={"value": "old"}, state="queued", run_at=now(),
                   attempts=0, max_attempts=1))
    worker = runtime.Worker(writer, executor_id="legacy", queues={"verifications": 1, "deliveries": 1, "default": 1},
                            poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        _wait(lambda: legacy == ["old"], 5, "the old row did not run")
    finally:
        worker.stop()
