"""A fleet killed mid-run, with real processes: PostgreSQL, an S3-compatible object store (moto's standalone
server), two `openidv serve --no-worker` and two `openidv worker` processes, each with a data folder of its own,
and a real webhook receiver subscribed to every event.

Six inquiries, each with a generated government ID (front and back, a real face as its portrait) and a
three-pose selfie of that face, go through the two API servers in turn. While the second worker holds
verification jobs, that worker and the second API server are killed with SIGKILL; the API server is started
again, the worker is not. Then:

- every verification concludes (passed or failed; none left submitted);
- every event the database recorded after the webhook was made reaches the receiver at least once, signed;
- every photo of every verification is served, identical, by either API server (read from the bucket);
- no job is lost: the jobs the killed worker held ran again elsewhere, none failed, and none is left queued
  or leased past its lease.

Runs in the PostgreSQL pass only."""

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from fleet_support import fresh_schema, process_env, s3_server
from test_crash_recovery import BIN, Server, _cli
from webhook_receiver import Receiver, signature_ok

from openidv.kit.clock import now
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.models import Event, Job, Webhook
from openidv.testdata import idgen, selfiegen

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="a fleet shares one PostgreSQL database; SQLite is one process's")

GOV = "/verification/government-ids"
SELFIE = "/verification/selfies"
TEMPLATE = "Government ID and Selfie"
POSES = ("center", "left", "right")
INQUIRIES = 6
KILL_AFTER = 4  # inquiries sent before the kill (two through each server)
LEASE_SECONDS = 20  # a killed worker's jobs run again after this; longer than any one job here takes
WORKERS = ("fleet-kill-w1", "fleet-kill-w2")
START_SECONDS = 120  # an API server answers /healthz within this (the machine may be busy with other tests)
SETTLE_SECONDS = 240  # the whole run settles within this after the first inquiry is sent (under a minute when idle)


@dataclass
class Sent:
    """One inquiry's verifications and the photos sent for them, by URL attribute."""

    inquiry: str
    verifications: dict[str, str] = field(default_factory=dict)  # id -> API path
    photos: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (verification id, "front-photo-url") -> bytes


@dataclass
class Fleet:
    data_dir: Path
    env: dict[str, str]
    engine: Engine
    key: str
    template: str
    servers: list[Server]
    workers: list[subprocess.Popen]
    receiver: Receiver
    logs: list[Path] = field(default_factory=list)

    def start_worker(self, n: int) -> subprocess.Popen:
        log_path = self.data_dir / f"{WORKERS[n]}.log"
        self.logs.append(log_path)
        with log_path.open("w") as log:
            return subprocess.Popen([str(BIN), "worker", "--executor-id", WORKERS[n], "--data-dir", str(self.data_dir / WORKERS[n])],
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start_server(self, n: int) -> Server:
        folder = self.data_dir / f"api-{n + 1}"
        folder.mkdir(exist_ok=True)
        try:
            return Server(folder, env=self.env, extra=["--no-worker"], start_seconds=START_SECONDS)
        except AssertionError as exc:
            raise AssertionError(f"{exc}{self.log()}") from None

    def log(self) -> str:
        paths = [*self.logs, *sorted(self.data_dir.glob("api-*/server-*.log"))]
        return "".join(f"\n---- {p.name} ----\n{p.read_text(errors='replace')[-3000:]}" for p in paths if p.exists())

    def jobs(self) -> list[Job]:
        with transaction(session_factory(self.engine)) as db:
            jobs = list(db.scalars(select(Job)))
            for job in jobs:
                db.expunge(job)
            return jobs


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with fresh_schema(f"fleet_kill_{os.getpid()}") as url, s3_server(tmp_path / "moto.log") as s3:
        env = process_env(url, **s3.settings("fleet"), JOBS_LEASE_SECONDS=str(LEASE_SECONDS), JOB_THREADS_VERIFICATIONS="1",
                          RATE_LIMIT_PER_MINUTE="100000")
        receiver = Receiver()
        engine = make_engine(url, pool_size=2)
        fleet = Fleet(tmp_path, env, engine, "", "", [], [], receiver)
        try:
            setup = _cli(tmp_path / "setup", "setup", env=env)
            fleet.template = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == TEMPLATE)
            fleet.key = _cli(tmp_path / "setup", "api-key", "create", "--environment", "sandbox", env=env)["secret"]
            fleet.servers = [fleet.start_server(0), fleet.start_server(1)]
            fleet.workers = [fleet.start_worker(0), fleet.start_worker(1)]
            yield fleet
        finally:
            receiver.gate.set()
            for process in fleet.workers:
                if process.poll() is None:
                    process.terminate()
            for server in fleet.servers:
                server.stop()
            for process in fleet.workers:
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            receiver.close()
            engine.dispose()


