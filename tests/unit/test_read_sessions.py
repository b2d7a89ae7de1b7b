"""Read sessions (`kit.db.session_factory(engine)`, what GET requests use) never write: a flush with changes is refused
before any SQL, and on PostgreSQL they run in autocommit (no BEGIN and COMMIT round trips per request)."""

import pytest
from sqlalchemy import func, select

from openidv.kit.db import ReadSessionWrite, session_factory, transaction
from openidv.kit.ids import new_id
from openidv.models import Webhook


def test_a_read_session_refuses_to_write_and_nothing_is_written(engine, world) -> None:
    count = select(func.count()).select_from(Webhook)
    with transaction(session_factory(engine)) as db:
        before = db.scalar(count)
    with pytest.raises(ReadSessionWrite, match="Webhook"), transaction(session_factory(engine)) as db:
        db.add(Webhook(id=new_id("wbh"), environment_id=world.sandbox_id, status="enabled", url="https://example.com/hook",
                       api_version="2023-01-05", enabled_events=[], name="never"))
        db.flush()
    with transaction(session_factory(engine)) as db:
        assert db.scalar(count) == before


def test_a_read_session_may_look_at_what_it_loaded_without_writing(engine, world) -> None:
    with transaction(session_factory(engine)) as db:
        rows = list(db.scalars(select(Webhook)))
        db.flush()  # nothing changed: allowed
        assert isinstance(rows, list)


def test_read_sessions_run_in_autocommit_on_postgresql(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's readers keep their snapshot in a read transaction")
    with transaction(session_factory(engine)) as db:
        assert db.connection().connection.dbapi_connection.autocommit is True  # psycopg's own flag
    with transaction(session_factory(engine, writer=True)) as db:
        assert db.connection().connection.dbapi_connection.autocommit is False
