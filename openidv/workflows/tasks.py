"""The jobs of workflow runs: one per step (keyed by run and position), the wake-up of a delay or a wait's timeout,
and the timer that starts scheduled workflows."""

from sqlalchemy.orm import Session

from openidv import jobs
from openidv.kit.clock import now
from openidv.workflows import engine, repository, service


def _give_up(db: Session, run_id: str, position: int) -> None:
    """A step failed on every attempt (an e-mail provider down, an endpoint answering 5xx): the run errors, not
    `running` for ever."""
    engine.give_up(db, run_id, position)


@jobs.job(engine.STEP_JOB, max_attempts=5, on_give_up=_give_up)
def run_step(run_id: str, position: int) -> None:
    """Drive a run from `position` until it waits or ends, one transaction per step (a step committed is done once: a
    repeat of this job goes on from where the run is)."""
    going = True
    while going:
        with jobs.session() as db:
            going = engine.step(db, run_id, position)


@jobs.job(engine.WAKE_JOB)
def wake(run_id: str, position: int) -> None:
    with jobs.session() as db:
        engine.wake(db, run_id, position)


@jobs.every(60, "workflows.run-scheduled")
def run_scheduled() -> int:
    """Enabled workflows with a schedule trigger whose slot has come: a run each, and their next slot."""
    with jobs.session() as db:
        due = repository.scheduled_due(db, now())
        for workflow in due:
            service.start_scheduled(db, workflow)
        return len(due)
