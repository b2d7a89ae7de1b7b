"""Engines and sessions. No module-level engine: the app, the worker and the CLI each build one.

SQLite runs in WAL mode with a busy timeout; write transactions start with `BEGIN IMMEDIATE` so two
writers queue on the lock instead of failing when a read transaction tries to upgrade. Its database file is
created 0600 (SQLite gives the -wal and -shm files the same mode), and `synchronous=NORMAL` by default: in WAL mode a
commit is in the log (the OS's page cache) when it returns, so it survives the process being killed, and the log is
synced at each checkpoint; only a power loss or an OS crash may lose the last commits, never corrupting the database.
`FULL` (OPENIDV_SQLITE_SYNCHRONOUS) also survives those, at one fsync per commit (3.4 ms on the development machine's
disk, held under the write lock: it alone caps writes near 300/s).
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData, create_engine, event, inspect, make_url
from sqlalchemy.engine import Connection, CursorResult, Dialect, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool
from sqlalchemy.types import TypeDecorator

from openidv.kit import storage
from openidv.kit.clock import as_utc

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:  # noqa: ARG002 (always aware; the argument keeps migrations readable)
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        value = as_utc(value)
        if value is not None and dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        return as_utc(value)


SQLITE_SYNCHRONOUS = ("full", "normal")


def _private_sqlite_file(url: str) -> None:
    """The database file (and its -wal and -shm, which SQLite creates with the file's mode) 0600."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.parent.is_dir():
        storage.private_file(path)
        for side in (Path(f"{database}-wal"), Path(f"{database}-shm")):
            if side.exists():
                storage.private_file(side)


def make_engine(url: str, *, pool_size: int = 16, echo: bool = False, sqlite_synchronous: str = "normal") -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"SQLite synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}, not {sqlite_synchronous!r}")
        synchronous = sqlite_synchronous.upper()
        if not memory:
            _private_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
            **({} if memory else {"pool_size": pool_size, "max_overflow": pool_size}),
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # Writers of this process queue on a lock instead of in SQLite's busy handler, which polls
        # with sleeps of up to 100 ms and gives long tail latencies under load. Other processes
        # (the CLI) still meet the busy timeout.
        writer_lock = threading.Lock()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if not conn.get_execution_options().get("writer"):
                conn.exec_driver_sql("BEGIN")
                return
            conn.info["holds_writer_lock"] = writer_lock.acquire(timeout=30)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                _release(conn)
                raise

        def _release(conn: Connection, *_: object) -> None:
            if conn.info.pop("holds_writer_lock", False):
                writer_lock.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size)
    # Rows of one table in one flush (a request's events, a name's tokens) go as one multi-row INSERT, as on SQLite,
    # instead of psycopg's executemany in pipeline mode, which cost more CPU than the statements it saved.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    _ping_when_idle(engine)
    return engine


# A pooled connection used this recently is taken as alive; one idle longer is pinged before use.
IDLE_BEFORE_PING_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat idle (a restarted or failed-over PostgreSQL leaves those
    dead). SQLAlchemy's `pool_pre_ping` pinged at every checkout: one more round trip per request, about 10 % of
    PostgreSQL's throughput (bench/api.py). A server that goes away under load fails the requests in flight either
    way; the first failure invalidates the whole pool, so the next requests get new connections."""

    def _used(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["used_at"] = time.monotonic()

    event.listen(engine, "connect", _used)  # a new connection is alive
    event.listen(engine, "checkin", _used)

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) <= IDLE_BEFORE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # the ping pool_pre_ping makes (outside any transaction)
        except Exception as error:  # whatever broke it, the pool replaces the connection
            raise DisconnectionError("the pooled connection is gone") from error


def session_factory(engine: Engine, *, writer: bool = False) -> sessionmaker[Session]:
    bind: Engine
    if writer:
        bind = engine.execution_options(writer=True)
    elif engine.dialect.name == "postgresql":
        # Readers in autocommit: each statement is its own transaction, which is what READ COMMITTED gives a
        # transaction's statements anyway, without a BEGIN and a COMMIT round trip per request.
        bind = engine.execution_options(isolation_level="AUTOCOMMIT")
    else:
        bind = engine
    factory = sessionmaker(bind=bind, expire_on_commit=False, autoflush=True, info={_COUNTS_FLUSHES: True})
    event.listen(factory, "after_flush", _count_flushed_models)
    if not writer:
        event.listen(factory, "before_flush", _refuse_writes)
    return factory


class ReadSessionWrite(RuntimeError):
    """A read session was asked to write: readers hold no write lock on SQLite and run in autocommit on PostgreSQL
    (a failed request could not roll their writes back)."""


def _refuse_writes(session: Session, *_: Any) -> None:
    changed = [*session.new, *session.deleted, *(obj for obj in session.dirty if session.is_modified(obj))]
    if changed:
        raise ReadSessionWrite(f"a read session may not write ({', '.join(sorted({type(obj).__name__ for obj in changed}))})")


# session.info keys: the session counts its flushes per model class (made by `session_factory`), and the counts.
_COUNTS_FLUSHES = "counts_flushes"
_FLUSHES = "flushes_by_model"


def _count_flushed_models(session: Session, _context: Any) -> None:
    counts = session.info.setdefault(_FLUSHES, {})
    for model in {type(obj) for obj in (*session.new, *session.dirty, *session.deleted)}:
        counts[model] = counts.get(model, 0) + 1


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. `Session.execute` is typed to return a `Result`; for DML it is a
    `CursorResult`, which has the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount or 0


T = TypeVar("T")


def fill_defaults(obj: Any) -> None:
    """Give a new object the Python-side column defaults its INSERT would get (`default=`), now rather than at
    the flush, so it can be rendered (an event's snapshot) while it is still pending."""
    state = inspect(obj)
    for column_attr in state.mapper.column_attrs:
        column = column_attr.columns[0]
        default = column.default
        if default is None or not default.is_scalar and not default.is_callable or state.dict.get(column_attr.key) is not None:
            continue
        setattr(obj, column_attr.key, default.arg(None) if default.is_callable else default.arg)


def once_per_transaction(db: Session, name: str, scope: str, model: type[Any], load: Callable[[], list[T]]) -> list[T]:
    """`load()`, read once per transaction and scope (an environment id) and kept in `db.info[name]`: what every
    event recorded asks (one request records several), such as the enabled webhooks. Read again when this
    transaction changed a `model` row, pending (flushed first) or already flushed since the read; otherwise pending
    rows, which cannot be `model` rows, are not flushed for it: they reach the database in one flush later. A
    session not made by `session_factory` (which counts flushes) reads every time."""
    transaction = db.get_transaction()
    touched = any(isinstance(obj, model) for obj in (*db.new, *db.dirty, *db.deleted))
    flushed = db.info.get(_FLUSHES, {}).get(model, 0) if db.info.get(_COUNTS_FLUSHES) else None
    memo = db.info.get(name)
    if memo is not None and flushed is not None and memo[0] is transaction and memo[1] == scope and memo[3] == flushed and not touched:
        return list(memo[2])
    if touched:
        db.flush()
        flushed = None if flushed is None else db.info[_FLUSHES].get(model, 0)
    with db.no_autoflush:
        found = load()
    db.info[name] = (transaction, scope, found, flushed)
    return list(found)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
