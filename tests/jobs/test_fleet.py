"""Distributed mode end to end, with real processes on PostgreSQL: `openidv setup`, `openidv serve --no-worker`
and ONE separate `openidv worker` (its own executor id). Every job below can only run in that worker, so it
must know all of the application's jobs, not only the webhook ones:

- webhooks: an inquiry made through the API is delivered, signed, by the worker;
- a government ID (a generated driver's licence, front and back, with a real face as its portrait) is
  submitted through the API and `government-id.process` concludes it in the worker;
- a three-pose selfie of the same face, submitted through the API, is concluded by `selfie.process`;
- `selfies.purge-expired` (enqueued by name into the database the worker reads) forgets the biometric
  data of a concluded selfie older than OPENIDV_BIOMETRIC_RETENTION_DAYS, and keeps a younger one.

API-created verifications run the real engines in the sandbox too (OPENIDV_SANDBOX_FLOW_CHECKS only
concerns the hosted flow). Runs in the PostgreSQL pass only."""

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from fleet_support import fresh_schema, process_env
from test_crash_recovery import BIN, Server, _cli
from webhook_receiver import Receiver, signature_ok

from openidv.kit.clock import now
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.kit.ids import new_id
from openidv.models import Job, SelfieBiometric
from openidv.testdata import idgen, selfiegen

BACKEND = os.environ.get("OPENIDV_TEST_DB", "sqlite")
pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="distributed mode runs on PostgreSQL")

GOV = "/verification/government-ids"
SELFIE = "/verification/selfies"
TEMPLATE = "Government ID and Selfie"
EXECUTOR = "fleet-worker-1"
RETENTION_DAYS = 30  # not the default (1095): only a worker that reads the setting purges a 31-day-old selfie
CONCLUDE_SECONDS = 120
EVENTS = ["inquiry.created", "verification.passed", "verification.failed"]
POSES = ("center", "left", "right")
PURGE = "selfies.purge-expired"


@dataclass
class Fleet:
    data_dir: Path
    engine: Engine
    server: Server
    worker: subprocess.Popen
    worker_log: Path
    api: httpx.Client
    template: str
    receiver: Receiver
    webhook_secret: str

    def log(self) -> str:
        text = self.worker_log.read_text(errors="replace")
        alive = "running" if self.worker.poll() is None else f"exited with {self.worker.returncode}"
        return f"\n---- openidv worker {EXECUTOR} ({alive}), last 6000 characters of its log ----\n{text[-6000:]}"

    def job(self, job_id: str) -> Job | None:
        with transaction(session_factory(self.engine)) as db:
            job = db.get(Job, job_id)
            if job is not None:
                db.expunge(job)
            return job


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    data_dir = tmp_path_factory.mktemp("fleet")
    with fresh_schema(f"fleet_{os.getpid()}") as url:
        yield from _fleet(data_dir, url)


