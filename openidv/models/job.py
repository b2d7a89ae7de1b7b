from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from openidv.kit.db import Base, UtcDateTime
from openidv.models._columns import created_at_column


class Job(Base):
    """One unit of background work (openidv.jobs). Written in the caller's transaction, so a job exists
    exactly when the change that started it committed. `id` is the deterministic key: repeats do nothing.

    A worker claims a due job with a lease (`locked_by`, `locked_until`); a worker that dies leaves the
    lease to expire and another one (or the same after restart) runs the job again: at-least-once.
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "run_at"), Index("ix_jobs_queue_due", "state", "queue", "run_at"))

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    queue: Mapped[str] = mapped_column(String(40), nullable=False, default="default")
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")  # queued, done, failed, cancelled
    run_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
