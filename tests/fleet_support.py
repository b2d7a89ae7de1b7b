"""What the tests that run openidv as real processes on PostgreSQL share: a schema of their own, and the
environment a server or worker process gets (fresh secrets, loopback webhooks allowed, fast polling)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy

from openidv.kit.crypto import generate_key
from openidv.kit.db import make_engine

PG_URL = os.environ.get("OPENIDV_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_schema(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL schema; yields the database URL that uses it, and drops it afterwards."""
    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE; CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text("SET LOCAL lock_timeout = '5s'"))
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def process_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of an openidv process on `database_url`: this one's, less any OPENIDV_ setting, plus
    fresh secrets and `settings` (names without the OPENIDV_ prefix, e.g. JOB_THREADS_DELIVERIES="2")."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_DATABASE_URL": database_url, "OPENIDV_ENCRYPTION_KEYS": "k1:" + generate_key(), "OPENIDV_BLIND_INDEX_KEY": generate_key(),
        "OPENIDV_SESSION_TOKEN_SECRET": generate_key(), "OPENIDV_SECRET_KEY": generate_key(),
        "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "OPENIDV_JOBS_POLL_SECONDS": "0.1", "OPENIDV_LOG_LEVEL": "warning",
    } | {f"OPENIDV_{k}": v for k, v in settings.items()}
