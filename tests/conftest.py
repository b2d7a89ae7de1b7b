"""Shared fixtures: a real database (SQLite file, or PostgreSQL when OPENIDV_TEST_DB=postgresql),
migrated once per worker and emptied before each test, then set up as `openidv setup` does."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from openidv import wiring
from openidv.config import Settings
from openidv.kit import clock
from openidv.kit.crypto import generate_key
from openidv.kit.db import Base, make_engine, session_factory, transaction
from openidv.migrate import upgrade

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
PG_URL = os.environ.get("OPENIDV_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_configure(config) -> None:
    # Here rather than in tests/e2e/conftest.py: that conftest imports flow_support.fixtures, which makes the
    # `browser` marks as it is imported, so the marker must be known before any directory's conftest loads.
    config.addinivalue_line("markers", "browser(*needs): needs Chromium ('chromium') and/or the npm SDK packages ('sdk')")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory):
    if BACKEND != "postgresql":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'openidv.db'}"
        upgrade(url)
        yield url
        return
    # One schema per process: runs started at the same time on one database must not drop each other's tables.
    schema = f"t_{_worker()}_{os.getpid()}"
    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    try:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    except Exception:  # noqa: BLE001 - a busy schema is left for the next run with this pid to drop
        pass
    admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return wiring.install(  # the composition root, as every openidv process installs it
        Settings(
            data_dir=data_dir,
            database_url=database_url,
            encryption_keys="k1:" + generate_key(),
            blind_index_key=generate_key(),
            session_token_secret=generate_key(),
            secret_key=generate_key(),
            rate_limit_per_minute=100_000,
            db_pool_size=4,
            embedded_worker=False,  # job tests start their own workers
        )
    )


@pytest.fixture(scope="session")
def engine(settings: Settings):
    engine = make_engine(settings.resolved_database_url, pool_size=4)
    yield engine
    engine.dispose()


@dataclass
class World:
    """What `openidv setup` made, plus keys for both environments."""

    sandbox_id: str
    production_id: str
    sandbox_key: str
    production_key: str
    templates: dict[str, str]  # sandbox template name -> itmpl_
    production_templates: dict[str, str]


def _empty(engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def world(engine) -> World:
    from openidv.auth import service as auth
    from openidv.inquiry_templates import service as templates
    from openidv.inquiry_templates.config import starter_templates

    clock.reset()
    _empty(engine)
    with transaction(session_factory(engine, writer=True)) as db:
        sandbox, production = auth.ensure_environments(db)
        made: dict[str, dict[str, str]] = {}
        for env in (sandbox, production):
            made[env.name] = {name: templates.create_template(db, env.id, name, config)[0].id for name, config in starter_templates()}
        sandbox_key = auth.create_api_key(db, sandbox, name="tests").secret
        production_key = auth.create_api_key(db, production, name="tests").secret
        result = World(sandbox.id, production.id, sandbox_key, production_key, made["sandbox"], made["production"])
    yield result
    clock.reset()


@pytest.fixture(scope="session")
def app(settings: Settings):
    from openidv.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app, world: World) -> TestClient:
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {world.sandbox_key}"
        yield c


@pytest.fixture
def job_worker(app):
    """The app's job workers for one test (no timers): enqueued jobs run as in `openidv serve`."""
    from openidv.jobs import runtime

    worker = runtime.Worker(app.state.writer, executor_id="tests", threads=2, poll_seconds=0.05, periodic=False)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def db(engine):
    """A session for looking at what the API wrote."""
    with transaction(session_factory(engine)) as session:
        yield session
