"""PostgreSQL LISTEN/NOTIFY: a job committed by another process wakes an idle worker at once, though its
poll interval is long; a rolled-back enqueue wakes nobody; a lost listener connection is reopened."""

import os
import threading
import time

import pytest
from sqlalchemy import text

from openidv import jobs
from openidv.jobs import runtime
from openidv.jobs.port import runtime as port_runtime
from openidv.kit.db import transaction

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's; on SQLite (embedded mode, one "
                                                                 "process) the enqueuing process wakes its own worker after commit")
LONG_POLL = 30  # seconds: only a notification can wake the worker within the test's bounds
ran: list[tuple[str, float]] = []
arrived = threading.Event()


@jobs.job("test.notify.ping")
def ping(value: str) -> None:
    ran.append((value, time.monotonic()))
    arrived.set()


@pytest.fixture
def writer(job_writer):
    ran.clear()
    arrived.clear()
    jobs.add(ping)
    yield job_writer
    port_runtime.wake = lambda: None  # the idle workers above are stopped; the next worker started sets its own


def _idle_worker(writer, executor: str, *, listen: bool = True) -> runtime.Worker:
    worker = runtime.Worker(writer, executor_id=executor, threads=1, poll_seconds=LONG_POLL, periodic=False, listen=listen)
    worker.start()
    port_runtime.wake = lambda: None  # what another process sees: this process's own after-commit wake does not reach the worker
    if worker.listener is not None:
        assert worker.listener.connected.wait(10), "the listener did not connect"
    time.sleep(0.5)  # the worker's first polls (at start, and on the listener's connect) are over: it is idle
    return worker


def _enqueue_from_elsewhere(writer, value: str) -> float:
    with transaction(writer) as db:
        jobs.enqueue_in_tx(db, ping, value=value)
    return time.monotonic()


def test_notify_wakes_an_idle_worker_at_once(writer) -> None:
    worker = _idle_worker(writer, "notified")
    try:
        with pytest.raises(ZeroDivisionError), transaction(writer) as db:  # rolled back: no job, no notification
            jobs.enqueue_in_tx(db, ping, value="never")
            1 / 0  # noqa: B018
        committed = _enqueue_from_elsewhere(writer, "now")
        assert arrived.wait(3), "NOTIFY did not wake the worker"
        (value, started), = ran
        assert value == "now"
        assert started - committed < 1.0, started - committed
    finally:
        worker.stop()


def test_without_notify_the_worker_sleeps_its_poll_interval(writer) -> None:
    """The control: the same idle worker, not listening, does not see the job within the bound above."""
    worker = _idle_worker(writer, "deaf", listen=False)
    try:
        _enqueue_from_elsewhere(writer, "later")
        assert not arrived.wait(2)
    finally:
        worker.stop()


def test_a_lost_listener_connection_reconnects(writer, engine) -> None:
    worker = _idle_worker(writer, "reconnecting")
    try:
        listener = worker.listener
        assert listener is not None
        first = listener.backend_pid
        with engine.begin() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        deadline = time.monotonic() + 10
        while not (listener.connections == 2 and listener.connected.is_set()):
            assert time.monotonic() < deadline, "the listener did not reconnect"
            time.sleep(0.05)
        assert listener.backend_pid != first
        time.sleep(0.5)  # the wake of the reconnection is over
        committed = _enqueue_from_elsewhere(writer, "after reconnect")
        assert arrived.wait(3), "NOTIFY did not wake the worker after the listener reconnected"
        assert ran[0][1] - committed < 1.0
    finally:
        worker.stop()