# ---------------------------------------------------------------- helpers


def _photo(data: bytes, name: str) -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": name}


def _evidence(n: int) -> tuple[bytes, bytes, tuple[bytes, bytes, bytes]]:
    """A driver's licence (front with a real face as its portrait, back) and three poses of that face."""
    face = selfiegen.FACES[n % len(selfiegen.FACES)]
    licence = idgen.make("drivers_license", 300 + n)
    front = selfiegen.id_front_with_portrait(face, kind="drivers_license", seed=300 + n)
    return front, licence.jpeg("back"), selfiegen.three_poses(face, seed=400 + n)


def _send(api: httpx.Client, template: str, evidence: tuple[bytes, bytes, tuple[bytes, bytes, bytes]]) -> Sent:
    made = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}})
    assert made.status_code == 201, made.text
    sent = Sent(made.json()["data"]["id"])
    front, back, poses = evidence
    kinds = [
        (GOV, "verification/government-id", {"country-code": "US", "id-class": "dl"}, {"front": front, "back": back}),
        (SELFIE, "verification/selfie", {}, dict(zip(POSES, poses, strict=True))),
    ]
    for path, kind, extra, photos in kinds:
        attributes = {"inquiry-id": sent.inquiry, **extra, **{f"{side}-photo": _photo(data, f"{side}.jpg") for side, data in photos.items()}}
        made = api.post(path, json={"data": {"type": kind, "attributes": attributes}})
        assert made.status_code == 201, made.text
        vid = made.json()["data"]["id"]
        submitted = api.post(f"{path}/{vid}/submit")
        assert submitted.status_code == 200, submitted.text
        sent.verifications[vid] = path
        sent.photos |= {(vid, f"{side}-photo-url"): data for side, data in photos.items()}
    return sent


def _held_by(fleet: Fleet, executor: str) -> list[Job]:
    """The verification jobs `executor` holds a live lease on (running there now)."""
    at = now()
    return [j for j in fleet.jobs() if j.state == "queued" and j.locked_by == executor and j.locked_until is not None
            and j.locked_until > at and j.name in ("government-id.process", "selfie.process")]


def _wait(what: str, done: Callable[[], object], fleet: Fleet, deadline: float, details: Callable[[], str] = str) -> None:
    while not done():
        assert time.monotonic() < deadline, f"{what}: {details()}{fleet.log()}"
        time.sleep(0.25)


def _concluded(apis: list[httpx.Client], sent: list[Sent]) -> dict[str, dict]:
    """The verifications that have concluded, by id (read from the API servers in turn)."""
    found = {}
    for n, (vid, path) in enumerate((v, p) for s in sent for v, p in s.verifications.items()):
        answer = apis[n % len(apis)].get(f"{path}/{vid}")
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        if data["attributes"]["status"] in ("passed", "failed"):
            found[vid] = data
    return found


def _events_since(fleet: Fleet, webhook_id: str, since: datetime) -> dict[str, str]:
    """Event id -> name, of every event of the webhook's environment recorded after `since`."""
    with transaction(session_factory(fleet.engine)) as db:
        environment = db.scalar(select(Webhook.environment_id).where(Webhook.id == webhook_id))
        rows = db.execute(select(Event.id, Event.name).where(Event.environment_id == environment, Event.created_at > since))
        return {event_id: name for event_id, name in rows}


def _unfinished(fleet: Fleet) -> list[str]:
    """Jobs that should have finished and have not: any failed one, any non-periodic one not done (or cancelled, as a
    workflow run's timeout is when the report it waited for came first), any
    periodic one left queued or leased past its run time or lease."""
    at = now()
    left = []
    for job in fleet.jobs():
        periodic = job.id.startswith("every:")
        stale = job.state == "queued" and (job.locked_until is not None and job.locked_until < at or job.locked_by is None and job.run_at < at)
        if job.state == "failed" or (not periodic and job.state not in ("done", "cancelled")) or (periodic and stale and (at - job.run_at).total_seconds() > 5):
            left.append(f"{job.id} ({job.name}) {job.state}, attempts {job.attempts}, leased by {job.locked_by} until {job.locked_until}: {job.last_error}")
    return left


# ---------------------------------------------------------------- the test


