"""SQL for the job table."""

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from openidv.kit.db import affected_rows
from openidv.models import Job


def exists(session: Session, job_id: str) -> bool:
    return session.get(Job, job_id) is not None


def claim_due(session: Session, at: datetime, executor: str, lease_seconds: float, limit: int) -> list[Job]:
    """Due queued jobs whose lease is free or expired, leased to `executor` (SKIP LOCKED on PostgreSQL)."""
    query = (
        select(Job)
        .where(Job.state == "queued", Job.run_at <= at, or_(Job.locked_until.is_(None), Job.locked_until <= at))
        .order_by(Job.run_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    jobs = list(session.scalars(query))
    for job in jobs:
        job.locked_by = executor
        job.locked_until = at + timedelta(seconds=lease_seconds)
        job.attempts += 1
    return jobs


def mark_done(session: Session, job_ids: list[str], executor: str, at: datetime) -> None:
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.locked_by == executor)
        .values(state="done", finished_at=at, locked_by=None, locked_until=None, last_error=None)
    )


def next_run_at(session: Session) -> datetime | None:
    return session.scalar(select(Job.run_at).where(Job.state == "queued").order_by(Job.run_at).limit(1))


def release_executor(session: Session, executor: str, at: datetime) -> int:
    """Make every job leased by `executor` claimable now (recovery of a worker that never came back)."""
    result = session.execute(
        update(Job).where(Job.state == "queued", Job.locked_by == executor).values(locked_until=at, locked_by=None)
    )
    return affected_rows(result)


def stale(session: Session, at: datetime, limit: int = 500) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.state == "queued", Job.locked_until < at).limit(limit)))


def prune_finished(session: Session, before: datetime) -> int:
    """Finished jobs older than `before` go; their keys then no longer block a repeat."""
    result = session.execute(delete(Job).where(Job.state.in_(("done", "failed")), Job.finished_at < before))
    return affected_rows(result)
