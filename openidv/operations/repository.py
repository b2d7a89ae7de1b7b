"""SQL for operations: is the database there, its clock, its migration heads, and the job queue's depth."""

from datetime import datetime

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import Connection

from openidv.kit.clock import as_utc
from openidv.models import Job


def ping(connection: Connection) -> None:
    connection.execute(text("SELECT 1"))


def database_now(connection: Connection) -> datetime:
    """The database server's clock (UTC)."""
    if connection.dialect.name == "sqlite":  # 'YYYY-MM-DD HH:MM:SS.SSS', UTC
        value = connection.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
        stamp = datetime.fromisoformat(str(value))
    else:
        stamp = connection.scalar(text("SELECT CURRENT_TIMESTAMP"))
    result = as_utc(stamp)
    assert result is not None
    return result


def migration_heads(connection: Connection) -> set[str]:
    """The revisions the database is at (one per head of the history it has reached)."""
    return set(MigrationContext.configure(connection).get_current_heads())


def waiting_jobs(connection: Connection, at: datetime) -> list[tuple[str, str, int, datetime]]:
    """(queue, job name, how many, the oldest due time) of the queued jobs due by `at` that no live lease holds."""
    query = (
        select(Job.queue, Job.name, func.count(), func.min(Job.run_at))
        .where(Job.state == "queued", Job.run_at <= at, or_(Job.locked_until.is_(None), Job.locked_until <= at))
        .group_by(Job.queue, Job.name)
    )
    rows = []
    for queue, name, count, oldest in connection.execute(query):
        if isinstance(oldest, str):  # SQLite's MIN() loses the column's type
            oldest = datetime.fromisoformat(oldest)
        rows.append((queue, name, int(count), as_utc(oldest) or at))
    return rows