def test_a_fleet_loses_nothing_when_a_worker_and_an_api_server_are_killed(fleet: Fleet) -> None:
    evidence = [_evidence(n) for n in range(INQUIRIES)]
    started = time.monotonic()
    deadline = started + SETTLE_SECONDS
    apis = [server.api(fleet.key) for server in fleet.servers]
    for api in apis:
        api.timeout = httpx.Timeout(60)  # uploads of several photos while the workers use both cores
    template = fleet.template
    hook = apis[0].post("/webhooks", json={"data": {"attributes": {"name": "fleet", "url": fleet.receiver.url, "enabled-events": ["*"]}}})
    assert hook.status_code == 201, hook.text
    hook_id, secret = hook.json()["data"]["id"], hook.json()["data"]["attributes"]["secret"]
    since = now()

    sent = [_send(apis[n % 2], template, evidence[n]) for n in range(KILL_AFTER)]

    # the second worker runs verification jobs: kill it, and the second API server, with SIGKILL
    _wait("the second worker never held a verification job", lambda: _held_by(fleet, WORKERS[1]), fleet, deadline)
    fleet.workers[1].send_signal(signal.SIGKILL)
    fleet.workers[1].wait(10)
    held = {j.id for j in fleet.jobs() if j.state == "queued" and j.locked_by == WORKERS[1]}
    assert held, "the killed worker held no job"
    fleet.servers[1].kill()
    assert fleet.servers[1].process.returncode == -signal.SIGKILL and fleet.workers[1].returncode == -signal.SIGKILL
    fleet.servers[1] = fleet.start_server(1)  # the API server comes back (a new port), the worker does not
    apis[1] = fleet.servers[1].api(fleet.key)
    apis[1].timeout = httpx.Timeout(60)
    sent += [_send(apis[n % 2], template, evidence[n]) for n in range(KILL_AFTER, INQUIRIES)]
    vids = {v for s in sent for v in s.verifications}
    assert len(vids) == 2 * INQUIRIES

    # every verification concludes: the jobs the dead worker held run again in the live one once their lease ends
    concluded: dict[str, dict] = {}

    def all_concluded() -> bool:
        assert fleet.workers[0].poll() is None, f"the live worker died{fleet.log()}"
        concluded.update(_concluded(apis, sent))
        return set(concluded) == vids

    _wait(f"verifications still not concluded after {SETTLE_SECONDS} s", all_concluded, fleet, deadline)
    print(f"\n{len(vids)} verifications concluded {time.monotonic() - started:.1f} s after the first was sent: "
          f"{sum(d['attributes']['status'] == 'passed' for d in concluded.values())} passed; the killed worker held {sorted(held)}")

    # every event recorded after the webhook was made is delivered at least once, signed
    events: dict[str, str] = {}

    def all_delivered() -> bool:
        events.update(_events_since(fleet, hook_id, since))
        return set(events) <= {r.body["data"]["id"] for r in list(fleet.receiver.received)}

    _wait("events not delivered", all_delivered, fleet, deadline)
    assert {"verification.submitted", "inquiry.created"} <= set(events.values())
    assert {"verification.passed", "verification.failed"} & set(events.values())
    for r in list(fleet.receiver.received):
        assert signature_ok(r.headers["persona-signature"], r.raw, [secret]), r.body["data"]["attributes"]["name"]

    # every photo is served by either API server, as it was sent (the servers share nothing but the bucket)
    for s in sent:
        for (vid, attribute), data in s.photos.items():
            link = urlsplit(concluded[vid]["attributes"][attribute])
            for server in fleet.servers:
                got = httpx.get(f"{server.url}{link.path}?{link.query}", timeout=30)
                assert got.status_code == 200, (server.url, vid, attribute, got.text[:200])
                assert got.content == data, (server.url, vid, attribute)

    # no job is lost: the dead worker's ran again, none failed, none is left queued or leased past its lease
    left: list[str] = []

    def nothing_left() -> bool:
        left[:] = _unfinished(fleet)
        return not left

    _wait("jobs left unfinished", nothing_left, fleet, deadline, lambda: "\n".join(left))
    jobs = {j.id: j for j in fleet.jobs()}
    for job_id in held:
        assert jobs[job_id].state == "done" and jobs[job_id].attempts >= 2, (job_id, jobs[job_id].state, jobs[job_id].attempts)
    for s in sent:
        for vid, path in s.verifications.items():
            job = jobs[f"{'gid' if path == GOV else 'selfie'}:{vid}"]
            assert job.state == "done", (job.id, job.state)
    print(f"settled {time.monotonic() - started:.1f} s after the first inquiry was sent; {len(events)} events delivered, "
          f"{len(fleet.receiver.received)} requests received")
