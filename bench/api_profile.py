"""Where an API request's CPU goes: py-spy samples a real `openidv serve` while 16 clients create inquiries, then
while they retrieve them, and each sample is put in one layer (the table below); the shares are multiplied by the
server's measured CPU milliseconds per request (bench/api.py's `cpu_cost`).

    .venv/bin/python bench/api_profile.py [--databases sqlite,postgresql] [--seconds 10] [--clients 16] [--flame folder]

py-spy (the test extra) reads the server's stacks from outside, so the server runs unchanged; it needs ptrace rights
(root, or kernel.yama.ptrace_scope=0). Each sample is the Python stack of the thread holding the GIL (`--gil`), so
threads waiting on a lock, a socket or the disk are left out; work in C that releases the GIL (SQLite's own engine,
psycopg's I/O, AES-GCM) is not sampled, and its time is spread over the layers in proportion.
"""

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import BIN, KeepAlive, cpu_cost, keep_alive, servers  # bench/api.py, beside this file

# A sample goes to the first of these layers that any frame of its stack belongs to: a query made while
# authenticating counts as ORM and SQL, the JSON of an event snapshot as events.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("jobs (embedded worker)", ("openidv/jobs/",)),
    ("events: snapshots, webhook fan-out", ("openidv/events/", "openidv/webhooks/")),
    ("sealing (AES-GCM, blind indexes)", ("openidv/kit/crypto.py", "cryptography/")),
    ("ORM and SQL", ("sqlalchemy/", "psycopg/", "sqlite3/", "psycopg_pool/")),
    ("validation", ("pydantic", "openidv/kit/fields.py", "email_validator/", "phonenumbers/", "json/decoder", "parse_json")),
    ("rendering (JSON:API, JSON)", ("json/encoder", "orjson", "openidv/kit/inflection.py", "openidv/kit/versions.py",
                                    "openidv/api/included.py", "/schemas.py", "respond (openidv/api/context.py")),
    ("authentication", ("openidv/auth/",)),
]
# Otherwise the innermost frame decides: openidv's own code is its rules, the rest is the web stack.
ASGI = "ASGI, HTTP, middleware, threads"
RULES = "rules (services, endpoints)"
WEB_STACK = ("openidv/api/middleware.py", "openidv/operations/", "openidv/cli.py", "openidv/kit/serving.py", "openidv/api/context.py")


def layer_of(stack: str) -> str:
    for name, markers in LAYERS:
        if any(marker in stack for marker in markers):
            return name
    for frame in reversed(stack.split(";")):
        if "openidv/" in frame:
            return ASGI if any(part in frame for part in WEB_STACK) else RULES
    return ASGI


def shares(raw: Path) -> dict[str, float]:
    """py-spy's raw (collapsed) output: one `frame;frame;... count` line per distinct stack."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[layer_of(stack)] += int(count)
    total = sum(counts.values()) or 1
    return {name: counts[name] / total for name in [*(n for n, _ in LAYERS), RULES, ASGI]}


async def drive(base: str, headers: dict[str, str], body: dict, clients: int, seconds: float, ids: list[str], create: bool) -> int:
    """`clients` clients create inquiries (or retrieve the given ones, round and round) for `seconds`."""
    payload = orjson.dumps(body)
    done = 0
    stop = time.perf_counter() + seconds

    async def client(http: KeepAlive, index: int) -> None:
        nonlocal done
        position = index
        while time.perf_counter() < stop:
            if create:
                status, inquiry_id = await http.create(payload)
                if inquiry_id is not None:
                    ids.append(inquiry_id)
            else:
                status, _ = await http.request("GET", f"/inquiries/{ids[position % len(ids)]}")
                position += clients
            if status >= 400:
                raise RuntimeError(f"the server answered {status}")
            done += 1

    with keep_alive(base, headers, clients) as connections:
        await asyncio.gather(*(client(http, i) for i, http in enumerate(connections)))
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=10, help="sampled load per phase")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cpu-requests", type=int, default=800)
    parser.add_argument("--flame", type=Path, help="also keep py-spy's raw stacks here (for speedscope or flamegraph.pl)")
    args = parser.parse_args()
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not spy:
        print("py-spy is not installed (pip install py-spy; it is in the test extra)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="openidv-profile-") as tmp:
        work = Path(tmp)
        for kind in args.databases.split(","):
            with servers(kind, work) as (server, _bare, headers, body):
                base, pid = f"{server.url}/api/v1", server.process.pid
                cost = asyncio.run(cpu_cost(pid, base, headers, body, args.clients, args.cpu_requests))
                table: dict[str, dict[str, float]] = {}
                ids: list[str] = []
                for phase, create in (("creation", True), ("retrieval", False)):
                    raw = (args.flame or work) / f"{kind}-{phase}.txt"
                    raw.parent.mkdir(parents=True, exist_ok=True)
                    sampler = subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "--nonblocking", "--gil",
                                                "--duration", str(int(args.seconds)), "--output", str(raw)],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(0.5)  # py-spy attached
                    asyncio.run(drive(base, headers, body, args.clients, args.seconds, ids, create))
                    if sampler.wait(timeout=60) != 0 or not raw.exists():
                        print(f"py-spy failed on {kind} {phase}", file=sys.stderr)
                        return 1
                    table[phase] = shares(raw)
                print(f"{kind}: CPU per creation {cost.create_ms:.2f} ms, per retrieval {cost.retrieve_ms:.2f} ms; by layer (share of samples, ms):")
                print(f"  {'layer':<38} {'creation':>16} {'retrieval':>16}")
                for name in table["creation"]:
                    c, r = table["creation"][name], table["retrieval"][name]
                    print(f"  {name:<38} {c:5.0%} {c * cost.create_ms:6.2f} ms   {r:5.0%} {r * cost.retrieve_ms:6.2f} ms")
    print(f"  machine: {os.cpu_count()} CPUs, load average (1, 5, 15 min) {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
