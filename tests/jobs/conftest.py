"""Fixtures of the job tests."""

import threading

import pytest

from openidv import jobs
from openidv.jobs import runtime
from openidv.kit.db import session_factory


@pytest.fixture
def job_writer(engine, world):
    """A writer session factory on the emptied test database, the one `openidv.jobs.enqueue` uses here."""
    factory = session_factory(engine, writer=True)
    runtime.configure(factory)
    return factory


class Recorded:
    """What `record` ran, in order; `arrived` is set on each run."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.arrived = threading.Event()


recorded = Recorded()


@jobs.job("test.jobs.record")
def record(value: str) -> None:
    recorded.values.append(value)
    recorded.arrived.set()


@pytest.fixture
def recorder(job_writer) -> Recorded:
    """`record` installed beside the application's jobs, nothing recorded yet."""
    recorded.values.clear()
    recorded.arrived.clear()
    jobs.add(record)
    return recorded
