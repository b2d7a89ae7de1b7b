"""PostgreSQL's pool pings a connection before use only when it sat idle (kit.db._ping_when_idle): a dead idle
connection is replaced unseen; a dead busy one fails once, and that failure renews the whole pool."""

import os

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from openidv.kit import db

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the ping is PostgreSQL's pool's; SQLite has no server to lose")


def _pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def _terminate(url: str, pid: int) -> None:
    admin = db.make_engine(url, pool_size=1)
    try:
        with admin.begin() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_dead_idle_connection_is_replaced_before_use(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = db.make_engine(database_url, pool_size=1)
    try:
        first = _pid(engine)
        _terminate(database_url, first)
        monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
        assert _pid(engine) != first  # pinged, found dead, replaced: the caller saw nothing
    finally:
        engine.dispose()


def test_a_dead_busy_connection_fails_once_then_the_pool_is_renewed(database_url: str) -> None:
    engine = db.make_engine(database_url, pool_size=2)
    try:
        with engine.connect() as one, engine.connect() as two:  # two pooled connections, both just used
            pids = [int(c.scalar(text("SELECT pg_backend_pid()"))) for c in (one, two)]
        for pid in pids:
            _terminate(database_url, pid)
        with pytest.raises(OperationalError), engine.connect() as conn:  # used a moment ago: not pinged
            conn.execute(text("SELECT 1"))
        assert _pid(engine) not in pids  # the failure invalidated the pool: the other dead one is not handed out
    finally:
        engine.dispose()
