"""Fixtures of the job tests."""

import pytest

from openidv.jobs import runtime
from openidv.kit.db import session_factory


@pytest.fixture
def job_writer(engine, world):
    """A writer session factory on the emptied test database, the one `openidv.jobs.enqueue` uses here."""
    factory = session_factory(engine, writer=True)
    runtime.configure(factory)
    return factory
