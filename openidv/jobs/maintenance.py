"""The job table's own upkeep: finished jobs are kept a week for inspection, then deleted."""

from datetime import timedelta

from openidv.jobs import repository
from openidv.jobs.port import every, session
from openidv.kit.clock import now

KEEP_FINISHED = timedelta(days=7)


@every(3600, "jobs.prune")
def prune_jobs() -> int:
    with session() as db:
        return repository.prune_finished(db, now() - KEEP_FINISHED)
