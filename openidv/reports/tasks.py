"""Background work for reports: the run of a pending report, orders on inquiry completion (in the inquiry's
transaction), delta screening after a new list snapshot, interval re-runs of continuous reports, and the
scheduled download of the configured lists (only when the operator sets `OPENIDV_LISTS_UPDATE_HOURS`)."""

import logging
import time
from typing import Any

from sqlalchemy.orm import Session

from openidv import jobs
from openidv.jobs.port import runtime
from openidv.lifecycle import ReportStatus
from openidv.models import Event, Inquiry, ListSnapshot, Report
from openidv.reports import commands, repository, service

RUN_DUE_SECONDS = 3600
log = logging.getLogger("openidv.reports")


class ListUpdates:
    """What the scheduled list download needs from the settings (installed at bootstrap)."""

    hours = 0
    data_dir: Any = None
    sources: str | None = None


def configure(settings: Any) -> None:
    ListUpdates.hours, ListUpdates.data_dir, ListUpdates.sources = settings.lists_update_hours, settings.data_dir, settings.list_sources


def order_on_completion(session: Session, event: Event) -> None:
    """An inquiry template's `reports` are ordered when its inquiry completes, in that same transaction."""
    if event.name != "inquiry.completed":
        return
    inquiry = session.get(Inquiry, event.object_id)
    if inquiry is not None:
        service.order_for_inquiry(session, inquiry, actor=event.actor)


def _give_up(db: Session, report_id: str, run_type: str = "initial") -> None:  # noqa: ARG001 - the job's kwargs
    """The run job failed every attempt: the report is `errored`, not `pending` for ever."""
    report = db.get(Report, report_id)
    if report is not None and report.status == ReportStatus.PENDING:
        report.error = "screening failed on every attempt"
        service.transition(db, report, "error", "system")


@jobs.job(service.RUN_JOB, on_give_up=_give_up)
def run_report(report_id: str, run_type: str = "initial") -> None:
    """Screen a `pending` report; a repeat after it finished does nothing."""
    with jobs.session() as db:
        report = repository.get_for_run(db, report_id)
        if report is not None and report.status == ReportStatus.PENDING and report.redacted_at is None:
            service.run(db, report, run_type=run_type)


@jobs.job(service.SCREEN_DELTA_JOB)
def screen_delta(snapshot_id: str) -> list[str]:
    """Changed entries of one snapshot against the monitored subjects; safe to repeat (re-runs are idempotent
    in effect: a hit already reported raises no second `.matched`)."""
    with jobs.session() as db:
        snapshot = db.get(ListSnapshot, snapshot_id)
        return service.screen_delta(db, snapshot) if snapshot is not None else []


@jobs.every(RUN_DUE_SECONDS, "reports.run-due")
def run_due_reports() -> int:
    """Continuous reports whose re-run interval has passed, one transaction each."""
    with jobs.session() as db:
        due = repository.due(db, service.now())
    for report_id in due:
        with jobs.session() as db:
            report = db.get(Report, report_id)
            if report is not None and report.continuous and not report.paused and report.redacted_at is None and report.status != ReportStatus.PENDING:
                service.run(db, report, run_type="scheduled")
    return len(due)


def lists_update_due(hours: int, when: float) -> bool:
    """Every `hours` on whole multiples since the epoch (24: daily just after midnight UTC); 0: never."""
    return hours > 0 and int(when // 3600) % hours == 0


@jobs.every(3600, "reports.update-lists")
def update_lists() -> int:
    """Download and load the configured lists when the operator scheduled it; each new snapshot queues its delta."""
    if not lists_update_due(ListUpdates.hours, time.time()):
        return 0
    if runtime.writer is None:
        raise RuntimeError("openidv.jobs is not configured in this process")
    lines, errors = commands.update_all(runtime.writer, commands.configured(ListUpdates.data_dir, ListUpdates.sources), out=None)
    for line in lines:
        log.info("%s", line)
    for line in errors:
        log.error("%s", line)
    return len(lines)
