"""What an operator sees and does with jobs: `openidv jobs list|show|retry|cancel` and the dashboard's Jobs
page, so failed or overdue jobs need no SQL.

A job's status for people: `failed` (its last attempt failed), `overdue` (queued, due for over a minute and
not running: no worker took it, or the one that did died with the lease still to expire), `running` (a
worker holds its lease), `queued`, `done`, `cancelled` (an operator stopped it, or dismissed a failure).
Retry makes a failed or cancelled job queued again with a fresh set of attempts, or a waiting one due now;
cancel stops a queued job that is not running, or dismisses a failed one. A running job is refused either
way: its worker holds it (`openidv jobs recover --executor ID` frees the jobs of a worker that is gone).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv.jobs import repository
from openidv.jobs.port import QUEUES, wake_on_commit
from openidv.kit.errors import ApiError, not_found
from openidv.models import Job

OVERDUE_AFTER = timedelta(minutes=1)
STATUSES = ("failed", "overdue", "running", "queued", "done", "cancelled")
ATTENTION = ("failed", "overdue")  # what the list shows unless asked otherwise


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ATTENTION
    queue: str | None = None
    kind: str | None = None  # the job's name, e.g. webhooks.deliver

    def __post_init__(self) -> None:
        unknown = [s for s in self.statuses if s not in STATUSES]
        if unknown or not self.statuses:
            raise ApiError(400, f"status must be among {', '.join(STATUSES)}, not {', '.join(unknown) or 'nothing'}")
        if self.queue is not None and self.queue not in QUEUES:
            raise ApiError(400, f"queue must be one of {', '.join(QUEUES)}")


def status_of(job: Job, at: datetime) -> str:
    if job.state != "queued":
        return job.state
    if job.locked_until is not None and job.locked_until > at:
        return "running"
    return "overdue" if job.run_at <= at - OVERDUE_AFTER else "queued"


def find(db: Session, filters: Filters, at: datetime, limit: int = 100) -> list[Job]:
    return repository.find(db, filters.statuses, at, at - OVERDUE_AFTER, queue=filters.queue, name=filters.kind, limit=limit)


def load(db: Session, job_id: str, *, for_update: bool = False) -> Job:
    job = repository.get(db, job_id, for_update=for_update)
    if job is None:
        raise not_found("job", job_id)
    return job


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def describe(job: Job, at: datetime) -> dict[str, Any]:
    """A job as `openidv jobs show --json` prints it."""
    stamp = _stamp
    return {"id": job.id, "kind": job.name, "queue": job.queue, "status": status_of(job, at), "attempts": job.attempts,
            "max-attempts": job.max_attempts, "run-at": stamp(job.run_at), "locked-by": job.locked_by, "locked-until": stamp(job.locked_until),
            "created-at": stamp(job.created_at), "finished-at": stamp(job.finished_at), "last-error": job.last_error, "kwargs": job.kwargs}


def _not_running(job: Job, at: datetime, action: str) -> str:
    status = status_of(job, at)
    if status == "running":
        raise ApiError(409, f"job {job.id} is running on {job.locked_by} (lease until {job.locked_until:%Y-%m-%d %H:%M:%S} UTC); "
                            f"it cannot {action} now. If that worker is gone: openidv jobs recover --executor {job.locked_by}")
    return status


def retry(db: Session, job_id: str, at: datetime) -> tuple[str, Job]:
    """Queue the job again, due now. Returns its status before."""
    job = load(db, job_id, for_update=True)
    before = _not_running(job, at, "be retried")
    if before == "done":
        raise ApiError(409, f"job {job.id} is done")
    if before in ("failed", "cancelled"):
        job.attempts, job.finished_at = 0, None  # a fresh set of attempts
    job.state, job.run_at, job.locked_by, job.locked_until = "queued", at, None, None
    wake_on_commit(db, job.queue)
    return before, job


def cancel(db: Session, job_id: str, at: datetime) -> tuple[str, Job]:
    """Stop a waiting job, or dismiss a failed one. Returns its status before."""
    job = load(db, job_id, for_update=True)
    before = _not_running(job, at, "be cancelled")
    if before in ("done", "cancelled"):
        raise ApiError(409, f"job {job.id} is {before}")
    job.state, job.finished_at, job.locked_by, job.locked_until = "cancelled", at, None, None
    return before, job
