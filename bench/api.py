"""API benchmark: 16 concurrent HTTP clients create and retrieve inquiries on a real `openidv serve`,
on SQLite and on PostgreSQL, beside a bare FastAPI + SQLAlchemy reference (bench/reference_app.py)
that inserts one inquiry row and one event row, served with the same engine, uvicorn and thread settings.

    .venv/bin/python bench/api.py [--seconds 15] [--clients 16] [--databases sqlite,postgresql]

Before the timed rounds, each server's CPU cost is measured on its own: the server process's CPU time (user + system,
all threads, from /proc) over 800 creations by the 16 clients, then over 800 retrievals, divided by the requests.
Unlike requests/s, CPU milliseconds per request hold still while other work loads the machine. The clients are
`KeepAlive` connections (asyncio streams, prepared request bytes), whose own CPU per request is printed: on two cores
the load generator shares the machine with the server it measures, and httpx cost more CPU per request than the
reference server.

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
from urllib.parse import urlsplit

import httpx
import orjson

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
    client_cpu: float = 0.0  # the load generator's own CPU seconds

    def add(self, other: "Result") -> None:
        self.seconds += other.seconds
        self.create += other.create
        self.retrieve += other.retrieve
        self.errors += other.errors
        self.client_cpu += other.client_cpu

    def creations_per_second(self) -> float:
        return len(self.create) / self.seconds

    def line(self) -> str:
        total = (len(self.create) + len(self.retrieve)) / self.seconds
        ms = lambda xs, p: percentile(xs, p) * 1000  # noqa: E731
        return (
            f"  {self.name:<26} {total:7.1f} req/s  creations {self.creations_per_second():6.1f}/s "
            f"p50/p95/p99 {ms(self.create, .5):5.0f}/{ms(self.create, .95):5.0f}/{ms(self.create, .99):5.0f} ms  "
            f"retrievals p50/p95/p99 {ms(self.retrieve, .5):5.0f}/{ms(self.retrieve, .95):5.0f}/{ms(self.retrieve, .99):5.0f} ms"
            + f"  client CPU {self.client_cpu * 1000 / max(1, len(self.create) + len(self.retrieve)):.2f} ms/request"
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


def set_up(data_dir: Path, env: dict[str, str]) -> tuple[dict, str]:
    """`openidv setup` on a fresh data folder, and a sandbox API key: the setup's JSON and the key's secret."""
    def openidv(*args: str) -> dict:
        command = [str(BIN / "openidv"), *args, "--data-dir", str(data_dir), "--json"]
        return json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)

    return openidv("setup"), openidv("api-key", "create", "--environment", "sandbox")["secret"]


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


class KeepAlive:
    """One client's HTTP/1.1 keep-alive connection: requests written from prepared bytes, answers read by their
    Content-Length. It spends a few tens of microseconds of CPU per request where httpx spent more than a
    millisecond, more than the reference server itself: on two cores the load generator must not be what is measured."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        url = urlsplit(base)
        self.host, self.port, self.prefix = url.hostname or "127.0.0.1", url.port or 80, url.path.rstrip("/")
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{self.host}:{self.port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {self.prefix}{path} HTTP/1.1\r\n{self.fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        raw = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(raw.split(" ", 2)[1])
        length = next((int(line[15:]) for line in raw.split("\r\n") if line.startswith("content-length:")), None)
        if length is None:
            raise RuntimeError(f"{method} {path}: answer without Content-Length")
        content = await self.reader.readexactly(length)
        if "connection: close" in raw:
            self.close()
        return status, content

    async def create(self, body: bytes) -> tuple[int, str | None]:
        """POST /inquiries: the status and the new inquiry's id (None unless 201)."""
        status, content = await self.request("POST", "/inquiries", body)
        return status, orjson.loads(content)["data"]["id"] if status == 201 else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@contextmanager
def keep_alive(base: str, headers: dict[str, str], clients: int) -> Iterator[list[KeepAlive]]:
    """One `KeepAlive` connection per client, closed on the way out."""
    connections = [KeepAlive(base, headers) for _ in range(clients)]
    try:
        yield connections
    finally:
        for http in connections:
            http.close()


async def cpu_cost(pid: int, base: str, headers: dict[str, str], body: dict, clients: int, count: int) -> Cost:
    """`count` creations by `clients` clients, then `count` retrievals of them: the server process's CPU time over
    each phase, divided by the requests. CPU time, unlike requests/s, holds still while other work loads the machine."""
    payload = orjson.dumps(body)
    with keep_alive(base, headers, clients) as connections:
        for _ in range(20):  # warm-up: caches, pool, first-time imports
            if (await connections[0].create(payload))[0] != 201:
                raise RuntimeError("warm-up creation failed")
        idle_started, idle_cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.sleep(1.0)
        idle = (cpu_seconds(pid) - idle_cpu) / (time.perf_counter() - idle_started)
        ids: list[str] = []

        async def creating(http: KeepAlive, n: int) -> None:
            for _ in range(n):
                status, inquiry_id = await http.create(payload)
                if inquiry_id is None:
                    raise RuntimeError(f"creation answered {status}")
                ids.append(inquiry_id)

        async def retrieving(http: KeepAlive, chunk: list[str]) -> None:
            for inquiry_id in chunk:
                status, _ = await http.request("GET", f"/inquiries/{inquiry_id}")
                if status != 200:
                    raise RuntimeError(f"retrieval answered {status}")

        share = count // clients
        started = cpu_seconds(pid)
        await asyncio.gather(*(creating(http, share) for http in connections))
        created_cpu = cpu_seconds(pid) - started
        started = cpu_seconds(pid)
        await asyncio.gather(*(retrieving(http, ids[i::clients]) for i, http in enumerate(connections)))
        retrieved_cpu = cpu_seconds(pid) - started
    return Cost(created_cpu * 1000 / len(ids), retrieved_cpu * 1000 / len(ids), idle * 1000)


async def load(name: str, base: str, headers: dict[str, str], body: dict, clients: int, seconds: float) -> Result:
    """Each client loops: create an inquiry, then retrieve it. A short warm-up is not counted. The result also
    holds this process's own CPU per request: the load generator's share of the machine."""
    payload = orjson.dumps(body)
    with keep_alive(base, headers, clients) as connections:
        for http in connections[:5]:
            if (await http.create(payload))[0] != 201:
                raise RuntimeError("warm-up creation failed")
        result = Result(name, seconds)
        stop = time.perf_counter() + seconds

        async def client(http: KeepAlive) -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                status, inquiry_id = await http.create(payload)
                result.create.append(time.perf_counter() - started)
                if inquiry_id is None:
                    result.errors += 1
                    continue
                started = time.perf_counter()
                status, _ = await http.request("GET", f"/inquiries/{inquiry_id}")
                result.retrieve.append(time.perf_counter() - started)
                result.errors += status != 200

        began, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client(http) for http in connections))
        result.seconds = time.perf_counter() - began
        result.client_cpu = time.process_time() - cpu
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
        setup, key = set_up(data_dir, env)
        template_id = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == "Government ID and Selfie")
        body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": FIELDS}}}
        reference_command = [sys.executable, str(REPO / "bench" / "reference_app.py"), "--database-url", reference_url]
        with Server([str(BIN / "openidv"), "serve", "--data-dir", str(data_dir)], env, work / f"openidv-{kind}.log") as server, \
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
