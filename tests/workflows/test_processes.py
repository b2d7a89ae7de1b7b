"""Workflows end to end with real processes: `openidv setup`, `openidv lists load`, `openidv serve` (its embedded
worker) and real HTTP receivers, on a data folder of their own.

- The starter workflows decide on their own: a completed inquiry is screened and approved, a listed person's gets
  a case and goes to review, a failed one is declined; every event of the way reaches a subscribed webhook, signed.
- A server killed with SIGKILL while a run's step is in flight (an HTTP call held by the receiver) resumes the run
  at that step once started again: the steps before it and after it act once.
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from test_crash_recovery import BIN, Server, _cli
from webhook_receiver import Receiver, signature_ok

FIXTURES = Path(__file__).resolve().parents[1] / "screening" / "fixtures"
HOOKED = ["inquiry.completed", "inquiry.failed", "inquiry.approved", "inquiry.declined", "inquiry.marked-for-review", "workflow-run.created",
          "workflow-run.resumed", "workflow-run.errored", "report/watchlist.ready", "report/watchlist.matched", "case.created"]
SETTLE_SECONDS = 180  # the first screening in a process loads the name matcher's data; the machine may be busy


@dataclass
class Install:
    data_dir: Path
    key: str
    templates: dict[str, str]
    server: Server

    def api(self) -> httpx.Client:
        # generous: the first screening in the server loads the name matcher's data while requests wait (busy machine)
        return httpx.Client(base_url=f"{self.server.url}/api/v1", headers={"Authorization": f"Bearer {self.key}"}, timeout=90)


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Install]:
    setup = _cli(tmp_path, "setup")
    subprocess.run([str(BIN), "lists", "load", str(FIXTURES / "sdn.xml"), "--source", "ofac-sdn", "--data-dir", str(tmp_path)],
                   check=True, capture_output=True, timeout=300)
    key = _cli(tmp_path, "api-key", "create", "--environment", "sandbox")["secret"]
    made = Install(tmp_path, key, {t["name"]: t["id"] for t in setup["environments"]["sandbox"]["templates"]}, Server(tmp_path, start_seconds=120))
    try:
        yield made
    finally:
        made.server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.gate.set()
    r.close()


def _inquiry(api: httpx.Client, template: str, reference: str, **fields: str) -> str:
    answer = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template, "reference-id": reference, "fields": fields}}})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def _simulate(api: httpx.Client, inquiry_id: str, action: str) -> None:
    answer = api.post(f"/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": action}]}})
    assert answer.status_code == 200, answer.text


def _status_becomes(api: httpx.Client, inquiry_id: str, wanted: str, seconds: float = SETTLE_SECONDS) -> None:
    deadline, status = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        status = api.get(f"/inquiries/{inquiry_id}").json()["data"]["attributes"]["status"]
        if status == wanted:
            return
        time.sleep(0.2)
    raise AssertionError(f"inquiry {inquiry_id} is {status}, not {wanted}")


def _events(api: httpx.Client, object_id: str) -> list[dict]:
    events = api.get("/events", params={"filter[object-id]": object_id, "page[size]": 100}).json()["data"]
    # Oldest first. The list comes newest first by the full-precision time; `created-at` shows milliseconds only, so
    # two events of one request (inquiry.transitioned, inquiry.completed) often share it, and sorting by it is a coin toss.
    return list(reversed(events))


def _names(events: list[dict]) -> list[str]:
    return [e["attributes"]["name"] for e in events]


def test_starter_workflows_decide_with_every_event_delivered(install: Install, receiver: Receiver) -> None:
    api = install.api()
    hook = api.post("/webhooks", json={"data": {"attributes": {"name": "all", "url": receiver.url, "enabled-events": HOOKED}}})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["data"]["attributes"]["secret"]
    template = install.templates["Government ID"]
    clean = _inquiry(api, template, "clean", **{"name-first": "Alice", "name-last": "Example", "birthdate": "1990-01-01"})
    listed = _inquiry(api, template, "listed", **{"name-first": "Viktor Ivanovich", "name-last": "Petrovsky"})
    failed = _inquiry(api, template, "failed", **{"name-last": "Someone"})
    _simulate(api, clean, "complete_inquiry")
    _simulate(api, listed, "complete_inquiry")
    _simulate(api, failed, "fail_inquiry")
    _status_becomes(api, clean, "approved")
    _status_becomes(api, listed, "needs_review")
    _status_becomes(api, failed, "declined")

    assert _names(_events(api, clean))[-2:] == ["inquiry.completed", "inquiry.approved"]
    assert _names(_events(api, listed))[-2:] == ["inquiry.completed", "inquiry.marked-for-review"]
    assert _names(_events(api, failed))[-2:] == ["inquiry.failed", "inquiry.declined"]
    runs = api.get("/workflow-runs", params={"page[size]": 100}).json()["data"]
    assert len(runs) == 3 and {r["attributes"]["status"] for r in runs} == {"completed"}
    assert all(r["relationships"]["creator"]["data"]["type"] == "event" for r in runs)
    decided = api.get(f"/inquiries/{clean}").json()["data"]
    assert decided["relationships"]["reviewer"]["data"]["type"] == "workflow-run" and decided["attributes"]["reviewer-comment"] == "No watchlist match"
    run_id = decided["relationships"]["reviewer"]["data"]["id"]
    trace = api.get(f"/workflow-runs/{run_id}/steps").json()["data"]["attributes"]["steps"]
    assert [(s["name"], s["status"]) for s in trace] == [("screen", "done"), ("open-case", "skipped"), ("review", "skipped"), ("approve", "done")]
    assert trace[0]["outcome"]["report"]["has_match"] is False

    cases = api.get("/cases").json()["data"]
    assert len(cases) == 1
    held = {(item["type"], item["id"]) for rel in cases[0]["relationships"].values() if isinstance(rel.get("data"), list) for item in rel["data"]}
    assert ("inquiry", listed) in held

    # every hooked event the database recorded reaches the receiver, signed with the webhook's secret
    recorded = {e["id"]: e["attributes"]["name"] for e in api.get("/events", params={"page[size]": 100}).json()["data"] if e["attributes"]["name"] in HOOKED}
    assert {"workflow-run.created", "workflow-run.resumed", "report/watchlist.matched", "case.created"} <= set(recorded.values())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not set(recorded) <= {json.loads(r.raw)["data"]["id"] for r in receiver.received}:
        time.sleep(0.2)
    delivered = {json.loads(r.raw)["data"]["id"]: r for r in receiver.received}
    assert set(recorded) <= set(delivered), set(recorded) - set(delivered)
    assert all(signature_ok(delivered[event_id].headers["persona-signature"], delivered[event_id].raw, [secret]) for event_id in recorded)


HELD_CALL = """\
trigger:
  event: inquiry.completed
