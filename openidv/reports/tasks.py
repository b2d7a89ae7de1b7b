"""Background work for reports: orders on inquiry completion (in the inquiry's transaction), delta screening
after a new list snapshot, and interval re-runs of continuous reports (jobs of `openidv.jobs`)."""

from sqlalchemy.orm import Session

from openidv import jobs
from openidv.events.service import on_event
from openidv.models import Event, Inquiry, ListSnapshot, Report
from openidv.reports import repository, service

RUN_DUE_SECONDS = 3600


@on_event
def _order_on_completion(session: Session, event: Event) -> None:
    """An inquiry template's `reports` are ordered when its inquiry completes, in that same transaction."""
    if event.name != "inquiry.completed":
        return
    inquiry = session.get(Inquiry, event.object_id)
    if inquiry is not None:
        service.order_for_inquiry(session, inquiry, actor=event.actor)


@jobs.job(service.RUN_JOB)
def run_report(report_id: str, run_type: str = "initial") -> None:
    """Screen a `pending` report; a repeat after it finished does nothing."""
    with jobs.session() as db:
        report = db.get(Report, report_id)
        if report is not None and report.status == "pending" and report.redacted_at is None:
            service.run(db, report, run_type=run_type)


@jobs.job("reports.screen-delta")
def screen_delta(snapshot_id: str) -> list[str]:
    """Changed entries of one snapshot against the monitored subjects; safe to repeat (re-runs are idempotent
    in effect: a hit already reported raises no second `.matched`)."""
    with jobs.session() as db:
        snapshot = db.get(ListSnapshot, snapshot_id)
        return service.screen_delta(db, snapshot) if snapshot is not None else []


def enqueue_delta(session: Session, snapshot: ListSnapshot) -> str:
    """Queue the delta screening in the snapshot's own transaction: both commit or neither does."""
    return jobs.enqueue_in_tx(session, screen_delta, key=f"rdelta:{snapshot.id}", snapshot_id=snapshot.id)


@jobs.every(RUN_DUE_SECONDS, "reports.run-due")
def run_due_reports() -> int:
    """Continuous reports whose re-run interval has passed, one transaction each."""
    with jobs.session() as db:
        due = repository.due(db, service.now())
    for report_id in due:
        with jobs.session() as db:
            report = db.get(Report, report_id)
            if report is not None and report.continuous and not report.paused and report.redacted_at is None and report.status != "pending":
                service.run(db, report, run_type="scheduled")
    return len(due)
