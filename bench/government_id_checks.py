"""Issue 7's checks beyond reading: on generated documents, the verdict on genuine cards under each
distortion, each defect failing with its check, and the CPU the additions cost (portrait, screen
replica, visual zone) beside the whole `evaluate()`; wall and CPU time both, as the machine is shared.

    .venv/bin/python bench/government_id_checks.py [seeds per cell, default 3]
"""

from __future__ import annotations

import io
import statistics
import sys
import time
import warnings

from openidv.checks import government_id as gid, visual_zone
from openidv.checks.government_id import Evidence, evaluate
from openidv.testdata.idgen import distort, make

ID_CLASS = {"passport": "pp", "id_card": "id", "drivers_license": "dl"}
DISTORTIONS = ("clean", "rotation", "perspective", "blur", "jpeg", "noise", "glare", "low_resolution", "background")
DEFECTS = {"expired": "id_expired_detection", "bad_check_digit": "id_mrz_inconsistency_detection",
           "front_mismatch": "id_extraction_inconsistency_detection", "specimen_number": "id_compromised_detection",
           "barcode_mismatch": "id_extraction_inconsistency_detection", "screen_photo": "id_electronic_replica_detection",
           "invalid_dates": "id_valid_dates_detection"}
ADDED = {"wall": 0.0, "cpu": 0.0}


def _timed(fn):  # noqa: ANN001, ANN202
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            ADDED["cpu"] += time.process_time() - cpu
            ADDED["wall"] += time.perf_counter() - wall
    return wrapper


# The additions, timed where government_id calls them (visual_zone.confirm recurses once at most: time the entry).
gid.find_portrait = _timed(gid.find_portrait)
gid.replica.moire_score = _timed(gid.replica.moire_score)
_confirm, _extract = visual_zone.confirm, visual_zone.extract
gid.visual_zone = type("VZ", (), {"confirm": staticmethod(_timed(_confirm)), "extract": staticmethod(_timed(_extract)),
                                  "Reading": visual_zone.Reading})


def jpeg(image) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run(kind: str, seed: int, distortion: str = "clean", defect: str | None = None) -> dict:
    sample = make(kind, seed, defect)
    front = distort(sample.front, distortion, seed)
    evidence = Evidence(jpeg(front), jpeg(sample.back) if sample.back else None, id_class=ID_CLASS[kind])
    ADDED["wall"] = ADDED["cpu"] = 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    result = evaluate(evidence)
    failed = {c["name"]: c["reasons"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}
    return {"kind": kind, "distortion": distortion, "defect": defect, "failed": failed, "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu, "added_wall": ADDED["wall"], "added_cpu": ADDED["cpu"]}


def ms(values: list[float]) -> str:
    values = sorted(values)
    return f"{statistics.median(values) * 1000:.0f} / {values[int(0.95 * (len(values) - 1))] * 1000:.0f}"


def main() -> None:
    warnings.simplefilter("ignore")
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    run("passport", 0)  # load the models
    genuine = [run(kind, 70 + s, d) for kind in ID_CLASS for d in DISTORTIONS for s in range(seeds)]
    print("| distortion | genuine passed | failed checks seen |\n| --- | --- | --- |")
    for d in DISTORTIONS:
        rows = [r for r in genuine if r["distortion"] == d]
        seen = sorted({name for r in rows for name in r["failed"]})
        print(f"| {d} | {sum(not r['failed'] for r in rows)}/{len(rows)} | {', '.join(seen) or '-'} |")
    defective = []
    for defect, check in DEFECTS.items():
        kinds = ("passport", "id_card") if defect == "bad_check_digit" else ("drivers_license",) if defect == "barcode_mismatch" else tuple(ID_CLASS)
        defective += [dict(run(kind, 80 + s, defect=defect), want=check) for kind in kinds for s in range(seeds)]
    print("\n| defect | failed with its check |\n| --- | --- |")
    for defect in DEFECTS:
        rows = [r for r in defective if r["defect"] == defect]
        print(f"| {defect} | {sum(r['want'] in r['failed'] for r in rows)}/{len(rows)} |")
    rows = genuine + defective
    print("\nms median / p95 over", len(rows), "verifications:")
    print(f"  whole evaluate(): wall {ms([r['wall'] for r in rows])}, CPU {ms([r['cpu'] for r in rows])}")
    print(f"  issue-7 additions: wall {ms([r['added_wall'] for r in rows])}, CPU {ms([r['added_cpu'] for r in rows])}")
    import os

    print("  load average during the run:", os.getloadavg())


if __name__ == "__main__":
    main()
