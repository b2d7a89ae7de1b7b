"""The job port on PostgreSQL (issue 18): what NOTIFY buys, and how many no-op jobs a worker runs.

- Latency: a job committed by another session (this process's own after-commit wake turned off, as for a
  job enqueued by `openidv serve --no-worker` for an `openidv worker`), one at a time, `--samples` (200)
  times; the delay from its commit to the start of its function: with polling only (0.25 s, the default),
  with NOTIFY and the same polling, and with NOTIFY and 5 s polling.
- Throughput: `--jobs` (5000) no-op jobs enqueued in one transaction, then one worker (the default queue's
  4 threads, then 16) started: jobs done per second, from its start to the last row marked done.

    .venv/bin/python bench/jobs.py [--samples 200] [--jobs 5000]

PostgreSQL: OPENIDV_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), a fresh schema
per run. Prints a small table.
"""

import argparse
import os
import random
import statistics
import threading
import time

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from openidv import jobs
from openidv.jobs import runtime
from openidv.jobs.port import runtime as port_runtime
from openidv.kit.db import make_engine, session_factory, transaction
from openidv.migrate import upgrade
from openidv.models import Job

URL = os.environ.get("OPENIDV_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
started: dict[int, float] = {}
arrived = threading.Event()


@jobs.job("bench.stamp")
def stamp(n: int) -> None:
    started[n] = time.monotonic()
    arrived.set()


@jobs.job("bench.noop")
def noop() -> None:
    pass


def _latency(writer: sessionmaker[Session], samples: int, *, poll: float, listen: bool) -> list[float]:
    worker = runtime.Worker(writer, executor_id=f"bench-{poll}-{listen}", threads=4, poll_seconds=poll, periodic=False, listen=listen)
    worker.start()
    port_runtime.wake = lambda: None  # the job comes from "another process": only NOTIFY or polling finds it
    if worker.listener is not None:
        worker.listener.connected.wait(10)
    time.sleep(0.5)
    delays = []
    try:
        for n in range(samples):
            arrived.clear()
            with transaction(writer) as db:
                jobs.enqueue_in_tx(db, stamp, n=n)
            committed = time.monotonic()
            assert arrived.wait(poll + 5), f"job {n} did not start"
            delays.append(started[n] - committed)
            time.sleep(random.uniform(0, 0.3))  # commits fall anywhere in the poll cycle
    finally:
        worker.stop()
    return delays


def _throughput(writer: sessionmaker[Session], count: int, threads: int) -> float:
    with transaction(writer) as db:
        db.execute(sqlalchemy.delete(Job))
        for _ in range(count):
            jobs.enqueue_in_tx(db, noop)
    worker = runtime.Worker(writer, executor_id=f"bench-throughput-{threads}", threads=threads, poll_seconds=0.25, periodic=False)
    begun = time.monotonic()
    worker.start()
    try:
        while True:
            with transaction(writer) as db:
                left = db.scalar(select(func.count()).select_from(Job).where(Job.state == "queued"))
            if not left:
                break
            time.sleep(0.05)
    finally:
        worker.stop()
    return count / (time.monotonic() - begun)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=5000)
    args = parser.parse_args()
    schema = f"bench_jobs_{os.getpid()}"
    admin = make_engine(URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{URL}{'&' if '?' in URL else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url, pool_size=20)
    try:
        upgrade(url)
        jobs.install([stamp, noop])
        writer = session_factory(engine, writer=True)
        runtime.configure(writer)
        print(f"PostgreSQL, {args.samples} jobs one at a time: commit -> start of the job (ms)")
        print(f"{'':<28}{'median':>8}{'p95':>8}{'max':>8}")
        for label, poll, listen in (("polling 0.25 s", 0.25, False), ("NOTIFY + polling 0.25 s", 0.25, True), ("NOTIFY + polling 5 s", 5.0, True)):
            delays = sorted(_latency(writer, args.samples, poll=poll, listen=listen))
            p95 = delays[int(len(delays) * 0.95) - 1]
            print(f"{label:<28}{statistics.median(delays) * 1000:>8.1f}{p95 * 1000:>8.1f}{delays[-1] * 1000:>8.1f}")
        print(f"\nPostgreSQL, {args.jobs} no-op jobs enqueued, then one worker")
        for threads in (4, 16):
            print(f"  {threads:>2} threads: {_throughput(writer, args.jobs, threads):>7.0f} jobs/s")
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
