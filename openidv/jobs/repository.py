"""SQL for the job table."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.orm import Session

from openidv.kit.db import affected_rows
from openidv.models import Job


def exists(session: Session, job_id: str) -> bool:
    return session.get(Job, job_id) is not None


def get(session: Session, job_id: str, *, for_update: bool = False) -> Job | None:
    return session.get(Job, job_id, with_for_update=for_update)


def find(session: Session, statuses: Sequence[str], at: datetime, overdue_before: datetime, *, queue: str | None = None,
         name: str | None = None, limit: int = 100) -> list[Job]:
    """Jobs in any of `statuses` (openidv.jobs.admin: failed, overdue, running, queued, done, cancelled), newest first."""
    free = or_(Job.locked_until.is_(None), Job.locked_until <= at)
    conditions = {
        "failed": Job.state == "failed",
        "done": Job.state == "done",
        "cancelled": Job.state == "cancelled",
        "queued": Job.state == "queued",
        "running": and_(Job.state == "queued", Job.locked_until > at),
        "overdue": and_(Job.state == "queued", Job.run_at <= overdue_before, free),
    }
    query = select(Job).where(or_(*(conditions[s] for s in statuses)))
    if queue is not None:
        query = query.where(Job.queue == queue)
    if name:
        query = query.where(Job.name == name)
    return list(session.scalars(query.order_by(Job.run_at.desc(), Job.id).limit(limit)))


def claim_due(session: Session, at: datetime, executor: str, lease_seconds: float, limit: int, *, queue: str | None = None,
              excluding: Sequence[str] = ()) -> list[Job]:
    """Due queued jobs (of `queue` if given, of none of the queues `excluding`) whose lease is free or
    expired, leased to `executor` (SKIP LOCKED on PostgreSQL)."""
    query = select(Job).where(Job.state == "queued", Job.run_at <= at, or_(Job.locked_until.is_(None), Job.locked_until <= at))
    if queue is not None:
        query = query.where(Job.queue == queue)
    if excluding:
        query = query.where(Job.queue.not_in(excluding))
    query = query.order_by(Job.run_at).limit(limit)
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


def cancel_waiting(session: Session, job_id: str, at: datetime) -> bool:
    """Cancel the job if it waits (queued, not leased): a timer no longer needed. A running one is left to run."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued", Job.locked_by.is_(None))
        .values(state="cancelled", finished_at=at)
    )
    return affected_rows(result) > 0


def next_run_at(session: Session, after: datetime) -> datetime | None:
    """When the next queued job that is not due yet falls due."""
    return session.scalar(select(Job.run_at).where(Job.state == "queued", Job.run_at > after).order_by(Job.run_at).limit(1))


CHANNEL = "openidv_jobs"


def notify(session: Session, queue: str) -> None:
    """Wake the listening workers once the caller's transaction commits (PostgreSQL only; a no-op elsewhere)."""
    if session.get_bind().dialect.name == "postgresql":
        with session.no_autoflush:  # the caller's pending rows are flushed when it chooses, not by this
            session.execute(text("SELECT pg_notify(:channel, :queue)"), {"channel": CHANNEL, "queue": queue})


def listen(connection: psycopg.Connection[Any]) -> None:
    """Subscribe an autocommit psycopg connection to the jobs channel (openidv.jobs.listener)."""
    connection.execute(f"LISTEN {CHANNEL}")


def release_executor(session: Session, executor: str, at: datetime) -> int:
    """Make every job leased by `executor` claimable now (recovery of a worker that never came back)."""
    result = session.execute(
        update(Job).where(Job.state == "queued", Job.locked_by == executor).values(locked_until=at, locked_by=None)
    )
    return affected_rows(result)


def release_all(session: Session, at: datetime) -> int:
    """Make every leased queued job claimable now: only when no other process can hold a lease (embedded mode)."""
    result = session.execute(
        update(Job).where(Job.state == "queued", Job.locked_by.is_not(None)).values(locked_until=at, locked_by=None)
    )
    return affected_rows(result)


def stale(session: Session, at: datetime, limit: int = 500) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.state == "queued", Job.locked_until < at).limit(limit)))


def prune_finished(session: Session, before: datetime) -> int:
    """Finished jobs older than `before` go; their keys then no longer block a repeat."""
    result = session.execute(delete(Job).where(Job.state.in_(("done", "failed", "cancelled")), Job.finished_at < before))
    return affected_rows(result)
