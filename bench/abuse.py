"""Abuse of the API and the hosted flow by many clients at once, on a real server process (`openidv serve`,
its worker included) on SQLite (issue 17: resources bounded before authentication).

For `--seconds` (30), `--clients` (200) asyncio clients in one httpx.AsyncClient loop, each on one kind of abuse:

- API, no API key: oversized bodies with a `Content-Length` over the limit, chunked bodies (no length, 100 MiB
  streamed) and gzip/deflate `Content-Encoding` bombs (1 MiB that inflate to 1 GiB), to the POST routes
  `/inquiries`, `/verification/government-ids`, `/document/generics`, `/document/government-ids`.
- API, a valid key: the same oversized, chunked and `Content-Encoding` bodies, and PDF bombs
  (`openidv.testdata.bombs`, 1 MiB that inflate to 1 GiB) as document files. The rate limit is lifted for
  this run (as bench/api.py does), so every keyed request gets its body read up to the limit: the harder case.
- Flow: `/verify?inquiry-template-id=` creation floods; `/flow/step` oversized and chunked without a session and
  with a valid one; `Content-Encoding` bombs and PDF bombs on a document step with a valid session.

Meanwhile `/healthz` is probed every 0.5 s on its own connection. Printed: requests and status codes per kind,
the 5xx (floor: 0), the probes (floor: all answer 200 within 5 s; the worst latency is reported), the server's
resident memory before, peak and after (floor: peak < 500 MiB) and how much the data folder and the server's
TMPDIR grew, at the end and at the peak of 0.5 s samples (floor: < 100 MiB).

    .venv/bin/python bench/abuse.py [--seconds 30] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter, defaultdict
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "bench"))
from api import Server, percentile
from flow import STEP, _cli, _csrf, _folder_bytes, _memory, _new_flow

from openidv.testdata.bombs import pdf_bomb

MiB = 1024 * 1024
API_ROUTES = ["/inquiries", "/verification/government-ids", "/document/generics", "/document/government-ids"]
API_LIMIT = 20 * MiB  # OPENIDV_MAX_BODY_BYTES's default
FLOW_LIMIT = 60 * MiB  # openidv.flow.endpoints.MAX_UPLOAD_REQUEST
CHUNKED = 100 * MiB  # a chunked body's length, over both limits
PROBE_TIMEOUT = 5.0
# The flow's oversized bodies are a well-formed form whose file part does not end: the size limit must stop
# them, not a parse error.
FILE_PART = b'--x\r\nContent-Disposition: form-data; name="document"; filename="bill.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
# Share of the clients per kind of abuse (sums to 1); "keyed" and "session" ones hold a valid credential.
MIX = {
    "api_oversized": 0.15, "api_chunked": 0.15, "api_encoding_bomb": 0.05,
    "api_keyed_oversized": 0.02, "api_keyed_chunked": 0.02, "api_keyed_encoding_bomb": 0.02, "api_keyed_pdf_bomb": 0.02,
    "flow_creations": 0.25, "flow_oversized": 0.10, "flow_chunked": 0.10,
    "flow_session_oversized": 0.02, "flow_session_chunked": 0.02, "flow_session_encoding_bomb": 0.04, "flow_session_pdf_bomb": 0.04,
}


def _encoding_bombs(inflated: int) -> tuple[bytes, bytes]:
    """`inflated` zeros as a gzip and as a zlib ('deflate') body: one raw deflate stream, built without holding
    the zeros, in each format's wrapper."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * (16 * MiB)
    raw, crc, adler = [], 0, 1
    for _ in range(inflated // len(zeros)):
        raw.append(deflate.compress(zeros))
        crc, adler = zlib.crc32(zeros, crc), zlib.adler32(zeros, adler)
    stream = b"".join([*raw, deflate.flush()])
    gzip = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + stream + struct.pack("<II", crc, inflated & 0xFFFFFFFF)
    return gzip, b"\x78\xda" + stream + struct.pack(">I", adler)


async def _chunks(total: int, head: bytes = b""):  # noqa: ANN202
    """A chunked body (no Content-Length) of `total` bytes: `head`, then filler."""
    piece = b"x" * (256 * 1024)
    yield head
    for _ in range(total // len(piece)):
        yield piece


def _share(clients: int) -> dict[str, int]:
    counts = {kind: max(1, round(share * clients)) for kind, share in MIX.items()}
    counts["flow_creations"] += clients - sum(counts.values())  # the rounding's remainder
    return counts


class Tally:
    def __init__(self) -> None:
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.latencies: dict[str, list[float]] = defaultdict(list)

    def note(self, kind: str, outcome: int | str, seconds: float) -> None:
        self.statuses[kind][outcome] += 1
        self.latencies[kind].append(seconds)

    def errors_5xx(self) -> int:
        """Server errors; a 503 is the body budget shedding load (with Retry-After), a refusal like 413 or 429."""
        return sum(n for counter in self.statuses.values() for status, n in counter.items()
                   if isinstance(status, int) and status >= 500 and status != 503)


async def abuse(base: str, key: str, sessions: dict[str, list[str]], templates: dict[str, str], clients: int,
                seconds: float, tally: Tally, payloads: tuple[bytes, ...]) -> None:
    oversized_api, oversized_flow, gzip_bomb, deflate_bomb, bomb = payloads
    keyed = {"Authorization": f"Bearer {key}"}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)

    # No cookie jar: the floods' session cookies must not reach the anonymous clients; sessions go as a header.
    jar = CookieJar(DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, cookies=jar) as http:
        async def send(kind: str, method: str, url: str, **kwargs: object) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                answer = await http.request(method, url, **kwargs)
            except httpx.TransportError as exc:  # the server hung up on a body it would not read: what it should do
                tally.note(kind, type(exc).__name__, time.perf_counter() - started)
                return None
            tally.note(kind, answer.status_code, time.perf_counter() - started)
            return answer

        def loop(body):  # noqa: ANN001, ANN202
            async def client(i: int) -> None:
                while time.monotonic() < stop:
                    await body(i)
            return client

        def encoding_bomb(i: int, headers: dict[str, str]) -> dict:
            encoding, data = ("gzip", gzip_bomb) if i % 2 else ("deflate", deflate_bomb)
            return {"content": data, "headers": {**headers, "Content-Encoding": encoding}}

        async def api_body(kind: str, i: int, headers: dict[str, str]) -> None:
            route = "/api/v1" + API_ROUTES[i % len(API_ROUTES)]
            if kind.endswith("oversized"):
                await send(kind, "POST", route, content=oversized_api, headers={**headers, "Content-Type": "application/json"})
            elif kind.endswith("chunked"):
                await send(kind, "POST", route, content=_chunks(CHUNKED), headers={**headers, "Content-Type": "application/json"})
            else:
                await send(kind, "POST", route, **encoding_bomb(i, {**headers, "Content-Type": "application/json"}))

        async def api_pdf_bomb(_i: int) -> None:
            await send("api_keyed_pdf_bomb", "POST", "/api/v1/document/generics", headers=keyed,
                       data={"kind": "proof_of_address"}, files={"files": ("bill.pdf", bomb, "application/pdf")})

        async def flow_creation(_i: int) -> None:
            await send("flow_creations", "GET", "/verify", params={"inquiry-template-id": templates["production:Government ID"]})

        multipart = {"Content-Type": "multipart/form-data; boundary=x"}

        async def flow_body(kind: str, i: int, cookie: dict[str, str]) -> None:
            if kind.endswith("oversized"):
                await send(kind, "POST", "/flow/step", content=oversized_flow, headers={**multipart, **cookie})
            elif kind.endswith("chunked"):
                await send(kind, "POST", "/flow/step", content=_chunks(CHUNKED, FILE_PART), headers={**multipart, **cookie})
            else:
                await send(kind, "POST", "/flow/step", **encoding_bomb(i, {**multipart, **cookie}))

        async def flow_pdf_bomb(_i: int, cookie: dict[str, str]) -> None:
            page = await http.get("/verify", headers=cookie)
            step = STEP.search(page.text)
            if not step:  # the session moved on (a bomb got through?): counted, then it sends without a step
                tally.note("flow_session_pdf_bomb", "no document step", 0)
                await asyncio.sleep(0.5)
                return
            files = {"document": ("bill.pdf", bomb, "application/pdf")}
            await send("flow_session_pdf_bomb", "POST", "/flow/step", data={"csrf": _csrf(page), "step-id": step.group(1)}, files=files, headers=cookie)

        tasks = []
        for kind, n in _share(clients).items():
            for i in range(n):
                if kind == "api_keyed_pdf_bomb":
                    body = api_pdf_bomb
                elif kind.startswith("api_"):
                    body = lambda i, kind=kind: api_body(kind, i, keyed if "keyed" in kind else {})  # noqa: E731
                elif kind == "flow_creations":
                    body = flow_creation
                else:
                    pool = sessions.get(kind, [])
                    cookie = {"Cookie": pool[i % len(pool)]} if pool else {}
                    body = (lambda i, c=cookie: flow_pdf_bomb(i, c)) if kind == "flow_session_pdf_bomb" else \
                        (lambda i, kind=kind, c=cookie: flow_body(kind, i, c))
                tasks.append(loop(body)(i))
        await asyncio.gather(*tasks)


def watch(base: str, pid: int, folders: tuple[Path, ...], before: int, done: threading.Event, seen: dict) -> None:
    """`/healthz` every 0.5 s on its own connection and thread (so the clients' event loop does not delay it),
    with the folders' size and the server's memory."""
    seen.update(probes=[], failed=Counter(), grown_peak=0, rss_peak=0)
    with httpx.Client(base_url=base, timeout=PROBE_TIMEOUT) as probe:
        while not done.is_set():
            started = time.perf_counter()
            try:
                answer = probe.get("/healthz")
                if answer.status_code != 200:
                    seen["failed"][answer.status_code] += 1
            except httpx.HTTPError as exc:
                seen["failed"][type(exc).__name__] += 1
            seen["probes"].append(time.perf_counter() - started)
            seen["grown_peak"] = max(seen["grown_peak"], _folder_bytes(*folders) - before)
            seen["rss_peak"] = max(seen["rss_peak"], _memory(pid)[0])
            done.wait(max(0.0, 0.5 - (time.perf_counter() - started)))


def run(base: str, pid: int, key: str, sessions: dict, templates: dict, clients: int, seconds: float,
        folders: tuple[Path, ...], before: int) -> tuple[Tally, dict]:
    # Built before the clock starts: two oversized bodies, gzip and deflate bombs, a PDF bomb.
    payloads = (b"x" * (API_LIMIT + MiB), FILE_PART + b"x" * (FLOW_LIMIT + MiB), *_encoding_bombs(1024 * MiB), pdf_bomb(1024 * MiB))
    tally, done, seen = Tally(), threading.Event(), {}
    watcher = threading.Thread(target=watch, args=(base, pid, folders, before, done, seen))
    watcher.start()
    try:
        asyncio.run(abuse(base, key, sessions, templates, clients, seconds, tally, payloads))
    finally:
        done.set()
        watcher.join()
    return tally, seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="openidv-bench-abuse-"))
    data_dir, tmp = work / "data", work / "tmp"
    tmp.mkdir()
    env = {**os.environ, "OPENIDV_SANDBOX_FLOW_CHECKS": "run", "OPENIDV_LOG_LEVEL": "warning", "TMPDIR": str(tmp),
           "OPENIDV_RATE_LIMIT_PER_MINUTE": "100000000"}
    setup = _cli("setup", "--data-dir", str(data_dir), env=env)
    key = _cli("api-key", "create", "--environment", "sandbox", "--data-dir", str(data_dir), env=env)["secret"]
    templates = {t["name"]: t["id"] for t in setup["environments"]["sandbox"]["templates"]}
    templates |= {f"production:{t['name']}": t["id"] for t in setup["environments"]["production"]["templates"]}
    share = _share(args.clients)
    print(f"bench/abuse.py: {args.clients} clients for {args.seconds:.0f} s against openidv serve (SQLite); clients per kind: {json.dumps(share)}",
          flush=True)
    with Server([str(BIN / "openidv"), "serve", "--data-dir", str(data_dir)], env, work / "server.log") as server:
        api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)
        # Valid flow sessions (a document step after the consent), each held by one or more clients.
        sessions: dict[str, list[str]] = {}
        for kind in ("flow_session_oversized", "flow_session_chunked", "flow_session_encoding_bomb", "flow_session_pdf_bomb"):
            browsers = [_new_flow(server.url, api, templates["Document"]) for _ in range(min(share[kind], 4))]
            sessions[kind] = ["; ".join(f"{k}={v}" for k, v in b.cookies.items()) for b in browsers]
            for b in browsers:
                b.close()
        api.close()
        folders = (data_dir, tmp)
        pid = server.process.pid
        before, (rss_before, _) = _folder_bytes(*folders), _memory(pid)
        tally, watched = run(server.url, pid, key, sessions, templates, args.clients, args.seconds, folders, before)
        time.sleep(2)  # the document jobs the bombs enqueued, if any, get to run
        rss_after, hwm = _memory(pid)
        grown = _folder_bytes(*folders) - before
        alive = httpx.get(f"{server.url}/healthz", timeout=PROBE_TIMEOUT).status_code == 200

    total = sum(sum(c.values()) for c in tally.statuses.values())
    print(f"  requests: {total} in {args.seconds:.0f} s")
    for kind in share:
        counter, times = tally.statuses.get(kind, Counter()), tally.latencies.get(kind, [])
        outcomes = ", ".join(f"{status}: {n}" for status, n in sorted(counter.items(), key=lambda item: str(item[0])))
        print(f"    {kind:<28} {share[kind]:3d} clients {sum(counter.values()):6d} requests  p50 {percentile(times, .5) * 1000:6.0f} ms"
              f"  p95 {percentile(times, .95) * 1000:6.0f} ms  [{outcomes}]")
    errors = tally.errors_5xx()
    probes, failed = watched["probes"], watched["failed"]
    peak = max(hwm, watched["rss_peak"])
    grown_peak = max(grown, watched["grown_peak"])
    print(f"  5xx answers other than 503 (the body budget's refusal): {errors} (floor 0)")
    print(f"  /healthz: {len(probes)} probes, {sum(failed.values())} failed {dict(failed) if failed else ''}; latency p50 "
          f"{percentile(probes, .5) * 1000:.0f} ms, worst {max(probes, default=float('nan')) * 1000:.0f} ms (timeout {PROBE_TIMEOUT:.0f} s); "
          f"answering afterwards: {alive}")
    print(f"  server memory: before {rss_before / MiB:.0f} MiB, peak {peak / MiB:.0f} MiB, after {rss_after / MiB:.0f} MiB (floor: peak < 500)")
    print(f"  data folder + TMPDIR grew: {grown / MiB:.1f} MiB at the end, {grown_peak / MiB:.1f} MiB at the peak sample (floor < 100)")
    ok = errors == 0 and not failed and bool(probes) and alive and peak < 500 * MiB and grown_peak < 100 * MiB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
