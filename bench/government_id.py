"""Government ID benchmark on documents the project generates itself (openidv.testdata.idgen).

Per distortion and per document type: MRZ read exactly, MRZ read wrong but with valid check digits
(must be 0), PDF417 decoded exactly, verdict correct (clean documents pass, defective ones fail with
their check), and seconds per verification. Floors: MRZ exact >= 95 % overall and 100 % on clean,
wrong-but-valid 0, PDF417 >= 90 %, median <= 1 s and p95 <= 2.5 s.

    .venv/bin/python bench/government_id.py [--seeds 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections import defaultdict

from openidv.checks.government_id import Evidence, evaluate
from openidv.testdata.idgen import DISTORTIONS, KINDS, distort, make

ID_CLASS = {"passport": "pp", "id_card": "id", "drivers_license": "dl"}
DEFECT_CHECK = {"expired": "id_expired_detection", "bad_check_digit": "id_mrz_inconsistency_detection",
                "specimen_number": "id_compromised_detection", "front_mismatch": "id_extraction_inconsistency_detection",
                "barcode_mismatch": "id_extraction_inconsistency_detection"}
DEFECT_KINDS = {"expired": KINDS, "bad_check_digit": ("passport", "id_card"), "specimen_number": KINDS,
                "front_mismatch": ("passport",), "barcode_mismatch": ("drivers_license",)}


def jpeg(image) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run_one(kind: str, seed: int, distortion: str, defect: str | None = None) -> dict:
    sample = make(kind, seed, defect)
    front = distort(sample.front, distortion, seed)
    back = distort(sample.back, distortion, seed) if sample.back else None
    start = time.perf_counter()
    result = evaluate(Evidence(jpeg(front), jpeg(back) if back else None, id_class=ID_CLASS[kind]))
    elapsed = time.perf_counter() - start
    failed = {c["name"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}
    row = {"kind": kind, "distortion": distortion, "defect": defect, "seconds": elapsed, "failed": sorted(failed)}
    if sample.mrz_lines and defect is None:
        row["mrz_exact"] = result.mrz_lines == sample.mrz_lines
        row["mrz_wrong_valid"] = bool(result.mrz_lines) and result.mrz_lines != sample.mrz_lines
    if sample.barcode and defect is None:
        row["barcode_exact"] = result.barcode == sample.barcode
    row["verdict_ok"] = (not failed) if defect is None else (DEFECT_CHECK[defect] in failed)
    return row


def pct(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if key in r]
    return f"{100 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})" if values else "      -      "


def table(rows: list[dict], by: str) -> None:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[str(r[by])].append(r)
    print(f"\n{by:<16} {'MRZ exact':>16} {'MRZ wrong+valid':>16} {'PDF417':>16} {'verdict ok':>16} {'median s':>9} {'p95 s':>7}")
    for name, group in [*sorted(groups.items()), ("ALL", rows)]:
        secs = sorted(r["seconds"] for r in group)
        p95 = secs[min(len(secs) - 1, int(0.95 * len(secs)))]
        print(f"{name:<16} {pct(group, 'mrz_exact'):>16} {pct(group, 'mrz_wrong_valid'):>16} {pct(group, 'barcode_exact'):>16} "
              f"{pct(group, 'verdict_ok'):>16} {statistics.median(secs):9.2f} {p95:7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--distortions", default=",".join(DISTORTIONS))
    args = parser.parse_args()
    rows = []
    for seed in range(args.seeds):
        for kind in KINDS:
            for distortion in args.distortions.split(","):
                rows.append(run_one(kind, seed, distortion))
        for defect, kinds in DEFECT_KINDS.items():
            for kind in kinds:
                rows.append(run_one(kind, seed, "clean", defect))
    clean = [r for r in rows if r["defect"] is None]
    table(clean, "distortion")
    table(clean, "kind")
    table([r for r in rows if r["defect"] is not None], "defect")
    wrong = [r for r in rows if not r["verdict_ok"]]
    for r in wrong[:20]:
        print("wrong verdict:", r["kind"], r["distortion"], r["defect"], r["failed"])


if __name__ == "__main__":
    main()
