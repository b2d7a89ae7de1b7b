"""The workflows `openidv setup` installs in each environment, so that a new install decides on its own: a completed
inquiry is screened against the watchlists, approved without a match, or sent to review with a case on a match;
a failed inquiry is declined."""

from sqlalchemy.orm import Session

from openidv.models import Workflow
from openidv.workflows import repository, service

ON_COMPLETED = """\
name: Screen and decide completed inquiries
trigger:
  event: inquiry.completed
steps:
  - name: screen
    action: run-report
    with:
      report-template: Watchlist
  - name: open-case
    if: report != null && report.has_match
    action: create-case
    with:
      name: Watchlist match
      comment: The watchlist report found a match; review the inquiry.
  - name: review
    if: report != null && report.has_match
    action: mark-for-review
    with:
      comment: Watchlist match
    end: true
  - name: approve
    action: approve
    with:
      comment: No watchlist match
"""

ON_FAILED = """\
name: Decline failed inquiries
trigger:
  event: inquiry.failed
steps:
  - name: decline
    action: decline
    with:
      comment: The inquiry failed its verifications
"""

STARTERS = (("Screen and decide completed inquiries", ON_COMPLETED), ("Decline failed inquiries", ON_FAILED))


def ensure_starters(session: Session, environment_id: str) -> list[Workflow]:
    """Idempotent: each starter workflow, published and enabled, unless one of that name exists (kept as the operator left it)."""
    made = []
    for name, source in STARTERS:
        workflow = repository.workflow_by_name(session, environment_id, name)
        if workflow is None:
            workflow = service.create_workflow(session, environment_id, name, source, actor="setup")
            service.publish(session, environment_id, workflow.id, description="Starter workflow", actor="setup")
            service.enable(session, environment_id, workflow.id, actor="setup")
        made.append(workflow)
    return made
