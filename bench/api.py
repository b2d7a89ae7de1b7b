"""API benchmark: 16 concurrent HTTP clients create and retrieve inquiries on a real `openidv serve`,
on SQLite and on PostgreSQL, beside a bare FastAPI + SQLAlchemy reference (bench/reference_app.py)
that inserts one inquiry row and one event row, served with the same engine, uvicorn and thread settings.

    .venv/bin/python bench/api.py [--seconds 15] [--clients 16] [--databases sqlite,postgresql]

Before the timed rounds, each server's CPU cost is measured on its own: the server process's CPU time (user + system,
all threads, from /proc) over 800 creations by the 16 clients, then over 800 retrievals, divided by the requests.
Unlike requests/s, CPU milliseconds per request hold still while other work loads the machine.

Targets (issue 19): openidv creates >= 300 inquiries/s on SQLite and >= 200/s on PostgreSQL, creation p99 <= 150 ms,
and more creations/s than the reference. openidv runs as `openidv serve --data-dir DIR` (one process with its job worker
inside) with its default settings, OPENIDV_RATE_LIMIT_PER_MINUTE raised out of the way.
PostgreSQL: OPENIDV_TEST_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test, in a fresh schema.
"""

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("OPENIDV_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROUNDS = 4
TARGETS = {"sqlite": 300, "postgresql": 200}  # creations/s (issue 19)
P99_CEILING_MS = 150
FIELDS = {"name-first": "Ada", "name-last": "Lovelace", "birthdate": "1990-12-10", "email-address": "ada@example.com"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


@dataclass
class Result:
    name: str
    seconds: float
    create: list[float] = field(default_factory=list)
    retrieve: list[float] = field(default_factory=list)
    errors: int = 0

    def add(self, other: "Result") -> None:
        self.seconds += other.seconds
        self.create += other.create
        self.retrieve += other.retrieve
        self.errors += other.errors

    def creations_per_second(self) -> float:
        return len(self.create) / self.seconds

    def line(self) -> str:
        total = (len(self.create) + len(self.retrieve)) / self.seconds
        ms = lambda xs, p: percentile(xs, p) * 1000  # noqa: E731
        return (
            f"  {self.name:<26} {total:7.1f} req/s  creations {self.creations_per_second():6.1f}/s "
            f"p50/p95/p99 {ms(self.create, .5):5.0f}/{ms(self.create, .95):5.0f}/{ms(self.create, .99):5.0f} ms  "
            f"retrievals p50/p95/p99 {ms(self.retrieve, .5):5.0f}/{ms(self.retrieve, .95):5.0f}/{ms(self.retrieve, .99):5.0f} ms"
            + (f"  errors {self.errors}" if self.errors else "")
        )


class Server:
    """A server process on a free 127.0.0.1 port, stopped on exit."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.process = subprocess.Popen([*command, "--port", str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO)

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                break
        self.__exit__()
        raise RuntimeError(f"server did not start; see {self.log.name}")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc; fields 14 and 15 of stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Cost:
    """The server's CPU milliseconds per creation and per retrieval, measured in phases of their own."""

    create_ms: float
    retrieve_ms: float
    idle_ms_per_s: float  # what the idle server spends (job polling, timers), included in the two above

    def line(self) -> str:
        return f"CPU per creation {self.create_ms:5.2f} ms, per retrieval {self.retrieve_ms:5.2f} ms (idle server {self.idle_ms_per_s:.1f} ms/s)"


async def cpu_cost(pid: int, base: str, headers: dict[str, str], body: dict, clients: int, count: int) -> Cost:
    """`count` creations by `clients` clients, then `count` retrievals of them: the server process's CPU time over
    each phase, divided by the requests. CPU time, unlike requests/s, holds still while other work loads the machine."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:
        for _ in range(20):  # warm-up: caches, pool, first-time imports
            (await http.post("/inquiries", json=body)).raise_for_status()
        idle_started, idle_cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.sleep(1.0)
        idle = (cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - idle_started)
        ids: list[str] = []

        async def creating(n: int) -> None:
            for _ in range(n):
                created = await http.post("/inquiries", json=body)
                created.raise_for_status()
                ids.append(created.json()["data"]["id"])

        async def retrieving(chunk: list[str]) -> None:
            for inquiry_id in chunk:
                (await http.get(f"/inquiries/{inquiry_id}")).raise_for_status()

        share = count // clients
        started = cpu_seconds(pid)
        await asyncio.gather(*(creating(share) for _ in range(clients)))
        created_cpu = cpu_seconds(pid) - started
        started = cpu_seconds(pid)
        await asyncio.gather(*(retrieving(ids[i::clients]) for i in range(clients)))
        retrieved_cpu = cpu_seconds(pid) - started
    return Cost(created_cpu * 1000 / len(ids), retrieved_cpu * 1000 / len(ids), idle * 1000)


async def load(name: str, base: str, headers: dict[str, str], body: dict, clients: int, seconds: float) -> Result:
    """Each client loops: create an inquiry, then retrieve it. A short warm-up is not counted."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as http:
        for _ in range(5):
            (await http.post("/inquiries", json=body)).raise_for_status()
        result = Result(name, seconds)
        stop = time.perf_counter() + seconds

        async def client() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                created = await http.post("/inquiries", json=body)
                result.create.append(time.perf_counter() - started)
                if created.status_code != 201:
                    result.errors += 1
                    continue
                started = time.perf_counter()
                fetched = await http.get(f"/inquiries/{created.json()['data']['id']}")
                result.retrieve.append(time.perf_counter() - started)
                result.errors += fetched.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        result.seconds = time.perf_counter() - began
    return result


def _pg_schema_url(schema: str) -> str:
    from sqlalchemy import text

    from openidv.kit.db import make_engine

    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


def _drop_pg_schema(schema: str) -> None:
    from sqlalchemy import text

    from openidv.kit.db import make_engine

    admin = make_engine(PG_URL, pool_size=1)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def servers(kind: str, work: Path) -> Iterator[tuple[Server, Server, dict[str, str], dict]]:
    """A fresh openidv (`openidv serve`, embedded worker) and the bare reference on one database kind: yields both
    servers, openidv's API headers and the creation body."""
    from openidv.kit.crypto import generate_key

    env = {**os.environ, "OPENIDV_RATE_LIMIT_PER_MINUTE": "100000000", "OPENIDV_LOG_LEVEL": "warning"}
    data_dir = work / kind
    schemas: list[str] = []
    if kind == "postgresql":
        schemas = [f"bench_{uuid.uuid4().hex[:8]}", f"bench_ref_{uuid.uuid4().hex[:8]}"]
        openidv_url, reference_url = _pg_schema_url(schemas[0]), _pg_schema_url(schemas[1])
        env.update({
            "OPENIDV_DATABASE_URL": openidv_url, "OPENIDV_ENCRYPTION_KEYS": "k1:" + generate_key(), "OPENIDV_BLIND_INDEX_KEY": generate_key(),
            "OPENIDV_SESSION_TOKEN_SECRET": generate_key(), "OPENIDV_SECRET_KEY": generate_key(),
        })
    else:
        openidv_url, reference_url = None, f"sqlite:///{work / f'reference-{uuid.uuid4().hex[:8]}.db'}"
    try:
        cli = [str(BIN / "openidv")]
        setup = json.loads(subprocess.run([*cli, "setup", "--data-dir", str(data_dir), "--json"], env=env, check=True, capture_output=True, text=True).stdout)
        key_command = [*cli, "api-key", "create", "--environment", "sandbox", "--data-dir", str(data_dir), "--json"]
        key = json.loads(subprocess.run(key_command, env=env, check=True, capture_output=True, text=True).stdout)["secret"]
        template_id = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == "Government ID and Selfie")
        body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": FIELDS}}}
        reference_command = [sys.executable, str(REPO / "bench" / "reference_app.py"), "--database-url", reference_url]
        with Server([*cli, "serve", "--data-dir", str(data_dir)], env, work / f"openidv-{kind}.log") as server, \
                Server(reference_command, env, work / f"reference-{kind}.log") as bare:
            yield server, bare, {"Authorization": f"Bearer {key}"}, body
    finally:
        for schema in schemas:
            _drop_pg_schema(schema)


def run_database(kind: str, work: Path, clients: int, seconds: float, cpu_requests: int) -> tuple[Result, Result, Cost, Cost]:
    ours, reference = Result(f"openidv ({kind})", 0), Result(f"reference ({kind})", 0)
    with servers(kind, work) as (server, bare, openidv_headers, body):
        ours_cost = asyncio.run(cpu_cost(server.process.pid, f"{server.url}/api/v1", openidv_headers, body, clients, cpu_requests))
        reference_cost = asyncio.run(cpu_cost(bare.process.pid, bare.url, {}, body, clients, cpu_requests))
        # Short alternating rounds, so that load from elsewhere on the machine hits both alike.
        for _ in range(ROUNDS):
            ours.add(asyncio.run(load(ours.name, f"{server.url}/api/v1", openidv_headers, body, clients, seconds / ROUNDS)))
            reference.add(asyncio.run(load(reference.name, bare.url, {}, body, clients, seconds / ROUNDS)))
    return ours, reference, ours_cost, reference_cost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="load time per server and database, in alternating rounds")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--cpu-requests", type=int, default=800, help="creations, then retrievals, in the CPU-cost phase")
    args = parser.parse_args()
    ok = True
    print(f"bench/api.py: {args.clients} concurrent clients, {args.seconds:.0f} s per server in {ROUNDS} alternating rounds;"
          " each client creates an inquiry, then retrieves it", flush=True)
    with tempfile.TemporaryDirectory(prefix="openidv-bench-") as tmp:
        for kind in args.databases.split(","):
            ours, reference, ours_cost, reference_cost = run_database(kind, Path(tmp), args.clients, args.seconds, args.cpu_requests)
            print(ours.line(), reference.line(), sep="\n")
            print(f"  {ours.name:<26} {ours_cost.line()}", f"  {reference.name:<26} {reference_cost.line()}", sep="\n")
            share = ours.creations_per_second() / reference.creations_per_second()
            p99 = percentile(ours.create, .99) * 1000
            target = TARGETS.get(kind, 0)
            passed = ours.creations_per_second() >= target and p99 <= P99_CEILING_MS and share > 1 and not ours.errors
            ok &= passed
            verdict = "PASS" if passed else "FAIL"
            print(f"  {kind}: {ours.creations_per_second():.0f} creations/s (target {target}), {share:.0%} of the reference's (target > 100%), "
                  f"p99 {p99:.0f} ms (ceiling {P99_CEILING_MS}): {verdict}", flush=True)
    print(f"  machine: {os.cpu_count()} CPUs, load average (1, 5, 15 min) {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
