"""`/healthz` and `/readyz` against real conditions: a database that answers and is migrated, one that cannot
be reached, one never migrated, and a data folder where files cannot be written."""

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openidv import wiring
from openidv.app import create_app
from openidv.config import Settings

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
CLOSED = "postgresql://postgres@127.0.0.1:1/closed" if BACKEND == "postgresql" else "sqlite:////nonexistent-folder/openidv.db"


@pytest.fixture(autouse=True)
def _reinstall(settings):
    """`create_app` installs the composition root with its settings: the suite's are put back afterwards."""
    yield
    wiring.install(settings)


def _app(settings: Settings, **changes) -> TestClient:
    """Another app on changed settings, run without its lifespan (no job worker)."""
    return TestClient(create_app(settings.model_copy(update=changes)))


def test_healthz_answers_without_the_database(settings):
    answer = _app(settings, database_url=CLOSED).get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"


def test_ready_when_the_database_is_migrated_and_storage_writable(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {"database": "ok", "migrations": "ok", "storage": "ok"}
    assert "X-Request-Id" in answer.headers


def test_not_ready_when_the_database_is_unreachable(settings):
    answer = _app(settings, database_url=CLOSED).get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "fail" and body["failed"] == ["database", "migrations"]
    assert body["checks"]["storage"]["status"] == "ok"
    assert "nonexistent" not in answer.text and "postgres@" not in answer.text  # no URL, no path


def test_not_ready_when_the_database_is_not_migrated(settings, tmp_path: Path):
    answer = _app(settings, database_url=f"sqlite:///{tmp_path / 'empty.db'}").get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["failed"] == ["migrations"]
    assert "openidv migrate" in answer.json()["checks"]["migrations"]["detail"]


def test_not_ready_when_storage_is_not_writable(settings, tmp_path: Path):
    data = tmp_path / "data"
    client = _app(settings, data_dir=data)  # the store, <data>/files, is checked (and made) at startup
    (data / "files").rmdir()
    (data / "files").write_bytes(b"")  # then a file where the storage's folder should be: nothing can be written under it
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["failed"] == ["storage"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_need_no_api_key(client, path):
    client.headers.pop("Authorization")
    assert client.get(path).status_code == 200



def test_not_ready_within_the_time_limit_when_the_database_host_never_answers(settings, monkeypatch):
    """A PostgreSQL host that accepts the connection and never speaks (a packet-dropping network looks the same
    to the client): the probe answers 503 within its limit instead of hanging the load balancer's check."""
    import socket
    import time

    from openidv.kit.db import make_engine
    from openidv.operations import endpoints

    silent = socket.create_server(("127.0.0.1", 0))
    try:
        client = _app(settings)
        client.app.state.engine = make_engine(f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/silent")
        monkeypatch.setattr(endpoints, "READY_SECONDS", 1.0)
        started = time.monotonic()
        answer = client.get("/readyz")
        assert time.monotonic() - started < 3
        assert answer.status_code == 503 and answer.json()["failed"] == ["timeout"]
        assert "within 1 s" in answer.json()["detail"]
    finally:
        silent.close()
