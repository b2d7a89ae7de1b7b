"""The dashboard's workflows: an admin creates one, saves a draft with mistakes (each listed at its line, nothing
saved), fixes and publishes it, enables and disables it (each audited), dry-runs it against an inquiry, and reads
a real run's steps; reviewers may dry-run but not change a workflow."""

import re
import sys
from pathlib import Path

from dashboard_support import csrf_of, make_user, new_inquiry, signed_in
from sqlalchemy import select

from openidv.models import AuditLog, Workflow, WorkflowVersion

sys.path.insert(0, str(Path(__file__).parents[1] / "workflows"))
from support import finished_run, live_workflow  # the workflow tests' own helpers

BROKEN = """trigger:
  event: inquiry.completed
steps:
  - name: tag
    action: add-tags
    with:
      tags: vip
  - name: Bad Name
    action: explode
"""
GOOD = """trigger:
  event: inquiry.completed
steps:
  - name: approve-vips
    if: inquiry.reference_id == "vip"
    action: approve
  - name: tag
    action: add-tags
    with:
      tags: [seen]
"""


def _post(c, path: str, **form: str):
    page = c.get("/dashboard/workflows")
    return c.post(path, data={"csrf": csrf_of(page.text), **form}, follow_redirects=False)


def test_editor_publish_enable_and_dry_run(app, client, world, engine, db) -> None:
    make_user(engine, "admin@example.com", "admin")
    make_user(engine, "rev@example.com", "reviewer")
    admin = signed_in(app, "admin@example.com")
    made = _post(admin, "/dashboard/workflows", name="Tag completed")
    assert made.status_code == 303
    page_url = made.headers["location"]
    workflow_id = page_url.rsplit("/", 1)[1]
    assert admin.get("/dashboard/workflows").text.count("Tag completed") == 1
    draft_before = db.scalar(select(WorkflowVersion.source).where(WorkflowVersion.workflow_id == workflow_id))

    broken = _post(admin, f"{page_url}/save", source=BROKEN)
    assert broken.status_code == 422
    lines = [int(n) for n in re.findall(r'data-line="(\d+)"', broken.text)]
    assert lines and all(1 <= n <= BROKEN.count("\n") for n in lines) and 8 in lines and 9 in lines, lines  # "Bad Name", "explode"
    assert "explode" in broken.text and "Bad Name" in broken.text  # the text comes back as typed
    db.rollback()
    assert db.scalar(select(WorkflowVersion.source).where(WorkflowVersion.workflow_id == workflow_id)) == draft_before

    assert _post(admin, f"{page_url}/save", source=GOOD).status_code == 303
    assert _post(admin, f"{page_url}/enable").status_code == 409  # nothing published yet
    assert _post(admin, f"{page_url}/publish").status_code == 303
    assert _post(admin, f"{page_url}/enable").status_code == 303
    page = admin.get(page_url).text
    assert "Version 1" in page and "Disable" in page and "on inquiry.completed" in page

    inquiry_id = new_inquiry(client, world.templates["Government ID"], **{"reference-id": "vip"})
    dry = _post(admin, f"{page_url}/dry-run", source=GOOD, inquiry=inquiry_id)
    assert dry.status_code == 200 and f"Dry run on {inquiry_id}" in dry.text
    assert re.search(r"approve-vips.*?holds.*?would-do", dry.text, re.S) and "nothing was done" in dry.text
    other = new_inquiry(client, world.templates["Government ID"], **{"reference-id": "plain"})
    assert "does not hold" in _post(admin, f"{page_url}/dry-run", source=GOOD, inquiry=other).text
    assert _post(admin, f"{page_url}/dry-run", source=GOOD, inquiry="inq_missing").status_code == 404

    reviewer = signed_in(app, "rev@example.com")
    assert "Save draft" not in reviewer.get(page_url).text
    assert _post(reviewer, f"{page_url}/dry-run", source=GOOD, inquiry=inquiry_id).status_code == 200
    assert _post(reviewer, f"{page_url}/save", source=GOOD).status_code == 403
    assert _post(reviewer, f"{page_url}/disable").status_code == 403
    assert _post(admin, f"{page_url}/disable").status_code == 303
    db.rollback()
    assert db.get(Workflow, workflow_id).status == "disabled"
    audits = [(a.action, a.after_status) for a in db.scalars(select(AuditLog).where(AuditLog.object_id == workflow_id).order_by(AuditLog.created_at))]
    assert audits == [("workflow.create", "disabled"), ("workflow.save", "disabled"), ("workflow.publish", "disabled"),
                      ("workflow.enable", "enabled"), ("workflow.disable", "disabled")]


def test_run_history_shows_each_step(app, client, world, engine, job_worker) -> None:
    make_user(engine, "admin@example.com", "admin")
    source = 'trigger:\n  event: inquiry.created\nsteps:\n  - name: tag\n    action: add-tags\n    with:\n      tags: [auto]\n'
    workflow_id = live_workflow(engine, world.sandbox_id, "Tag new inquiries", source)
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    run = finished_run(engine, inquiry_id)
    admin = signed_in(app, "admin@example.com")
    assert f"/dashboard/workflow-runs/{run.id}" in admin.get(f"/dashboard/workflows/{workflow_id}").text
    page = admin.get(f"/dashboard/workflow-runs/{run.id}")
    assert page.status_code == 200 and run.status in page.text and "add-tags" in page.text and "auto" in page.text
    assert admin.get("/dashboard/workflow-runs/wfr_missing").status_code == 404
