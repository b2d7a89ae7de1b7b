"""The job port on a real database: transactional enqueue, keys, delays, retries, leases, recovery."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from openidv import jobs
from openidv.jobs import repository, runtime
from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.models import Job

ran: list[tuple[str, int]] = []
arrived = threading.Event()
failures: dict[str, int] = {}


@jobs.job("test.record")
def record(value: str, n: int = 0) -> None:
    ran.append((value, n))
    arrived.set()


@jobs.job("test.flaky", max_attempts=2)
def flaky(value: str) -> None:
    failures[value] = failures.get(value, 0) + 1
    raise RuntimeError("boom")


gave_up: list[tuple[str, str]] = []


def _settle(db, value: str) -> None:
    job = db.scalars(select(Job).where(Job.name == "test.hopeless")).one()
    gave_up.append((value, job.state))  # runs in the transaction that marks the job failed


@jobs.job("test.hopeless", max_attempts=1, on_give_up=_settle)
def hopeless(value: str) -> None:
    raise RuntimeError("never")


@pytest.fixture
def writer(engine, world):
    ran.clear()
    failures.clear()
    gave_up.clear()
    arrived.clear()
    for test_job in (record, flaky, hopeless):  # this module's own jobs, beside the installed ones
        jobs.add(test_job)
    factory = session_factory(engine, writer=True)
    runtime.configure(factory)
    return factory


def _jobs(writer) -> list[Job]:
    with transaction(writer) as db:
        return list(db.scalars(select(Job).order_by(Job.created_at)))


def test_enqueue_joins_the_callers_transaction(writer) -> None:
    with pytest.raises(ZeroDivisionError), transaction(writer) as db:
        jobs.enqueue_in_tx(db, record, value="rolled back")
        1 / 0  # noqa: B018
    assert _jobs(writer) == []
    with transaction(writer) as db:
        jobs.enqueue_in_tx(db, record, key="k1", value="a")
        jobs.enqueue_in_tx(db, record, key="k1", value="a")  # same key, same transaction
    jobs.enqueue(record, key="k1", value="a")  # same key later
    assert [(j.id, j.kwargs) for j in _jobs(writer)] == [("k1", {"value": "a"})]
    with pytest.raises(ValueError):
        jobs.enqueue(lambda: None)


def test_worker_runs_due_jobs_and_respects_delays(writer) -> None:
    worker = runtime.Worker(writer, executor_id="t1", threads=2, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        enqueued = time.time()
        jobs.enqueue(record, delay_seconds=1.0, value="later")
        jobs.enqueue(record, value="now", n=1)
        assert arrived.wait(5)
        deadline = time.time() + 5
        while len(ran) < 2 and time.time() < deadline:
            time.sleep(0.02)
        assert time.time() - enqueued >= 1.0  # the delayed job waited its turn
        assert ran == [("now", 1), ("later", 0)]
        deadline = time.time() + 5
        while {j.state for j in _jobs(writer) if j.name == "test.record"} != {"done"} and time.time() < deadline:
            time.sleep(0.05)
        assert {j.state for j in _jobs(writer) if j.name == "test.record"} == {"done"}
    finally:
        worker.stop()


def test_failures_retry_then_fail(writer) -> None:
    job_id = jobs.enqueue(flaky, value="x")
    with transaction(writer) as db:  # the first retry waits 2 s: make it due at once
        db.get(Job, job_id).run_at = now()
    worker = runtime.Worker(writer, executor_id="t2", threads=1, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        deadline = time.time() + 8
        while time.time() < deadline:
            state = {j.id: j for j in _jobs(writer)}[job_id]
            if state.state == "failed":
                break
            if state.attempts == 1 and state.locked_by is None and state.run_at > now():
                with transaction(writer) as db:
                    db.get(Job, job_id).run_at = now()
            time.sleep(0.05)
        assert state.state == "failed" and state.attempts == 2 and "boom" in state.last_error
        assert failures == {"x": 2}
    finally:
        worker.stop()


def test_lease_recovery_and_prune(writer) -> None:
    job_id = jobs.enqueue(record, value="held")
    with transaction(writer) as db:  # a worker that claimed the job and died
        (claimed,) = repository.claim_due(db, now(), "dead", 300, 10)
        assert claimed.id == job_id
    with transaction(writer) as db:
        assert repository.claim_due(db, now(), "other", 300, 10) == []  # the lease holds
    assert runtime.recover(writer, "dead") == 1
    with transaction(writer) as db:
        (again,) = repository.claim_due(db, now(), "other", 300, 10)
        assert again.id == job_id and again.attempts == 2
        again.state, again.finished_at = "done", now() - timedelta(days=8)
    with transaction(writer) as db:
        assert repository.prune_finished(db, now() - timedelta(days=7)) == 1
    assert _jobs(writer) == []


def test_periodic_jobs_enqueue_once_per_slot(writer) -> None:
    a = runtime.Worker(writer, executor_id="pa")
    b = runtime.Worker(writer, executor_id="pb")
    a._schedule_periodic()  # one tick of each worker's loop
    b._schedule_periodic()
    names = [j.name for j in _jobs(writer)]
    assert set(names) == set(jobs.port.periodic)
    # Once per slot though two workers ticked (twice only if a slot boundary fell between the ticks).
    assert len(names) < 2 * len(set(names)) or len(set(names)) == 0


def test_a_job_that_gives_up_settles_in_the_same_transaction(writer) -> None:
    job_id = jobs.enqueue(hopeless, value="v")
    worker = runtime.Worker(writer, executor_id="t5", threads=1, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        deadline = time.time() + 8
        while not gave_up and time.time() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert gave_up == [("v", "failed")]
    assert {j.id: j.state for j in _jobs(writer)}[job_id] == "failed"
