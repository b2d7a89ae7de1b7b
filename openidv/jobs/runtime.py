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
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openidv.jobs import repository
from openidv.jobs.listener import Listener
from openidv.jobs.port import DEFAULT_QUEUE, enqueue_in_tx, periodic, registry, runtime
from openidv.kit.clock import now
from openidv.kit.db import transaction
from openidv.models import Job
from openidv.operations import metrics

log = logging.getLogger("openidv.jobs")


def configure(writer: sessionmaker[Session]) -> None:
    runtime.writer = writer


def default_executor_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Lane:
    """One queue's share of a worker: its own threads, so one queue's burst never holds up another's jobs."""

    def __init__(self, queue: str, threads: int) -> None:
        self.queue = queue
        self.threads = threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix=f"openidv-job-{queue}")
        self.busy = threading.Semaphore(threads)

    def free(self) -> int:
        free = 0
        while self.busy.acquire(blocking=False):
            free += 1
        return free


class Worker:
    """Claims and runs due jobs. `queues` gives each queue its threads (the default queue also runs any row
    whose queue has no threads here); without it, `threads` threads run every queue. `reclaim_leases` (the
    embedded worker: the only process on its database) frees at start every lease a dead predecessor held."""

    def __init__(self, writer: sessionmaker[Session], *, executor_id: str | None = None, threads: int = 4,
                 queues: Mapping[str, int] | None = None, lease_seconds: float = 60, poll_seconds: float = 0.5,
                 periodic: bool = True, reclaim_leases: bool = False, listen: bool = True) -> None:
        self.writer = writer
        self.executor_id = executor_id or default_executor_id()
        lanes = {q: n for q, n in (queues or {DEFAULT_QUEUE: threads}).items() if n > 0}
        if DEFAULT_QUEUE not in lanes:
            raise ValueError("a worker needs at least one thread for the default queue")
        self._lanes = [_Lane(q, n) for q, n in lanes.items()]
        self.threads = sum(lanes.values())
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.reclaim_leases = reclaim_leases
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._periodic_slots: dict[str, int] = {}
        self._done: list[str] = []  # succeeded, marked done with the next claim (one write, not two)
        self._done_lock = threading.Lock()
        self.periodic = periodic  # tests turn the timers off and run only what they enqueue
        self._next_due: datetime | None = None  # when the next delayed job falls due (an idle wait ends then)
        bind = writer.kw.get("bind")
        self.listener = Listener(bind.url, self._wake.set, name=f"openidv-jobs {self.executor_id}") \
            if listen and bind is not None and bind.dialect.name == "postgresql" else None

    @property
    def queues(self) -> dict[str, int]:
        return {lane.queue: lane.threads for lane in self._lanes}

    def start(self) -> None:
        configure(self.writer)
        runtime.wake = self._wake.set
        if self.reclaim_leases:
            with transaction(self.writer) as db:
                freed = repository.release_all(db, now())
            if freed:
                log.warning("took back %d job(s) a previous process of this server held", freed)
        if self.listener is not None:
            self.listener.start()
        self._thread = threading.Thread(target=self._loop, name="openidv-jobs", daemon=True)
        self._thread.start()
        log.info("job worker %s started (%s)", self.executor_id, ", ".join(f"{q}: {n} threads" for q, n in self.queues.items()))

    def stop(self, timeout: float = 10, grace: float | None = None) -> int:
        """Stop claiming and let the running jobs finish: all of them, or those done within `grace` seconds, the
        leases of the others released so another worker takes them at once (they run again: at-least-once).
        Returns how many leases were released; their threads cannot be stopped and run on unrecorded."""
        self._stop.set()
        self._wake.set()
        if self.listener is not None:
            self.listener.stop()
        if self._thread:
            self._thread.join(timeout)
        deadline = None if grace is None else time.monotonic() + grace
        finished = all(_drained(lane, deadline) for lane in self._lanes)
        for lane in self._lanes:
            lane.pool.shutdown(wait=finished, cancel_futures=True)
        with self._done_lock:
            done, self._done = self._done, []
        with transaction(self.writer) as db:
            if done:
                repository.mark_done(db, done, self.executor_id, now())
            released = 0 if finished else repository.release_executor(db, self.executor_id, now())
        if released:
            log.warning("job worker %s stopped with %d job(s) unfinished after %.0f s: their leases are released", self.executor_id, released, grace)
        return released

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
                self._wake.wait(self._idle_seconds())
                self._wake.clear()

    def _idle_seconds(self) -> float:
        """The poll interval, or less when a delayed job falls due sooner (NOTIFY covers the due ones)."""
        if self._next_due is None:
            return self.poll_seconds
        return max(0.01, min(self.poll_seconds, (self._next_due - now()).total_seconds()))

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
        free = {lane.queue: lane.free() for lane in self._lanes}
        if not any(free.values()):
            self._wake.wait(0.05)
            return []
        with self._done_lock:
            done, self._done = self._done, []
        others = [lane.queue for lane in self._lanes if lane.queue != DEFAULT_QUEUE]
        claimed: dict[str, list[tuple[str, str, dict[str, Any], int, int]]] = {}
        with transaction(self.writer) as db:
            if done:
                repository.mark_done(db, done, self.executor_id, now())
            for queue, n in free.items():
                if n:
                    # the default lane also runs rows of a queue this worker has no threads for (an older release's)
                    jobs = (repository.claim_due(db, now(), self.executor_id, self.lease_seconds, n, excluding=others) if queue == DEFAULT_QUEUE
                            else repository.claim_due(db, now(), self.executor_id, self.lease_seconds, n, queue=queue))
                    claimed[queue] = [(j.id, j.name, dict(j.kwargs), j.attempts, j.max_attempts) for j in jobs]
            self._next_due = repository.next_run_at(db, now())
        ids = []
        for lane in self._lanes:
            mine = claimed.get(lane.queue, [])
            for _ in range(free[lane.queue] - len(mine)):
                lane.busy.release()
            for item in mine:
                lane.pool.submit(self._run, lane, *item)
                ids.append(item[0])
        return ids

    def _run(self, lane: _Lane, job_id: str, name: str, kwargs: dict[str, Any], attempts: int, max_attempts: int) -> None:
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
            lane.busy.release()
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


def _drained(lane: _Lane, deadline: float | None) -> bool:
    """Wait until none of the lane's threads runs a job (its semaphore back at full), or the deadline passes."""
    held = 0
    while held < lane.threads and lane.busy.acquire(timeout=None if deadline is None else max(0.0, deadline - time.monotonic())):
        held += 1
    for _ in range(held):
        lane.busy.release()
    return held == lane.threads


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


def worker_for(settings: Any, writer: sessionmaker[Session], *, embedded: bool = False) -> Worker:
    """A worker with this process's settings (the jobs it runs are those the composition root installed).
    The embedded worker of `openidv serve` on SQLite is the only process on its database, so it takes back at
    once the leases a killed predecessor held; a distributed worker never does (other workers hold theirs)."""
    return Worker(writer, executor_id=settings.executor_id, queues=settings.job_queue_threads, lease_seconds=settings.jobs_lease_seconds,
                  poll_seconds=settings.jobs_poll_seconds, reclaim_leases=embedded and settings.is_sqlite)