def _fleet(data_dir: Path, url: str) -> Iterator[Fleet]:
    env = process_env(url, JOBS_LEASE_SECONDS="300", JOB_THREADS_VERIFICATIONS="2", RATE_LIMIT_PER_MINUTE="100000",
                      BIOMETRIC_RETENTION_DAYS=str(RETENTION_DAYS))
    receiver = Receiver()
    engine = make_engine(url, pool_size=2)
    server = worker = log = None
    try:
        setup = _run_cli(data_dir, "setup", env=env)
        key = _run_cli(data_dir, "api-key", "create", "--environment", "sandbox", env=env)["secret"]
        template = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == TEMPLATE)
        try:
            server = Server(data_dir, env=env, extra=["--no-worker"])
        except AssertionError as exc:
            logs = "".join(p.read_text(errors="replace")[-4000:] for p in data_dir.glob("server-*.log"))
            raise AssertionError(f"{exc}\n---- openidv serve --no-worker log ----\n{logs}") from None
        worker_log = data_dir / "worker.log"
        log = worker_log.open("w")
        worker = subprocess.Popen([str(BIN), "worker", "--executor-id", EXECUTOR, "--data-dir", str(data_dir)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        api = server.api(key)
        api.timeout = httpx.Timeout(60)  # uploads of several photos
        hook = api.post("/webhooks", json={"data": {"attributes": {"name": "fleet", "url": receiver.url, "enabled-events": EVENTS}}})
        assert hook.status_code == 201, hook.text
        yield Fleet(data_dir, engine, server, worker, worker_log, api, template, receiver, hook.json()["data"]["attributes"]["secret"])
    finally:
        receiver.gate.set()
        if worker is not None and worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(5)
        if log is not None:
            log.close()
        if server is not None:
            server.stop()
        receiver.close()
        engine.dispose()


# ---------------------------------------------------------------- helpers


def _run_cli(data_dir: Path, *args: str, env: dict[str, str]) -> dict:
    try:
        return _cli(data_dir, *args, env=env)
    except subprocess.CalledProcessError as exc:
        raise AssertionError(f"openidv {' '.join(args)} exited with {exc.returncode}:\n{exc.stderr[-4000:]}") from None


def _photo(data: bytes, name: str) -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": name}


def _inquiry(fleet: Fleet) -> str:
    made = fleet.api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": fleet.template}}})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def _deliveries(fleet: Fleet, event: str, object_id: str) -> list:
    """Webhook deliveries of `event` whose payload is the object `object_id`."""
    found = []
    for r in list(fleet.receiver.received):
        attributes = r.body["data"]["attributes"]
        if attributes["name"] == event and attributes["payload"]["data"]["id"] == object_id:
            found.append(r)
    return found


def _wait_delivered(fleet: Fleet, event: str, object_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not _deliveries(fleet, event, object_id):
        got = [r.body["data"]["attributes"]["name"] for r in list(fleet.receiver.received)]
        assert time.monotonic() < deadline, f"{event} of {object_id} not delivered in {timeout} s (got {got}){fleet.log()}"
        time.sleep(0.1)
    for r in _deliveries(fleet, event, object_id):
        assert signature_ok(r.headers["persona-signature"], r.raw, [fleet.webhook_secret])


def _job_failure(job: Job | None) -> str | None:
    """Why a job can no longer succeed: it failed for good, or the worker does not know it (a retry in the
    same process cannot help)."""
    if job is None:
        return None
    if job.state == "failed" or (job.last_error and "no job named" in job.last_error):
        return f"job {job.id} ({job.name}) is {job.state} after {job.attempts} attempt(s): {job.last_error}"
    return None


def _wait_concluded(fleet: Fleet, path: str, vid: str, job_id: str) -> dict:
    """The verification once `passed` or `failed`, processed by the worker's job `job_id` (bounded)."""
    deadline = time.monotonic() + CONCLUDE_SECONDS
    while True:
        answer = fleet.api.get(f"{path}/{vid}")
        assert answer.status_code == 200, answer.text
        data = answer.json()["data"]
        status = data["attributes"]["status"]
        if status in ("passed", "failed"):
            return data
        job = fleet.job(job_id)
        failure = _job_failure(job)
        assert failure is None, f"{vid} stays {status}: {failure}{fleet.log()}"
        assert fleet.worker.poll() is None, f"the worker died{fleet.log()}"
        assert time.monotonic() < deadline, (f"{vid} still {status} after {CONCLUDE_SECONDS} s; job "
                                             f"{job and (job.state, job.attempts, job.last_error)}{fleet.log()}")
        time.sleep(0.2)


def _wait_job_done(fleet: Fleet, job_id: str, timeout: float = 60) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = fleet.job(job_id)
        assert job is not None, f"job {job_id} vanished"
        failure = _job_failure(job)
        assert failure is None, f"{failure}{fleet.log()}"
        if job.state == "done":
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.state} after {timeout} s ({job.last_error}){fleet.log()}"
        time.sleep(0.1)


def _enqueue_by_name(db, name: str) -> str:
    """The row `openidv.jobs.enqueue_in_tx(db, name)` adds for a periodic job (queue `periodic`, one attempt),
    written here so that only the worker process, not this one, has to know the job."""
    job_id = new_id("job")
    db.add(Job(id=job_id, name=name, queue="periodic", kwargs={}, state="queued", run_at=now(), attempts=0, max_attempts=1))
    return job_id


def _failed_checks(data: dict) -> list[dict]:
    return [c for c in data["attributes"]["checks"] if c["status"] == "failed"]


def _stored(fleet: Fleet, name: str) -> Path:
    return fleet.data_dir / "files" / name


# ---------------------------------------------------------------- tests


def test_worker_delivers_webhooks(fleet: Fleet) -> None:
    """The part distributed mode always had: the API commits the event, the separate worker delivers it."""
    inquiry_id = _inquiry(fleet)
    _wait_delivered(fleet, "inquiry.created", inquiry_id)


def test_verifications_conclude_and_biometrics_are_purged_in_the_worker(fleet: Fleet) -> None:
    api = fleet.api
    inquiry_id = _inquiry(fleet)

    # a) a government ID, front and back, through the API; `government-id.process` runs in the worker.
    licence = idgen.make("drivers_license", 41)
    front = selfiegen.id_front_with_portrait("astronaut", kind="drivers_license", seed=41)  # same sample, with a real face
    attributes = {"inquiry-id": inquiry_id, "country-code": "US", "id-class": "dl",
                  "front-photo": _photo(front, "front.jpg"), "back-photo": _photo(licence.jpeg("back"), "back.jpg")}
    made = api.post(GOV, json={"data": {"type": "verification/government-id", "attributes": attributes}})
    assert made.status_code == 201, made.text
    gid = made.json()["data"]["id"]
    submitted = api.post(f"{GOV}/{gid}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["data"]["attributes"]["status"] == "submitted"
    started = time.monotonic()
    gov = _wait_concluded(fleet, GOV, gid, f"gid:{gid}")
    print(f"\ngovernment ID {gid} {gov['attributes']['status']} after {time.monotonic() - started:.1f} s")
    a = gov["attributes"]
    assert a["status"] == "passed", _failed_checks(gov)  # a clean generated licence whose barcode agrees with its front
    assert a["identification-number"] == licence.truth["identification-number"]
    assert a["name-last"] == licence.truth["name-last"]
    assert {c["name"]: c["status"] for c in a["checks"]}["id_double_side_detection"] == "passed"  # the back was read
    _wait_delivered(fleet, "verification.passed", gid)

    # b) a three-pose selfie of the ID's face through the API; `selfie.process` runs in the worker.
    poses = selfiegen.three_poses("astronaut", seed=42)
    attributes = {"inquiry-id": inquiry_id, **{f"{pose}-photo": _photo(data, f"{pose}.jpg") for pose, data in zip(POSES, poses, strict=True)}}
    made = api.post(SELFIE, json={"data": {"type": "verification/selfie", "attributes": attributes}})
    assert made.status_code == 201, made.text
    sid = made.json()["data"]["id"]
    submitted = api.post(f"{SELFIE}/{sid}/submit")
    assert submitted.status_code == 200, submitted.text
    started = time.monotonic()
    selfie = _wait_concluded(fleet, SELFIE, sid, f"selfie:{sid}")
    print(f"selfie {sid} {selfie['attributes']['status']} after {time.monotonic() - started:.1f} s")
    a = selfie["attributes"]
    assert a["status"] == "passed", _failed_checks(selfie)
    assert {c["name"]: c["status"] for c in a["checks"]}["selfie_id_comparison"] == "passed"  # compared with the licence's portrait
    assert a["document-similarity-score"] is not None
    assert all(a[f"{pose}-photo-url"] for pose in POSES)
    _wait_delivered(fleet, "verification.passed", sid)
    with transaction(session_factory(fleet.engine)) as db:
        row = db.get(SelfieBiometric, sid)
        assert row is not None and row.embedding_sealed, "the concluded selfie holds a sealed face embedding"
    for pose in POSES:
        assert _stored(fleet, f"{sid}-{pose}").exists()

    # c) retention: the concluded selfie's biometric data is 31 days old (beyond the 30-day setting); a younger
    # selfie (29 days, not submitted) is the control. `selfies.purge-expired` goes, by name, into the database.
    control = api.post(SELFIE, json={"data": {"type": "verification/selfie", "attributes": {
        "inquiry-id": _inquiry(fleet), **{f"{pose}-photo": _photo(data, f"{pose}.jpg") for pose, data in zip(POSES, poses, strict=True)}}}})
    assert control.status_code == 201, control.text
    cid = control.json()["data"]["id"]
    with transaction(session_factory(fleet.engine, writer=True)) as db:
        db.execute(update(SelfieBiometric).where(SelfieBiometric.verification_id == sid).values(created_at=now() - timedelta(days=RETENTION_DAYS + 1)))
        db.execute(update(SelfieBiometric).where(SelfieBiometric.verification_id == cid).values(created_at=now() - timedelta(days=RETENTION_DAYS - 1)))
        purge = _enqueue_by_name(db, PURGE)
    job = _wait_job_done(fleet, purge)
    assert job.attempts == 1 and job.last_error is None

    with transaction(session_factory(fleet.engine)) as db:
        assert db.get(SelfieBiometric, sid) is None, "the expired selfie's embedding is still there"
        assert db.get(SelfieBiometric, cid) is not None, "the younger selfie's biometric data went too"
    for pose in POSES:
        assert not _stored(fleet, f"{sid}-{pose}").exists(), f"{sid}-{pose} still on disk"
        assert _stored(fleet, f"{cid}-{pose}").exists()
    assert _stored(fleet, f"{gid}-front").exists()  # the government ID is not biometric data of a selfie
    purged = api.get(f"{SELFIE}/{sid}").json()["data"]["attributes"]
    assert purged["status"] == "passed"  # the verification stays, without its photos
    assert purged["center-photo-url"] is None and purged["left-photo-url"] is None and purged["right-photo-url"] is None
    assert purged["photo-urls"] == []
    kept = api.get(f"{SELFIE}/{cid}").json()["data"]["attributes"]
    assert kept["status"] == "initiated" and kept["center-photo-url"]
    assert fleet.worker.poll() is None, fleet.log()
