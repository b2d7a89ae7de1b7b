"""Distributed mode on PostgreSQL: `serve --no-worker` and two `openidv worker` processes; one is killed
for good with deliveries in flight, `openidv jobs recover` hands its work to the other, and every event
arrives. Runs in the PostgreSQL pass only."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from fleet_support import fresh_schema, process_env
from sqlalchemy import func, select
from test_crash_recovery import BIN, Server, _cli
from webhook_receiver import Receiver

from openidv.kit.db import make_engine
from openidv.models import Job

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="distributed mode runs on PostgreSQL")


def test_killed_worker_is_recovered(tmp_path: Path) -> None:
    with fresh_schema(f"wh_dist_{os.getpid()}") as url:
        _killed_worker_is_recovered(tmp_path, url)


def _killed_worker_is_recovered(tmp_path: Path, url: str) -> None:
    env = process_env(url, JOBS_LEASE_SECONDS="300", JOB_THREADS_DELIVERIES="3")
    receiver = Receiver()
    processes: list[subprocess.Popen] = []
    server = None
    engine = make_engine(url, pool_size=1)
    try:
        setup = _cli(tmp_path, "setup", env=env)
        key = _cli(tmp_path, "api-key", "create", "--environment", "sandbox", env=env)["secret"]
        template = setup["environments"]["sandbox"]["templates"][0]["id"]
        server = Server(tmp_path, env=env, extra=["--no-worker"])
        log = (tmp_path / "workers.log").open("w")
        for name in ("wa", "wb"):
            processes.append(subprocess.Popen([str(BIN), "worker", "--executor-id", name, "--data-dir", str(tmp_path)], env=env,
                                              stdout=log, stderr=subprocess.STDOUT))
        api = server.api(key)
        hook = {"data": {"attributes": {"name": "d", "url": receiver.url, "enabled-events": ["inquiry.created"]}}}
        assert api.post("/webhooks", json=hook).status_code == 201
        receiver.gate.clear()
        for _ in range(12):
            assert api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}}).status_code == 201
        receiver.wait_for(6)  # both workers' threads are busy with held deliveries
        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(10)
        with engine.connect() as conn:
            held_by_a = conn.scalar(select(func.count()).select_from(Job).where(Job.locked_by == "wa", Job.state == "queued"))
        assert held_by_a > 0
        done = subprocess.run([str(BIN), "jobs", "recover", "--executor", "wa", "--data-dir", str(tmp_path)], env=env,
                              capture_output=True, text=True, timeout=60, check=True)
        assert f"{held_by_a} job(s)" in done.stdout
        receiver.gate.set()
        wanted = {e["id"] for e in api.get("/events", params={"filter[name]": "inquiry.created"}).json()["data"]}
        deadline = time.monotonic() + 30  # far below the 300 s lease: only the recovery explains it
        while not wanted <= {r.body["data"]["id"] for r in receiver.received}:
            assert time.monotonic() < deadline, "events not delivered after recovery"
            time.sleep(0.1)
    finally:
        receiver.gate.set()
        for p in processes:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        if server:
            server.stop()
        receiver.close()
        engine.dispose()
