"""Crash safety with real processes: `openidv serve` killed with SIGKILL while deliveries are in flight
and others are committed but not yet sent; after a restart every event arrives at least once, and an
inquiry that fell due while the server was down is expired by the sweep."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from webhook_receiver import Receiver, signature_ok

from openidv.kit.clock import now
from openidv.kit.db import make_engine
from openidv.models import Inquiry

BIN = Path(sys.executable).parent / "openidv"


def _cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    env = env or {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")}
    done = subprocess.run([str(BIN), *args, "--data-dir", str(data_dir), "--json"], capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(done.stdout)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, *, env: dict[str, str] | None = None, extra: list[str] | None = None, start_seconds: float = 30) -> None:
        self.data_dir, self.port = data_dir, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = env or {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
            "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "OPENIDV_JOBS_LEASE_SECONDS": "1.5", "OPENIDV_JOBS_POLL_SECONDS": "0.1",
            "OPENIDV_EXPIRY_SWEEP_SECONDS": "1", "OPENIDV_LOG_LEVEL": "warning", "OPENIDV_RATE_LIMIT_PER_MINUTE": "100000",
        }
        self.log = (data_dir / f"server-{self.port}.log").open("w")
        self.process = subprocess.Popen([str(BIN), "serve", "--port", str(self.port), "--data-dir", str(data_dir), *(extra or [])], env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_seconds
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.gate.set()
    r.close()


def test_sigkill_loses_no_delivery_and_no_expiry(data_dir: Path, receiver: Receiver) -> None:
    setup = _cli(data_dir, "setup")
    key = _cli(data_dir, "api-key", "create", "--environment", "sandbox")["secret"]
    template = setup["environments"]["sandbox"]["templates"][0]["id"]
    first = Server(data_dir)
    try:
        api = httpx.Client(base_url=f"{first.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        hook = api.post("/webhooks", json={"data": {"attributes": {"name": "crash", "url": receiver.url,
                                                                   "enabled-events": ["inquiry.created", "inquiry.expired"]}}})
        assert hook.status_code == 201, hook.text
        secret = hook.json()["data"]["attributes"]["secret"]
        receiver.gate.clear()  # the receiver holds every request: deliveries in flight
        inquiries = []
        for _ in range(12):
            answer = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}})
            assert answer.status_code == 201, answer.text
            inquiries.append(answer.json()["data"]["id"])
        receiver.wait_for(1)
        time.sleep(0.3)
        first.kill()  # some deliveries in flight, the rest committed and not yet sent
    finally:
        first.stop()
    before_restart = len(receiver.received)
    held = {r.body["data"]["id"] for r in receiver.received}
    assert 1 <= len(held) < 12
    engine = make_engine(f"sqlite:///{data_dir / 'openidv.db'}", pool_size=1)
    with engine.begin() as conn:  # fell due while the server was down
        conn.execute(update(Inquiry).where(Inquiry.id == inquiries[0]).values(expires_at=now()))
    engine.dispose()
    receiver.gate.set()

    second = Server(data_dir)
    try:
        api = httpx.Client(base_url=f"{second.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=10)
        events = api.get("/events", params={"filter[name]": "inquiry.created", "page[size]": 100}).json()["data"]
        wanted = {e["id"] for e in events}
        assert len(wanted) == 12
        deadline = time.monotonic() + 20
        while True:
            got = [r for r in receiver.received]
            ids = {r.body["data"]["id"] for r in got}
            names = {r.body["data"]["attributes"]["name"] for r in got}
            if wanted <= ids and "inquiry.expired" in names:
                break
            assert time.monotonic() < deadline, (len(wanted - ids), names)
            time.sleep(0.1)
        for r in got:
            assert signature_ok(r.headers["persona-signature"], r.raw, [secret])
        again = [r for r in got[before_restart:] if r.body["data"]["id"] in held]
        assert {r.body["data"]["id"] for r in again} == held  # each delivery in flight at the kill is sent again
        assert api.get(f"/inquiries/{inquiries[0]}").json()["data"]["attributes"]["status"] == "expired"
    finally:
        second.stop()
