"""Fleet benchmark (issue 18): real processes on PostgreSQL with files in an S3-compatible store (moto's
standalone server on loopback): one `openidv serve --no-worker` and one, then two, `openidv worker` processes.

- Throughput, for one and two workers of one and of two verification threads each (two is the default):
  N government IDs (generated driver's licences, front and back) are created and submitted
  through the API while the workers are paused (SIGSTOP, after a warm-up that loads their models), then the
  workers resume (SIGCONT): verifications concluded per second, from the resume to the last job's finish.
- Webhook delay while a burst is processed: with two workers running, 100 government IDs (each on an inquiry
  of its own) are sent as fast as 4 API clients can; a real receiver subscribed to every event records, for
  each event, the delay from its creation (`created-at`) to its receipt. Target: p95 <= 1 s (deliveries have
  a queue and threads of their own, so they never wait behind the verifications' OCR).

    .venv/bin/python bench/fleet.py [--verifications 24] [--burst 100]

PostgreSQL: OPENIDV_BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), a fresh schema
per run. Prints a small table.
"""

import argparse
import base64
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))
from api import free_port, percentile
from fleet_support import ObjectStore, s3_server
from webhooks import BIN, Receiver, cli, wait_healthy

from openidv.kit.crypto import generate_key
from openidv.kit.db import make_engine
from openidv.testdata import idgen

PG_URL = os.environ.get("OPENIDV_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
GOV = "/verification/government-ids"
TEMPLATE = "Government ID and Selfie"
CONCLUDE_SECONDS = 900


@dataclass
class Fleet:
    api: httpx.Client
    template: str
    engine: sqlalchemy.Engine
    workers: list[subprocess.Popen]

    def signal_workers(self, sig: int) -> None:
        for worker in self.workers:
            worker.send_signal(sig)


@contextmanager
def fleet(work: Path, s3: ObjectStore, workers: int, run: str, threads: int = 2) -> Iterator[Fleet]:
    """A fresh schema, `openidv setup`, one API server and `workers` workers (`threads` verification threads
    each) sharing the data folder and the bucket."""
    schema = f"bench_fleet_{run}_{os.getpid()}"
    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_DATABASE_URL": url, "OPENIDV_ENCRYPTION_KEYS": "k1:" + generate_key(), "OPENIDV_BLIND_INDEX_KEY": generate_key(),
        "OPENIDV_SESSION_TOKEN_SECRET": generate_key(), "OPENIDV_SECRET_KEY": generate_key(), "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
        "OPENIDV_LOG_LEVEL": "warning", "OPENIDV_RATE_LIMIT_PER_MINUTE": "1000000", "OPENIDV_JOB_THREADS_VERIFICATIONS": str(threads),
    } | {f"OPENIDV_{k}": v for k, v in s3.settings(run).items()}
    data_dir = work / run
    setup = cli(env, data_dir, "setup")
    key = cli(env, data_dir, "api-key", "create", "--environment", "sandbox", "--name", "bench")["secret"]
    template = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == TEMPLATE)
    port = free_port()
    log = (work / f"{run}.log").open("w")
    processes = [subprocess.Popen([str(BIN), "serve", "--no-worker", "--port", str(port), "--data-dir", str(data_dir)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)]
    for n in range(workers):
        processes.append(subprocess.Popen([str(BIN), "worker", "--executor-id", f"bench-{n + 1}", "--data-dir", str(data_dir)], env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    engine = make_engine(url, pool_size=2)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", processes[0], seconds=120, path="/readyz")  # database, migrations, storage; slow on a busy machine
        api = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=120)
        yield Fleet(api, template, engine, processes[1:])
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.terminate()
        for p in processes:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def licences(count: int, first_seed: int) -> list[tuple[bytes, bytes]]:
    out = []
    for n in range(count):
        sample = idgen.make("drivers_license", first_seed + n)
        out.append((sample.jpeg("front"), sample.jpeg("back")))
    return out


def send(f: Fleet, licence: tuple[bytes, bytes]) -> str:
    """An inquiry and its government ID (front and back), submitted; returns the verification's id."""
    made = f.api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": f.template}}})
    made.raise_for_status()
    photos = {f"{side}-photo": {"data": base64.b64encode(data).decode(), "filename": f"{side}.jpg"}
              for side, data in zip(("front", "back"), licence, strict=True)}
    attributes = {"inquiry-id": made.json()["data"]["id"], "country-code": "US", "id-class": "dl", **photos}
    made = f.api.post(GOV, json={"data": {"type": "verification/government-id", "attributes": attributes}})
    made.raise_for_status()
    vid = made.json()["data"]["id"]
    f.api.post(f"{GOV}/{vid}/submit").raise_for_status()
    return vid


def send_all(f: Fleet, items: list[tuple[bytes, bytes]]) -> list[str]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda item: send(f, item), items))


