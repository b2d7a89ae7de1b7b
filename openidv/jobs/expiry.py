"""Periodic upkeep: the inquiry expiry sweep (inquiries expire whether or not anyone reads them) and job pruning."""

import os

from openidv import lifecycle
from openidv.jobs.port import every, session
from openidv.kit.clock import now

EXPIRY_SWEEP_SECONDS = float(os.environ.get("OPENIDV_EXPIRY_SWEEP_SECONDS", "60"))
BATCH = 200


@every(EXPIRY_SWEEP_SECONDS, "inquiries.expire-due")
def expire_due() -> int:
    """Every due created/pending inquiry → expired, through the lifecycle (one transaction per batch)."""
    from openidv.inquiries import repository as inquiries  # noqa: PLC0415
    from openidv.inquiries import service as inquiry_service  # noqa: PLC0415

    count = 0
    while True:
        with session() as db:
            due = inquiries.due_for_expiry(db, now(), limit=BATCH)
            for inquiry in due:
                if lifecycle.transition_allowed(inquiry, "expire"):
                    inquiry_service.expire(db, inquiry, actor="system")
                    count += 1
        if len(due) < BATCH:
            return count


@every(3600, "jobs.prune")
def prune_jobs() -> int:
    """Finished jobs are kept a week for inspection, then deleted."""
    from datetime import timedelta  # noqa: PLC0415

    from openidv.jobs import repository  # noqa: PLC0415

    with session() as db:
        return repository.prune_finished(db, now() - timedelta(days=7))
