"""Workers: claim due jobs with a lease, run them, record the outcome.

Embedded mode runs one `Worker` inside `openidv serve`; distributed mode runs `openidv worker`
processes, each with its own executor id. A worker that dies holds its leases until they expire;
then any worker (or the restarted one) runs those jobs again, or `openidv jobs recover --executor ID`
frees them at once.
"""

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openidv.jobs import repository
from openidv.jobs.port import enqueue_in_tx, periodic, registry, runtime
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.models import Job
from openidv.operations import metrics

log = logging.getLogger("openidv.jobs")


def configure(writer: sessionmaker[Session]) -> None:
    runtime.writer = writer


def default_executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(self, writer: sessionmaker[Session], *, executor_id: str | None = None, threads: int = 4,
                 lease_seconds: float = 60, poll_seconds: float = 0.5, periodic: bool = True) -> None:
        self.writer = writer
        self.executor_id = executor_id or default_executor_id()
        self.threads = threads
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="openidv-job")
        self._busy = threading.Semaphore(threads)
        self._thread: threading.Thread | None = None
        self._periodic_slots: dict[str, int] = {}
        self._done: list[str] = []  # succeeded, marked done with the next claim (one write, not two)
        self._done_lock = threading.Lock()
        self.periodic = periodic  # tests turn the timers off and run only what they enqueue

    def start(self) -> None:
        configure(self.writer)
        runtime.wake = self._wake.set
        self._thread = threading.Thread(target=self._loop, name="openidv-jobs", daemon=True)
        self._thread.start()
        log.info("job worker %s started (%d threads)", self.executor_id, self.threads)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._done:
            with transaction(self.writer) as db:
                repository.mark_done(db, self._done, self.executor_id, now())

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.periodic:
                    self._schedule_periodic()
                claimed = self._claim()
            except Exception:  # the database may be briefly unavailable: try again shortly
                log.exception("job poll failed")
                claimed = []
            if not claimed:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _schedule_periodic(self) -> None:
        """One job per period and name, with a deterministic id, so several workers enqueue it once."""
        clock = time.time()
        due = [(p, int(clock // p.seconds)) for p in periodic.values() if self._periodic_slots.get(p.name) != int(clock // p.seconds)]
        if not due:
            return
        with transaction(self.writer) as db:
            for spec, slot in due:
                enqueue_in_tx(db, spec.name, key=f"every:{spec.name}:{slot}")
        for spec, slot in due:
            self._periodic_slots[spec.name] = slot

    def _claim(self) -> list[str]:
        free = 0
        while self._busy.acquire(blocking=False):
            free += 1
        if free == 0:
            self._wake.wait(0.05)
            return []
        with self._done_lock:
            done, self._done = self._done, []
        with transaction(self.writer) as db:
            if done:
                repository.mark_done(db, done, self.executor_id, now())
            jobs = repository.claim_due(db, now(), self.executor_id, self.lease_seconds, free)
            claimed = [(j.id, j.name, dict(j.kwargs), j.attempts, j.max_attempts) for j in jobs]
        for _ in range(free - len(claimed)):
            self._busy.release()
        for item in claimed:
            self._pool.submit(self._run, *item)
        return [c[0] for c in claimed]

    def _run(self, job_id: str, name: str, kwargs: dict[str, Any], attempts: int, max_attempts: int) -> None:
        started = time.perf_counter()
        try:
            spec = registry.get(name)
            if spec is None:
                raise LookupError(f"no job named {name} in this process")
            spec.fn(**kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            log.warning("job %s (%s) failed on attempt %d: %s", job_id, name, attempts, exc)
            self._finish(job_id, error=f"{type(exc).__name__}: {exc}"[:2000], retry=attempts < max_attempts, attempts=attempts)
            metrics.job_ran(name, "retrying" if attempts < max_attempts else "failed", time.perf_counter() - started)
        else:
            with self._done_lock:
                self._done.append(job_id)
            metrics.job_ran(name, "succeeded", time.perf_counter() - started)
        finally:
            self._busy.release()
            self._wake.set()

    def _finish(self, job_id: str, *, error: str | None = None, retry: bool = False, attempts: int = 0) -> None:
        with transaction(self.writer) as db:
            job = db.get(Job, job_id)
            if job is None or job.locked_by != self.executor_id:
                return  # our lease expired and another worker took the job
            job.locked_by, job.locked_until, job.last_error = None, None, error
            if error is None:
                job.state, job.finished_at = "done", now()
            elif retry:
                job.run_at = now() + timedelta(seconds=min(2 ** attempts, 300))
            else:
                job.state, job.finished_at = "failed", now()
                _give_up(db, job)


def _give_up(db: Session, job: Job) -> None:
    """The job's last attempt failed: let it settle what it was for, in the same transaction (a savepoint,
    so a failing handler still leaves the job marked failed)."""
    spec = registry.get(job.name)
    if spec is None or spec.on_give_up is None:
        return
    try:
        with db.begin_nested():
            spec.on_give_up(db, **dict(job.kwargs))
    except Exception:  # logged; the job stays failed for an operator to look at
        log.exception("job %s (%s): giving up failed too", job.id, job.name)


def recover(writer: sessionmaker[Session], executor_id: str) -> int:
    """Free the jobs an executor held, so the live workers take them now."""
    with transaction(writer) as db:
        return repository.release_executor(db, executor_id, now())


def worker_for(settings: Any, writer: sessionmaker[Session]) -> Worker:
    """A worker with this process's settings (the jobs it runs are those the composition root installed)."""
    return Worker(writer, executor_id=settings.executor_id, threads=settings.job_threads, lease_seconds=settings.jobs_lease_seconds,
                  poll_seconds=settings.jobs_poll_seconds)
