"""What the storage tests share: a real S3-compatible server (moto's standalone server, a separate process on
loopback, started by fleet_support.s3_server once per pytest worker when a test first asks for it and stopped
at the end), the three kinds of store a test runs against, and openidv server processes."""

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import httpx
import pytest
from fleet_support import fresh_schema, s3_server
from storage_support import BUCKET, OPENIDV, S3Server, Server, ServerDatabase, StoreSetting, free_port

from openidv import wiring
from openidv.auth import service as auth
from openidv.config import Settings
from openidv.inquiry_templates import service as templates
from openidv.inquiry_templates.config import starter_templates
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.migrate import upgrade


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with s3_server(tmp_path_factory.mktemp("moto") / "moto.log", BUCKET) as server:
        yield S3Server(server.endpoint, server.bucket)


@pytest.fixture(params=["file", "memory", "s3"])
def store_setting(request: pytest.FixtureRequest, tmp_path: Path) -> StoreSetting:
    """Each kind of store in turn: a folder, this process's memory, and a fresh prefix in the moto bucket."""
    if request.param == "file":
        folder = tmp_path / "files"
        return StoreSetting("file", folder.as_uri(), {}, folder=folder)
    if request.param == "memory":
        return StoreSetting("memory", "memory://", {})
    server: S3Server = request.getfixturevalue("s3")
    prefix = f"t-{secrets.token_hex(4)}"
    return StoreSetting("s3", f"s3://{server.bucket}/{prefix}", server.options(), s3=server, prefix=prefix)


@pytest.fixture
def configured(settings: Settings, store_setting: StoreSetting) -> Iterator[Settings]:
    """The composition root installed with `store_setting` for one test (then with the session's settings again)."""
    installed = wiring.install(store_setting.settings(settings))
    try:
        yield installed
    finally:
        wiring.install(settings)


@pytest.fixture
def server_database(settings: Settings, tmp_path: Path) -> Iterator[ServerDatabase]:
    """A database of their own for openidv server processes, set up as `openidv setup` would (sandbox, its
    Government ID template, an API key). Not this process's: it holds SQLite connections whose file locks a
    later open and close of the same file in this process (as `make_engine` does) silently drops, and a server
    that then closes last would remove the write-ahead log under them."""
    backend = os.environ.get("OPENIDV_TEST_DB", "sqlite")
    place = fresh_schema(f"storage_{os.getpid()}") if backend == "postgresql" else nullcontext(f"sqlite:///{tmp_path / 'servers.db'}")
    with place as url:
        upgrade(url)
        engine = make_engine(url, pool_size=1)
        try:
            with transaction(session_factory(engine, writer=True)) as db:
                sandbox = auth.ensure_environments(db)[0]
                config = dict(starter_templates())["Government ID"]
                template_id = templates.create_template(db, sandbox.id, "Government ID", config)[0].id
                api_key = auth.create_api_key(db, sandbox, name="storage tests").secret
        finally:
            engine.dispose()
        yield ServerDatabase(url, api_key, template_id)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Start openidv servers: `serve(env, api_key)` returns a Server answering the API; all stopped at the end."""
    started: list[Server] = []

    def start(env: dict[str, str], api_key: str) -> Server:
        port = free_port()
        data_dir = tmp_path / f"server-{len(started)}"
        log = tmp_path / f"server-{len(started)}.log"
        base = f"http://127.0.0.1:{port}"
        with open(log, "wb") as out:
            process = subprocess.Popen([OPENIDV, "serve", "--no-worker", "--port", str(port), "--data-dir", str(data_dir)],
                                       env=env | {"OPENIDV_BASE_URL": base}, stdout=out, stderr=subprocess.STDOUT)
        server = Server(base, data_dir, process, log)
        started.append(server)
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"openidv serve exited: {server.output()}"
            try:
                if httpx.get(f"{base}/api/v1/inquiries", headers={"Authorization": f"Bearer {api_key}"}, timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"openidv serve did not answer: {server.output()}"
            time.sleep(0.2)

    yield start
    for server in started:
        server.process.terminate()
    for server in started:
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
