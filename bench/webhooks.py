"""Webhook delivery benchmark: inquiries created at a fixed rate on a real `openidv serve`; each
`inquiry.created` event is delivered to a loopback receiver. Prints deliveries/s and the p50/p95/p99
delay from the event's commit (its `created-at`) to receipt.

    .venv/bin/python bench/webhooks.py [--rate 50] [--seconds 10] [--databases sqlite,postgresql]

SQLite: embedded workers inside `openidv serve`. PostgreSQL (OPENIDV_TEST_DATABASE_URL or
postgresql://postgres@127.0.0.1:5432/test, a fresh schema): `serve --no-worker` plus 1, then 2
`openidv worker` processes. Floor (issue 3): p95 < 1 s at 50 events/s on SQLite.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import PG_URL, free_port, percentile

BIN = Path(sys.executable).parent / "openidv"


class Receiver:
    def __init__(self) -> None:
        self.delays: list[float] = []
        self.times: list[float] = []
        self.ids: set[str] = set()
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.time()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                created = datetime.fromisoformat(body["data"]["attributes"]["created-at"].replace("Z", "+00:00")).timestamp()
                with lock:
                    if body["data"]["id"] not in outer.ids:
                        outer.ids.add(body["data"]["id"])
                        outer.delays.append(at - created)
                        outer.times.append(at)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def cli(env: dict[str, str], data_dir: Path, *args: str) -> dict:
    done = subprocess.run([str(BIN), *args, "--data-dir", str(data_dir), "--json"], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


T = TypeVar("T")


def at_rate(rate: float, total: int, work: Callable[[int], T]) -> list[T]:
    """`work(n)` for n in 0..total-1, started one every 1/rate s (the clock of the load) on 16 threads; their results."""
    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        futures = []
        for n in range(total):
            delay = started + n / rate - time.time()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(work, n))
        return [f.result() for f in futures]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 30, path: str = "/healthz") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError("server exited")
        time.sleep(0.1)
    raise RuntimeError("server did not start")


def run(label: str, env: dict[str, str], data_dir: Path, workers: int, rate: float, seconds: float) -> None:
    setup = cli(env, data_dir, "setup")
    key = cli(env, data_dir, "api-key", "create", "--environment", "sandbox", "--replace", "--name", "bench")["secret"]
    template = setup["environments"]["sandbox"]["templates"][0]["id"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / f"bench-{port}.log").open("w")
    args = ["serve", "--port", str(port), "--data-dir", str(data_dir)] + (["--no-worker"] if workers else [])
    processes = [subprocess.Popen([str(BIN), *args], env=env, stdout=log, stderr=subprocess.STDOUT)]
    for n in range(workers):
        processes.append(subprocess.Popen([str(BIN), "worker", "--executor-id", f"bench-{n}", "--data-dir", str(data_dir)], env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    receiver = Receiver()
    try:
        wait_healthy(url, processes[0])
        api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30)
        hook = api.post("/webhooks", json={"data": {"attributes": {"name": "bench", "url": receiver.url, "enabled-events": ["inquiry.created"]}}})
        hook.raise_for_status()
        total = int(rate * seconds)

        def create(_: int) -> None:
            api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}}).raise_for_status()

        started = time.time()
        at_rate(rate, total, create)
        deadline = time.time() + 60
        while len(receiver.ids) < total and time.time() < deadline:
            time.sleep(0.05)
        span = max(receiver.times) - started if receiver.times else float("nan")
        d = receiver.delays
        print(f"{label:<28} offered {rate:.0f}/s  delivered {len(d)}/{total}  {len(d) / span:6.1f} deliveries/s  "
              f"delay p50 {percentile(d, .5) * 1000:5.0f} ms  p95 {percentile(d, .95) * 1000:5.0f} ms  p99 {percentile(d, .99) * 1000:5.0f} ms",
              flush=True)
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        receiver.server.shutdown()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_WEBHOOKS_ALLOW_PRIVATE_URLS": "true", "OPENIDV_LOG_LEVEL": "warning", "OPENIDV_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    if "sqlite" in args.databases:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite, embedded workers", base, Path(tmp), 0, args.rate, args.seconds)
    if "postgresql" in args.databases:
        import sqlalchemy

        from openidv.kit.crypto import generate_key
        from openidv.kit.db import make_engine

        for workers in (1, 2):
            schema = f"bench_webhooks_{os.getpid()}"
            admin = make_engine(PG_URL, pool_size=1)
            with admin.begin() as conn:
                conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in PG_URL else "?"
            env = base | {
                "OPENIDV_DATABASE_URL": f"{PG_URL}{sep}options=-csearch_path%3D{schema}", "OPENIDV_ENCRYPTION_KEYS": "k1:" + generate_key(),
                "OPENIDV_BLIND_INDEX_KEY": generate_key(), "OPENIDV_SESSION_TOKEN_SECRET": generate_key(), "OPENIDV_SECRET_KEY": generate_key(),
            }
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    run(f"PostgreSQL, {workers} worker(s)", env, Path(tmp), workers, args.rate, args.seconds)
            finally:
                with admin.begin() as conn:
                    conn.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
