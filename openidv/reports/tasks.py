"""Background work for reports: orders on inquiry completion, interval re-runs, delta screening.

The functions run in the caller's session; `openidv.jobs` (when present) wraps them as jobs."""

from sqlalchemy.orm import Session

from openidv.events.service import on_event
from openidv.models import Event, Inquiry, ListSnapshot
from openidv.reports import service


@on_event
def _order_on_completion(session: Session, event: Event) -> None:
    """An inquiry template's `reports` are ordered when its inquiry completes, in that same transaction."""
    if event.name != "inquiry.completed":
        return
    inquiry = session.get(Inquiry, event.object_id)
    if inquiry is not None:
        service.order_for_inquiry(session, inquiry, actor=event.actor)


def screen_delta(session: Session, snapshot_id: str) -> list[str]:
    snapshot = session.get(ListSnapshot, snapshot_id)
    return service.screen_delta(session, snapshot) if snapshot is not None else []


def run_due_reports(session: Session) -> int:
    return service.run_due(session)