steps:
  - name: tag
    action: add-tags
    with: {{tags: [seen]}}
  - name: notify
    action: call-http
    with: {{url: "{url}"}}
  - name: approve
    action: approve
    with: {{comment: Called}}
"""


def test_a_run_killed_mid_step_resumes_at_that_step(install: Install, receiver: Receiver) -> None:
    api = install.api()
    for starter in api.get("/workflows").json()["data"]:  # this test's workflow alone decides
        assert api.post(f"/workflows/{starter['id']}/disable").status_code == 200
    made = api.post("/workflows", json={"data": {"attributes": {"name": "held", "definition": HELD_CALL.format(url=receiver.url)}}}).json()["data"]
    assert api.post(f"/workflows/{made['id']}/publish").status_code == 200
    assert api.post(f"/workflows/{made['id']}/enable").status_code == 200
    receiver.gate.clear()  # hold the run's HTTP call in flight
    inquiry_id = _inquiry(api, install.templates["Government ID"], "kill")
    _simulate(api, inquiry_id, "complete_inquiry")
    receiver.wait_for(1, timeout=SETTLE_SECONDS)

    install.server.kill()  # SIGKILL, the call in flight; its step's transaction never commits
    install.server = Server(install.data_dir, start_seconds=120)
    api = install.api()
    receiver.wait_for(2, timeout=SETTLE_SECONDS)  # the new process took the step back and calls again
    receiver.gate.set()
    _status_becomes(api, inquiry_id, "approved")

    names = _names(_events(api, inquiry_id))
    assert names.count("inquiry.updated-tags") == 1 and names.count("inquiry.approved") == 1
    (run,) = api.get("/workflow-runs").json()["data"]
    assert run["attributes"]["status"] == "completed"
    assert _names(_events(api, run["id"])) == ["workflow-run.created"]
    trace = api.get(f"/workflow-runs/{run['id']}/steps").json()["data"]["attributes"]["steps"]
    assert [(s["name"], s["status"]) for s in trace] == [("tag", "done"), ("notify", "done"), ("approve", "done")]
    calls = receiver.received[:2]
    assert calls[0].headers["idempotency-key"] == calls[1].headers["idempotency-key"] == f"{run['id']}:1"  # the receiver can tell the repeat
