"""The actions that wait, reach outside or act on fields and accounts, and the schedule trigger, on the real job worker."""

import logging
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from webhook_receiver import Receiver
from workflows.support import API, events, finished_run, inquiry, live_workflow, runs_of, simulate

from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.models import Account, Inquiry, Workflow, WorkflowRun
from openidv.webhooks import delivery
from openidv.workflows import tasks


@pytest.fixture
def receiver(monkeypatch):
    """A real receiver on loopback, which the SSRF guard lets a test reach (as OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS does)."""
    monkeypatch.setattr(delivery.policy, "allow_private_urls", True)
    r = Receiver()
    yield r
    r.gate.set()
    r.close()


def _wait_status(engine, object_id: str, status: str, seconds: float = 60) -> WorkflowRun:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = runs_of(engine, object_id)
        if runs and runs[-1].status == status:
            return runs[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {status} run on {object_id}: {[(r.status, r.position, r.error) for r in runs_of(engine, object_id)]}")


def test_fields_account_and_a_wait_for_an_event(client, engine, world, job_worker) -> None:
    live_workflow(engine, world.sandbox_id, "fields", """\
trigger: {event: inquiry.completed}
steps:
  - {name: middle, action: update-fields, with: {fields: {name-middle: Quincy}}}
  - {name: account, action: update-account, with: {add-tags: [screened]}}
  - {name: tagged, action: wait-for-event, with: {event: inquiry.updated-tags, timeout-seconds: 600}}
  - {name: approve, if: '"vip" in inquiry.tags', action: approve, with: {comment: VIP}}
""")
    answer = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "reference-id": "acct-1"}},
                                                   "meta": {"auto-create-account": True}})
    inquiry_id = answer.json()["data"]["id"]
    simulate(client, inquiry_id, "complete_inquiry")
    _wait_status(engine, inquiry_id, "waiting")
    assert client.post(f"{API}/inquiries/{inquiry_id}/add-tag", json={"meta": {"tag-name": "vip"}}).status_code == 200
    run = finished_run(engine, inquiry_id)
    assert run.status == "completed", run.error
    assert [n for n, _ in events(engine, run.id)] == ["workflow-run.created", "workflow-run.resumed"]
    with transaction(session_factory(engine)) as db:
        row = db.get(Inquiry, inquiry_id)
        assert (row.status, row.fields["name-middle"]["value"]) == ("approved", "Quincy")
        account = db.get(Account, row.account_id)
        assert "screened" in account.tags


def test_a_delay_an_email_and_http_calls(client, engine, world, job_worker, receiver, caplog) -> None:
    caplog.set_level(logging.INFO, logger="openidv.providers.log")
    live_workflow(engine, world.sandbox_id, "outside", f"""\
trigger: {{event: inquiry.completed}}
steps:
  - {{name: pause, action: wait, with: {{seconds: 1}}}}
  - {{name: mail, action: send-email, with: {{to-field: email-address, subject: Done, body: Your check is complete}}}}
  - {{name: call, action: call-http, with: {{url: "{receiver.url}"}}}}
""")
    inquiry_id = inquiry(client, world.templates["Government ID"], **{"email-address": "person@example.com"})
    simulate(client, inquiry_id, "complete_inquiry")
    run = finished_run(engine, inquiry_id)
    assert run.status == "completed", run.error
    assert any("person@example.com" in r.getMessage() and "Your check is complete" in r.getMessage() for r in caplog.records)
    (call,) = receiver.received
    assert call.headers["idempotency-key"] == f"{run.id}:2" and call.body["data"]["attributes"]["object-id"] == inquiry_id
    trace = client.get(f"{API}/workflow-runs/{run.id}/steps").json()["data"]["attributes"]["steps"]
    assert [(s["name"], s["status"]) for s in trace] == [("pause", "done"), ("mail", "done"), ("call", "done")]
    assert trace[0]["finished-at"] > trace[0]["started-at"]


def test_an_endpoint_that_refuses_errors_the_run(client, engine, world, job_worker, receiver) -> None:
    receiver.answers.append(404)
    live_workflow(engine, world.sandbox_id, "refused", f"""\
trigger: {{event: inquiry.completed}}
steps:
  - {{name: call, action: call-http, with: {{url: "{receiver.url}"}}}}
  - {{name: approve, action: approve}}
""")
    inquiry_id = inquiry(client, world.templates["Government ID"])
    simulate(client, inquiry_id, "complete_inquiry")
    run = finished_run(engine, inquiry_id)
    assert run.status == "errored" and "404" in run.error
    assert client.get(f"{API}/inquiries/{inquiry_id}").json()["data"]["attributes"]["status"] == "completed"


def test_the_ssrf_guard_keeps_calls_off_private_addresses(client, engine, world, job_worker) -> None:
    live_workflow(engine, world.sandbox_id, "private", """\
trigger: {event: inquiry.completed}
steps:
  - {name: call, action: call-http, with: {url: "http://169.254.169.254/latest/meta-data/"}}
""")
    inquiry_id = inquiry(client, world.templates["Government ID"])
    simulate(client, inquiry_id, "complete_inquiry")
    run = finished_run(engine, inquiry_id)
    assert run.status == "errored" and "private, loopback or link-local" in run.error


def test_a_schedule_starts_a_run_each_slot(client, engine, world, job_worker, receiver) -> None:
    workflow_id = live_workflow(engine, world.sandbox_id, "hourly", f"""\
trigger: {{schedule: {{every-minutes: 60}}}}
steps:
  - {{name: call, action: call-http, with: {{url: "{receiver.url}"}}}}
""")
    assert tasks.run_scheduled() == 0  # not due yet
    with transaction(session_factory(engine, writer=True)) as db:
        db.execute(update(Workflow).where(Workflow.id == workflow_id).values(next_run_at=now() - timedelta(seconds=1)))
    assert tasks.run_scheduled() == 1
    receiver.wait_for(1, timeout=60)
    with transaction(session_factory(engine)) as db:
        (run,) = db.scalars(select(WorkflowRun).where(WorkflowRun.workflow_id == workflow_id))
        assert run.object_id is None and run.trigger == {"schedule": {"every-minutes": 60}}
        assert db.get(Workflow, workflow_id).next_run_at > now() + timedelta(minutes=59)
