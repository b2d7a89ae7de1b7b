"""What the tests that run openidv as real processes on PostgreSQL share: a schema of their own, and the
environment a server or worker process gets (fresh secrets, loopback webhooks allowed, fast polling), and an
S3-compatible server (moto's) for their files."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
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


@dataclass
class ObjectStore:
    """moto's standalone S3-compatible server, a process of its own on loopback, with one bucket."""

    endpoint: str
    bucket: str

    def settings(self, prefix: str) -> dict[str, str]:
        """process_env settings that keep an openidv process's files under `prefix` in the bucket."""
        options = {"endpoint": self.endpoint, "region": "us-east-1", "access_key_id": "test", "secret_access_key": "test"}
        return {"STORAGE_URL": f"s3://{self.bucket}/{prefix}", "STORAGE_OPTIONS": json.dumps(options)}


@contextmanager
def s3_server(log_path: Path, bucket: str = "openidv-fleet") -> Iterator[ObjectStore]:
    """Start `python -m moto.server` on a free loopback port, make `bucket`, and stop the server afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    server = ObjectStore(f"http://127.0.0.1:{port}", bucket)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{server.endpoint}/moto-api/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, f"moto did not start: {log_path.read_text()}"
                time.sleep(0.1)
        httpx.put(f"{server.endpoint}/{bucket}", timeout=10).raise_for_status()  # moto takes unsigned requests
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