def wait_done(f: Fleet, vids: list[str]) -> float:
    """Wait until every verification's processing job is done; returns the wall time (epoch) the last finished."""
    ids = [f"gid:{v}" for v in vids]
    deadline = time.monotonic() + CONCLUDE_SECONDS
    query = sqlalchemy.text("SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed'), "
                            "extract(epoch from max(finished_at)) FROM jobs WHERE id = ANY(:ids)")
    while True:
        with f.engine.connect() as conn:
            done, failed, last = conn.execute(query, {"ids": ids}).one()
        if failed:
            raise RuntimeError(f"{failed} verification job(s) failed")
        if done == len(ids):
            return float(last)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {len(ids)} verifications done after {CONCLUDE_SECONDS} s")
        time.sleep(0.1)


def throughput(work: Path, s3: ObjectStore, workers: int, threads: int, count: int) -> tuple[float, float]:
    """Government IDs concluded per second by `workers` workers of `threads` verification threads, and the seconds they took."""
    with fleet(work, s3, workers, f"tp{workers}x{threads}", threads) as f:
        wait_done(f, send_all(f, licences(2 * workers * threads, 9000)))  # warm-up: each worker loads its models
        f.signal_workers(signal.SIGSTOP)
        vids = send_all(f, licences(count, 1000))
        resumed = time.time()
        f.signal_workers(signal.SIGCONT)
        seconds = wait_done(f, vids) - resumed
        return count / seconds, seconds


def webhook_delays(work: Path, s3: ObjectStore, burst: int) -> tuple[list[float], float, int]:
    """Delivery delays of every event while `burst` government IDs are sent and processed by two workers."""
    receiver = Receiver()
    try:
        with fleet(work, s3, 2, "hooks") as f:
            hook = f.api.post("/webhooks", json={"data": {"attributes": {"name": "bench", "url": receiver.url, "enabled-events": ["*"]}}})
            hook.raise_for_status()
            wait_done(f, send_all(f, licences(4, 9000)))  # warm-up
            warm = set(receiver.ids)
            started = time.time()
            vids = send_all(f, licences(burst, 2000))
            last = wait_done(f, vids)
            with f.engine.connect() as conn:
                expected = conn.execute(sqlalchemy.text("SELECT count(*) FROM events WHERE created_at >= to_timestamp(:t)"), {"t": started}).scalar_one()
            deadline = time.time() + 60
            while len(receiver.ids - warm) < expected and time.time() < deadline:
                time.sleep(0.05)
            delays = [d for d, t in zip(receiver.delays, receiver.times, strict=True) if t - d >= started]  # created during the burst
            return delays, last - started, expected
    finally:
        receiver.server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verifications", type=int, default=24, help="government IDs per throughput run")
    parser.add_argument("--burst", type=int, default=100, help="government IDs in the webhook-delay burst")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, s3_server(Path(tmp) / "moto.log") as s3:
        work = Path(tmp)
        rows = []
        for threads in (1, 2):
            for workers in (1, 2):
                rate, seconds = throughput(work, s3, workers, threads, args.verifications)
                rows.append((f"{workers} worker{'s' if workers > 1 else ''} x {threads} thread{'s' if threads > 1 else ''}",
                             f"{args.verifications} government IDs in {seconds:.1f} s", f"{rate:.2f} verifications/s"))
                print(*rows[-1], sep="  |  ", flush=True)
        delays, span, expected = webhook_delays(work, s3, args.burst)
        load = os.getloadavg()[1]
        print()
        print(f"{'fleet (verification threads)':<30} | {'work':<34} | result")
        print(f"{'-' * 30}-+-{'-' * 34}-+-{'-' * 40}")
        for row in rows:
            print(f"{row[0]:<30} | {row[1]:<34} | {row[2]}")
        burst = f"{args.burst} government IDs burst, {span:.0f} s"
        print(f"{'2 workers x 2 threads':<30} | {burst:<34} | webhook delay p50 {percentile(delays, .5) * 1000:.0f} ms, "
              f"p95 {percentile(delays, .95) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms ({len(delays)} of {expected} events)")
        print(f"({os.cpu_count()} CPUs, load average over the last 5 minutes {load:.1f})")


if __name__ == "__main__":
    main()
