"""Workflow decision benchmark: on a real `openidv serve` (SQLite, embedded worker) set up with `openidv setup` (its
starter workflows) and a loaded sanctions list, inquiries are completed at a fixed rate; the starter workflow
screens each one (a real watchlist report) and approves it. Prints, per inquiry, the time from the commit of its
`inquiry.completed` event to the decision's event (`inquiry.approved`), both as the events API records them
(created-at), as p50/p95/p99, with the machine's load average. Target (issue 16): p95 <= 1 s at 20 inquiries/s.

    .venv/bin/python bench/workflows.py [--rate 20] [--seconds 10] [--warmup 5]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import free_port, percentile
from webhooks import BIN, at_rate, cli, wait_healthy

SDN = Path(__file__).resolve().parent.parent / "tests" / "screening" / "fixtures" / "sdn.xml"
DECISIONS = ("inquiry.approved", "inquiry.marked-for-review", "inquiry.declined")


def _at(event: dict) -> float:
    return datetime.fromisoformat(event["attributes"]["created-at"].replace("Z", "+00:00")).timestamp()


def complete_at_rate(api: httpx.Client, template: str, rate: float, total: int, prefix: str) -> list[str]:
    """Create `total` inquiries with a name to screen, completing one every 1/rate s (the clock of the load)."""

    def one(n: int) -> str:
        fields = {"name-first": "Alice", "name-last": f"Example{prefix}{n}", "birthdate": "1990-01-01"}
        made = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template, "fields": fields}}})
        made.raise_for_status()
        inquiry_id = made.json()["data"]["id"]
        api.post(f"/inquiries/{inquiry_id}/perform-simulate-actions",
                 json={"meta": {"simulate-actions": [{"type": "complete_inquiry"}]}}).raise_for_status()
        return str(inquiry_id)

    return at_rate(rate, total, one)


def delays(api: httpx.Client, inquiry_ids: list[str], seconds: float = 120) -> tuple[list[float], int]:
    """Seconds from `inquiry.completed` to the decision's event, per decided inquiry; and how many were left undecided.
    Read from the events API by name, a page of 100 at a time every 2 s: polling each inquiry would load the server
    the benchmark measures (the times are the events' own created-at, so how often it looks changes no figure)."""
    deadline, wanted, found = time.time() + seconds, set(inquiry_ids), {}
    completed: dict[str, float] = {}
    names = ",".join(("inquiry.completed", *DECISIONS))
    while time.time() < deadline:
        url: str | None = "/events"
        params: dict[str, str | int] | None = {"filter[name]": names, "page[size]": 100}
        while url:
            page = api.get(url, params=params).json()
            for event in page["data"]:
                inquiry_id = event["attributes"]["payload"]["data"]["id"]
                if inquiry_id not in wanted:
                    continue
                if event["attributes"]["name"] == "inquiry.completed":
                    completed[inquiry_id] = _at(event)
                else:
                    found.setdefault(inquiry_id, _at(event))
            url, params = (page.get("links") or {}).get("next"), None
            url = url.split("/api/v1", 1)[1] if url and "/api/v1" in url else url
        if len(found) == len(wanted) and all(i in completed for i in wanted):
            break
        time.sleep(2)
    decided = [found[i] - completed[i] for i in wanted if i in found and i in completed]
    return decided, len(wanted) - len(decided)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=int, default=5, help="inquiries decided before measuring (the name matcher loads its data once)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENIDV_")} | {
        "OPENIDV_LOG_LEVEL": "warning", "OPENIDV_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        setup = cli(env, data_dir, "setup")
        subprocess.run([str(BIN), "lists", "load", str(SDN), "--source", "ofac-sdn", "--data-dir", str(data_dir)], env=env, check=True,
                       capture_output=True)
        key = cli(env, data_dir, "api-key", "create", "--environment", "sandbox")["secret"]
        template = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == "Government ID")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = (data_dir / "bench.log").open("w")
        server = subprocess.Popen([str(BIN), "serve", "--port", str(port), "--data-dir", str(data_dir)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, server, seconds=120)
            api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)
            warm = complete_at_rate(api, template, 2, args.warmup, "w")
            delays(api, warm, seconds=300)
            total = int(args.rate * args.seconds)
            load_before = os.getloadavg()
            sending = time.time()
            inquiry_ids = complete_at_rate(api, template, args.rate, total, "m")
            sent = time.time() - sending
            found, undecided = delays(api, inquiry_ids)
            load_after = os.getloadavg()
            print(f"SQLite, embedded worker: {total} inquiries completed at {args.rate:.0f}/s (sent in {sent:.1f} s), decided {len(found)}/{total} "
                  f"(undecided after 120 s: {undecided}); inquiry.completed -> decision event: p50 {percentile(found, .5) * 1000:.0f} ms, "
                  f"p95 {percentile(found, .95) * 1000:.0f} ms, p99 {percentile(found, .99) * 1000:.0f} ms, max {max(found) * 1000:.0f} ms; "
                  f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after (1 min), {os.cpu_count()} CPUs", flush=True)
            if os.environ.get("BENCH_JOB_METRICS"):  # where the worker's time went, per job
                for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
                    if line.startswith("openidv_job") and ("_sum" in line or "_count" in line):
                        print(line)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


if __name__ == "__main__":
    main()
