"""Workflow runs on the real job worker: triggers, conditions, actions, waiting for a report, errors, repeats."""

from sqlalchemy import select
from workflows.support import events, finished_run, inquiry, live_workflow, load_sdn, runs_of, simulate

from openidv.kit.db import session_factory, transaction
from openidv.models import Inquiry, Job, WorkflowRunStep
from openidv.workflows import engine as run_engine, starters

DECIDE_BY_NAME = """\
trigger:
  event: inquiry.completed
  if: inquiry.reference_id != "skip-me"
steps:
  - name: tag
    action: add-tags
    with: {tags: [auto]}
  - name: decline-doe
    if: inquiry.fields["name-last"] == "Doe"
    action: decline
    with: {comment: Doe is declined}
    end: true
  - name: approve
    action: approve
    with: {comment: Approved by the workflow}
"""


def _inquiry_row(engine, inquiry_id: str) -> Inquiry:
    with transaction(session_factory(engine)) as db:
        row = db.get(Inquiry, inquiry_id)
        db.expunge(row)
        return row


def _steps(engine, run_id: str) -> list[tuple[str, str]]:
    with transaction(session_factory(engine)) as db:
        return [(s.name, s.status) for s in db.scalars(select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id).order_by(WorkflowRunStep.position))]


def test_completed_inquiry_is_decided_by_conditions(client, engine, world, job_worker) -> None:
    live_workflow(engine, world.sandbox_id, "decide", DECIDE_BY_NAME)
    template = world.templates["Government ID"]
    approved, declined, skipped = inquiry(client, template, **{"name-last": "Smith"}), inquiry(client, template, **{"name-last": "Doe"}), None
    answer = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": template, "reference-id": "skip-me"}}})
    skipped = answer.json()["data"]["id"]
    for inquiry_id in (approved, declined, skipped):
        simulate(client, inquiry_id, "complete_inquiry")

    run = finished_run(engine, approved)
    assert run.status == "completed" and run.creator_type == "event"
    assert _steps(engine, run.id) == [("tag", "done"), ("decline-doe", "skipped"), ("approve", "done")]
    row = _inquiry_row(engine, approved)
    assert (row.status, row.tags, row.reviewer_type, row.reviewer_id) == ("approved", ["auto"], "workflow-run", run.id)
    assert ("inquiry.approved", run.id) in events(engine, approved)
    assert [name for name, _ in events(engine, run.id)] == ["workflow-run.created"]

    run = finished_run(engine, declined)
    assert _steps(engine, run.id) == [("tag", "done"), ("decline-doe", "done")]  # `end` stops the run after its step
    assert _inquiry_row(engine, declined).status == "declined"

    assert _inquiry_row(engine, skipped).status == "completed"  # the trigger's condition did not hold: no run
    assert runs_of(engine, skipped) == []


def test_starter_workflow_screens_then_approves_or_reviews_with_a_case(client, engine, world, job_worker) -> None:
    load_sdn(engine)
    with transaction(session_factory(engine, writer=True)) as db:
        from openidv.reports import service as reports

        reports.ensure_default_templates(db, world.sandbox_id)
        starters.ensure_starters(db, world.sandbox_id)
    template = world.templates["Government ID"]
    clean = inquiry(client, template, **{"name-first": "Alice", "name-last": "Example", "birthdate": "1990-01-01"})
    listed = inquiry(client, template, **{"name-first": "Viktor Ivanovich", "name-last": "Petrovsky"})
    failed = inquiry(client, template, **{"name-last": "Someone"})
    simulate(client, clean, "complete_inquiry")
    simulate(client, listed, "complete_inquiry")
    simulate(client, failed, "fail_inquiry")

    run = finished_run(engine, clean)
    assert run.status == "completed", run.error
    assert _steps(engine, run.id) == [("screen", "done"), ("open-case", "skipped"), ("review", "skipped"), ("approve", "done")]
    assert _inquiry_row(engine, clean).status == "approved"
    assert [n for n, _ in events(engine, run.id)] == ["workflow-run.created", "workflow-run.resumed"]

    run = finished_run(engine, listed)
    assert run.status == "completed", run.error
    assert _steps(engine, run.id) == [("screen", "done"), ("open-case", "done"), ("review", "done")]
    assert _inquiry_row(engine, listed).status == "needs_review"
    names = [n for n, _ in events(engine, listed)]
    assert names[-1] == "inquiry.marked-for-review" and "inquiry.approved" not in names

    run = finished_run(engine, failed)
    assert _inquiry_row(engine, failed).status == "declined"

    # the screening's timeouts are not left waiting to fire: each ended when its report came first
    with transaction(session_factory(engine)) as db:
        timeouts = {job.id: job.state for job in db.scalars(select(Job).where(Job.name == "workflows.wake"))}
    assert len(timeouts) == 2 and set(timeouts.values()) == {"cancelled"}, timeouts


def test_a_step_job_run_twice_acts_once(client, engine, world) -> None:
    """No worker: the step is run by hand, twice, as a retried job would be."""
    live_workflow(engine, world.sandbox_id, "decide", DECIDE_BY_NAME)
    inquiry_id = inquiry(client, world.templates["Government ID"], **{"name-last": "Smith"})
    simulate(client, inquiry_id, "complete_inquiry")
    (run,) = [r for r in runs_of(engine, inquiry_id)]
    for position in (0, 0, 1, 2, 2):
        with transaction(session_factory(engine, writer=True)) as db:
            run_engine.step(db, run.id, position)
    assert [n for n, _ in events(engine, inquiry_id)].count("inquiry.approved") == 1
    assert [n for n, _ in events(engine, inquiry_id)].count("inquiry.updated-tags") == 1
    assert _steps(engine, run.id) == [("tag", "done"), ("decline-doe", "skipped"), ("approve", "done")]


def test_an_action_that_cannot_be_done_errors_the_run_with_its_trace(client, engine, world, job_worker) -> None:
    live_workflow(engine, world.sandbox_id, "approve twice", """\
trigger: {event: inquiry.completed}
steps:
  - {name: first, action: approve}
  - {name: bad-condition, if: 'inquiry.fields["nope"] == 1', action: approve}
""")
    inquiry_id = inquiry(client, world.templates["Government ID"])
    simulate(client, inquiry_id, "complete_inquiry")
    run = finished_run(engine, inquiry_id)
    assert run.status == "errored" and "bad-condition" in run.error
    assert _steps(engine, run.id) == [("first", "done"), ("bad-condition", "errored")]
    assert [n for n, _ in events(engine, run.id)] == ["workflow-run.created", "workflow-run.errored"]
    assert _inquiry_row(engine, inquiry_id).status == "approved"
