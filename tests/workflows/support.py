"""What the workflow tests share: making, publishing and enabling a workflow, inquiries that complete, waiting for runs."""

import io
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import Event, WorkflowRun
from openidv.reports import lists
from openidv.workflows import service

API = "/api/v1"
FIXTURES = Path(__file__).parent.parent / "screening" / "fixtures"


def live_workflow(engine, environment_id: str, name: str, source: str) -> str:
    """A published, enabled workflow (as the dashboard or `openidv setup` makes one)."""
    with transaction(session_factory(engine, writer=True)) as db:
        workflow = service.create_workflow(db, environment_id, name, source, actor="tests")
        service.publish(db, environment_id, workflow.id, actor="tests")
        service.enable(db, environment_id, workflow.id, actor="tests")
        return workflow.id


def inquiry(client, template_id: str, **fields: Any) -> str:
    answer = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": template_id, "fields": fields}}})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def simulate(client, inquiry_id: str, action: str) -> None:
    answer = client.post(f"{API}/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": action}]}})
    assert answer.status_code == 200, answer.text


def load_sdn(engine) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        lists.load(db, io.BytesIO((FIXTURES / "sdn.xml").read_bytes()), "ofac-sdn", "OFAC SDN")


def runs_of(engine, object_id: str) -> list[WorkflowRun]:
    with transaction(session_factory(engine)) as db:
        runs = list(db.scalars(select(WorkflowRun).where(WorkflowRun.object_id == object_id).order_by(WorkflowRun.created_at)))
        db.expunge_all()
        return runs


def finished_run(engine, object_id: str, seconds: float = 120) -> WorkflowRun:
    """The inquiry's run once it completed or errored (the first screening in a process loads name data: slow)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = runs_of(engine, object_id)
        if runs and all(r.status in ("completed", "errored") for r in runs):
            return runs[-1]
        time.sleep(0.05)
    raise AssertionError(f"the run on {object_id} did not finish: {[(r.status, r.position, r.error) for r in runs_of(engine, object_id)]}")


def events(engine, object_id: str) -> list[tuple[str, str | None]]:
    with transaction(session_factory(engine)) as db:
        return [(e.name, e.actor) for e in db.scalars(select(Event).where(Event.object_id == object_id).order_by(Event.created_at, Event.id))]
