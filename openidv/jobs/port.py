"""Declaring, installing and enqueueing jobs (the half of the port that callers see).

`@job` and `@every` only describe a function; nothing runs or is known until the composition root
(`openidv.wiring`) installs it, in every process alike (server, worker, CLI, tests).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from openidv.jobs import repository
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.kit.ids import new_id
from openidv.models import Job


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[..., Any]
    queue: str
    max_attempts: int
    # Called as on_give_up(db, **kwargs) in the transaction that marks the job failed after its last attempt,
    # so what the job was to conclude (a verification, a report) does not wait forever.
    on_give_up: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    fn: Callable[[], Any]


DEFAULT_QUEUE = "default"
# The queues a worker gives threads of their own: CPU-heavy processing of submitted verifications and
# documents, webhook deliveries, and the rest (workflows, reports, timers). A row whose queue is not one of
# these (an older release's) runs on the default queue.
QUEUES = ("verifications", "deliveries", DEFAULT_QUEUE)

registry: dict[str, JobSpec] = {}  # the installed jobs, by name
periodic: dict[str, Periodic] = {}  # the installed timers, by name


class _Runtime:
    """What this process's jobs talk to: set by `openidv.jobs.runtime.configure` (app, worker, CLI)."""

    writer: sessionmaker[Session] | None = None
    wake: Callable[[], None] = staticmethod(lambda: None)


runtime = _Runtime()


def job(name: str, *, max_attempts: int = 5,
        on_give_up: Callable[..., Any] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Describe `fn` as the job `name` (installed by the composition root, not here, which also says its queue)."""

    def describe(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.job_spec = JobSpec(name, fn, DEFAULT_QUEUE, max_attempts, on_give_up)  # type: ignore[attr-defined]
        fn.job_name = name  # type: ignore[attr-defined]
        return fn

    return describe


def every(seconds: float, name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Describe `fn` as a timer run every `seconds` (installed by the composition root, not here)."""

    def describe(fn: Callable[[], Any]) -> Callable[[], Any]:
        job(name, max_attempts=1)(fn)
        fn.periodic_spec = Periodic(name, seconds, fn)  # type: ignore[attr-defined]
        return fn

    return describe


def spec_of(fn: Callable[..., Any]) -> JobSpec:
    spec = getattr(fn, "job_spec", None)
    if not isinstance(spec, JobSpec):
        raise TypeError(f"{fn!r} is not a job (decorate it with openidv.jobs.job or every)")
    return spec


def install(jobs: Iterable[Callable[..., Any]], timers: Iterable[Callable[[], Any]] = (),
            queues: Mapping[str, Iterable[Callable[..., Any]]] | None = None) -> None:
    """Make exactly these jobs and timers known to this process (replacing what was installed). `queues`
    names the queue of the jobs that do not run on the default one."""
    registry.clear()
    periodic.clear()
    queue_of: dict[str, str] = {}
    for queue, members in (queues or {}).items():
        if queue not in QUEUES:
            raise ValueError(f"unknown job queue {queue!r} (known: {', '.join(QUEUES)})")
        for fn in members:
            queue_of[spec_of(fn).name] = queue
    for fn in jobs:
        add(fn, queue_of.get(spec_of(fn).name, DEFAULT_QUEUE))
    for fn in timers:
        add(fn, queue_of.get(spec_of(fn).name, DEFAULT_QUEUE))
        timer: Periodic = fn.periodic_spec  # type: ignore[attr-defined]
        periodic[timer.name] = timer
    if missing := set(queue_of) - set(registry):
        raise ValueError(f"queued but not installed: {', '.join(sorted(missing))}")


def add(fn: Callable[..., Any], queue: str = DEFAULT_QUEUE) -> None:
    """Install one more job (a test's own) on `queue`; a second job under a known name is a wiring mistake."""
    spec = replace(spec_of(fn), queue=queue)
    known = registry.get(spec.name)
    if known is not None and known.fn is not fn:
        raise ValueError(f"two jobs are named {spec.name}")
    registry[spec.name] = spec


def _name_of(job_fn: Callable[..., Any] | str) -> str:
    name = job_fn if isinstance(job_fn, str) else getattr(job_fn, "job_name", None)
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"not a registered job: {job_fn!r}")
    return name


def enqueue_in_tx(db: Session, job_fn: Callable[..., Any] | str, *, key: str | None = None, delay_seconds: float = 0, **kwargs: Any) -> str:
    """Add the job to the caller's transaction: it exists only if that transaction commits. A repeated
    `key` does nothing."""
    name = _name_of(job_fn)
    job_id = key or new_id("job")
    if key is not None and (repository.exists(db, job_id) or any(isinstance(o, Job) and o.id == job_id for o in db.new)):
        return job_id
    spec = registry[name]
    db.add(Job(id=job_id, name=name, queue=spec.queue, kwargs=kwargs, state="queued", run_at=now() + timedelta(seconds=delay_seconds),
               attempts=0, max_attempts=spec.max_attempts))
    if delay_seconds <= 0.5:
        wake_on_commit(db, spec.queue)
    return job_id


def cancel_in_tx(db: Session, key: str) -> bool:
    """Cancel the waiting job of this key in the caller's transaction (a timeout whose wait ended first): it
    never runs. One that is already running is left alone; it must find nothing left to do."""
    return repository.cancel_waiting(db, key, now())


def wake_on_commit(db: Session, queue: str) -> None:
    """Once `db` commits, wake this process's worker and (PostgreSQL NOTIFY, sent on commit only) every
    other process's: a job of `queue` is due."""
    if not db.info.get("jobs_wake"):
        db.info["jobs_wake"] = True
        sa_event.listen(db, "after_commit", _after_commit, once=True)
    notified = db.info.setdefault("jobs_notified", {})  # queue -> the transaction that notified it
    if notified.get(queue) is not db.get_transaction():
        repository.notify(db, queue)
        notified[queue] = db.get_transaction()


def _after_commit(db: Session) -> None:
    db.info.pop("jobs_wake", None)
    runtime.wake()


def enqueue(job_fn: Callable[..., Any] | str, *, key: str | None = None, delay_seconds: float = 0, **kwargs: Any) -> str:
    with session() as db:
        return enqueue_in_tx(db, job_fn, key=key, delay_seconds=delay_seconds, **kwargs)


@contextmanager
def session() -> Iterator[Session]:
    """A writer session for a job: commits on success, rolls back on error."""
    if runtime.writer is None:
        raise RuntimeError("openidv.jobs is not configured in this process")
    with transaction(runtime.writer) as db:
        yield db
