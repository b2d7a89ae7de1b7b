"""Selfies through the API, on a real server process (`openidv serve` on SQLite, its job worker inside).

Each round makes an inquiry ("Government ID and Selfie"), uploads and submits a generated passport with the
person's portrait and waits until the ID is concluded; then it times the selfie alone: create with three poses,
submit, and poll (every 50 ms) until the `selfie.process` job has concluded it. Prints the wall time from the
create to the concluded answer and the server's CPU over the same span (all its threads), per selfie.

    .venv/bin/python bench/selfie_api.py [--n 10]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "bench"))
from api import Server, cpu_seconds, percentile, set_up

from openidv.testdata import selfiegen

CONCLUDED = ("passed", "failed")


def _photo(data: bytes, name: str) -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": name}


def _concluded(api: httpx.Client, path: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = api.get(path).json()["data"]
        if data["attributes"]["status"] in CONCLUDED:
            return data
        time.sleep(0.05)
    raise RuntimeError(f"{path} not concluded after {timeout} s")


def one_selfie(api: httpx.Client, template_id: str, seed: int, pid: int) -> tuple[float, float, str]:
    inquiry = api.post("/inquiries", json={"data": {"attributes": {"inquiry-template-id": template_id}}}).json()["data"]["id"]
    front = selfiegen.id_front_with_portrait("astronaut", kind="passport", seed=seed)
    attributes = {"inquiry-id": inquiry, "country-code": "US", "id-class": "pp", "front-photo": _photo(front, "front.jpg")}
    gid = api.post("/verification/government-ids", json={"data": {"attributes": attributes}}).json()["data"]["id"]
    api.post(f"/verification/government-ids/{gid}/submit").raise_for_status()
    _concluded(api, f"/verification/government-ids/{gid}")
    poses = selfiegen.three_poses("astronaut", seed=seed)
    photos = {f"{pose}-photo": _photo(data, f"{pose}.jpg") for pose, data in zip(("center", "left", "right"), poses, strict=True)}
    attributes = {"inquiry-id": inquiry, **photos}
    started, cpu = time.perf_counter(), cpu_seconds(pid)
    made = api.post("/verification/selfies", json={"data": {"type": "verification/selfie", "attributes": attributes}})
    made.raise_for_status()
    selfie = made.json()["data"]["id"]
    api.post(f"/verification/selfies/{selfie}/submit").raise_for_status()
    status = _concluded(api, f"/verification/selfies/{selfie}")["attributes"]["status"]
    return time.perf_counter() - started, cpu_seconds(pid) - cpu, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10, help="selfies, one after another (different seeds)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="openidv-bench-selfie-api-"))
    env = {**os.environ, "OPENIDV_LOG_LEVEL": "warning"}
    setup, key = set_up(work / "data", env)
    template_id = next(t["id"] for t in setup["environments"]["sandbox"]["templates"] if t["name"] == "Government ID and Selfie")
    with Server([str(BIN / "openidv"), "serve", "--data-dir", str(work / "data")], env, work / "server.log") as server:
        api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)
        one_selfie(api, template_id, 1000, server.process.pid)  # loads the engines: not counted
        rounds = [one_selfie(api, template_id, seed, server.process.pid) for seed in range(args.n)]
    walls, cpus = [r[0] for r in rounds], [r[1] for r in rounds]
    statuses = [r[2] for r in rounds]
    print(f"bench/selfie_api.py: {args.n} selfies through the API ({statuses.count('passed')} passed); load average {os.getloadavg()[0]:.1f}")
    print(f"create to concluded: wall median {statistics.median(walls):.2f} s, p95 {percentile(walls, 0.95):.2f} s; "
          f"server CPU median {statistics.median(cpus):.2f} s, p95 {percentile(cpus, 0.95):.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
