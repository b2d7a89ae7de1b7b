"""The API log's retention: rows older than `api_log_retention_days` (Settings) are deleted every hour."""

from datetime import timedelta
from typing import Any

from openidv.api_logs import repository
from openidv.jobs.port import every, session
from openidv.kit.clock import now


class Retention:
    days = 90


def configure(settings: Any) -> None:
    Retention.days = settings.api_log_retention_days


@every(3600, "api-logs.purge")
def purge_expired() -> int:
    purged = 0
    while True:  # in batches, each its own short transaction
        with session() as db:
            count = repository.purge_before(db, now() - timedelta(days=Retention.days))
        purged += count
        if count < 5000:
            return purged
