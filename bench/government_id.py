"""Government ID benchmark on documents the project generates itself (openidv.testdata.idgen).

Per distortion and per document type: MRZ read exactly, MRZ read wrong but with valid check digits
(must be 0), PDF417 decoded exactly, verdict correct (clean documents pass, defective ones fail with
their check), and seconds per verification (front + back through the whole `evaluate()`), wall and
CPU, median and p95. Floors: MRZ exact >= 95 % overall and 100 % on clean images, wrong-but-valid 0,
PDF417 >= 90 %, median <= 1 s and p95 <= 2.5 s. Other work on the machine inflates wall time; CPU
time is this process's own.

    .venv/bin/python bench/government_id.py            # 6 seeds: 162 distorted + 84 defective documents
    .venv/bin/python bench/government_id.py --quick    # 1 seed, a few distortions
    .venv/bin/python bench/government_id.py --profile  # also where the time goes (pyinstrument)
    .venv/bin/python bench/government_id.py --stages   # also CPU per stage (process time, bench/stages.py)
    .venv/bin/python bench/government_id.py --near-misses 3  # MRZ near misses only, on 3 seeds per type

Near misses: on each clean passport and ID card, every character of every MRZ field is read, surely, as
each of its look-alikes (`mrz_reader.LOOKALIKES`, injected into the real recogniser's output by
`testdata.misread.Misread`); each must end read right or as a retake, never as a certain disagreement
(tampering) and never as a wrong reading a check digit could have seen.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections import defaultdict

import numpy as np
from stages import print_stages, timed_stages

from openidv.checks import mrz
from openidv.checks.government_id import Evidence, History, apply_history, evaluate
from openidv.checks.mrz_reader import read_mrz
from openidv.testdata.idgen import DISTORTIONS, KINDS, distort, make
from openidv.testdata.misread import Misread, near_miss_cases

ID_CLASS = {"passport": "pp", "id_card": "id", "drivers_license": "dl"}
# The required check each defect must fail, and the document types it is made for.
DEFECT_CHECK = {"expired": "id_expired_detection", "bad_check_digit": "id_mrz_inconsistency_detection",
                "specimen_number": "id_compromised_detection", "front_mismatch": "id_extraction_inconsistency_detection",
                "barcode_mismatch": "id_extraction_inconsistency_detection", "screen_photo": "id_electronic_replica_detection",
                "invalid_dates": "id_valid_dates_detection", "same_number": "id_repeat_detection"}
DEFECT_KINDS = {"expired": KINDS, "bad_check_digit": ("passport", "id_card"), "specimen_number": KINDS,
                "front_mismatch": ("passport",), "barcode_mismatch": ("drivers_license",), "screen_photo": KINDS,
                "invalid_dates": KINDS, "same_number": KINDS}
QUICK_DISTORTIONS = ("clean", "rotation", "perspective", "glare", "background")
# Where `evaluate()` spends its CPU, stage by stage (each a function it reaches through a module or class).
STAGES = {
    "decode (JPEG to RGB, size checks)": ["openidv.checks.quality:decode"],
    "blur and glare": ["openidv.checks.quality:blur_score", "openidv.checks.quality:glare_fraction"],
    "portrait (face detector on tiles)": ["openidv.checks.government_id:find_portrait"],
    "screen replica (moire spectrum)": ["openidv.checks.replica:moire_score"],
    "MRZ: card, levelling, band": ["openidv.checks.mrz_reader:_prepare", "openidv.checks.mrz_reader:_level",
                                   "openidv.checks.mrz_reader:_text_mask", "openidv.checks.mrz_reader:_rows"],
    "MRZ: strips": ["openidv.checks.mrz_reader:_strip"],
    "MRZ: recogniser (PP-OCRv4)": ["openidv.checks.mrz_reader:MrzLineRecogniser.__call__"],
    "MRZ: cells, decision": ["openidv.checks.mrz_reader:_cell_probs", "openidv.checks.mrz_reader:_decide"],
    "PDF417 (zxing-cpp)": ["openidv.checks.barcode:_read", "openidv.checks.barcode:_deskew"],
    "visual zone: detector": ["openidv.checks.ocr:RapidOcr.detect_text"],
    "visual zone: recogniser": ["openidv.checks.ocr:RapidOcr.recognise_text"],
    "perceptual hashes": ["openidv.checks.image_hash:phash"],
}


def jpeg(image) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run_one(kind: str, seed: int, distortion: str, defect: str | None = None) -> dict:
    sample = make(kind, seed, defect)
    front = jpeg(distort(sample.front, distortion, seed))
    back = jpeg(distort(sample.back, distortion, seed)) if sample.back else None
    wall, cpu = time.perf_counter(), time.process_time()
    result = evaluate(Evidence(front, back, id_class=ID_CLASS[kind]))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if defect == "same_number":
        # What the verification service's blind-index look-up finds: the genuine holder's document
        # (make(kind, seed)) verified earlier under another account.
        earlier = make(kind, seed).truth["identification-number"]
        same = result.attributes.get("identification-number") == earlier
        result = apply_history(result, History(same_number=["ver_earlier"] if same else []))
    failed = {c["name"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}
    row = {"kind": kind, "distortion": distortion, "defect": defect, "wall": wall, "cpu": cpu, "failed": sorted(failed)}
    if sample.mrz_lines and defect is None:
        row["mrz_exact"] = result.mrz_lines == sample.mrz_lines
        row["mrz_wrong_valid"] = bool(result.mrz_lines) and result.mrz_lines != sample.mrz_lines
    if sample.barcode and defect is None:
        row["barcode_exact"] = result.barcode == sample.barcode
    row["verdict_ok"] = (not failed) if defect is None else (DEFECT_CHECK[defect] in failed)
    return row


UNCHECKED = ("names", "nationality", "sex")  # no check digit covers them (nor `<`/`0`/`K`/`U`, equal modulo 10)


def near_misses(seeds: int) -> None:
    """The near-miss matrix: outcome per MRZ field of every look-alike misread, on real photos."""
    outcomes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for seed in range(seeds):
        for kind, fmt in (("passport", "TD3"), ("id_card", "TD1")):
            sample = make(kind, seed)
            side = sample.front if kind == "passport" else sample.back
            assert side is not None
            rgb = np.asarray(side.convert("RGB"))
            for case in near_miss_cases(fmt, sample.mrz_lines):
                misread = Misread(case)
                reading = read_mrz(rgb, recogniser=misread)
                seen = case.field not in UNCHECKED and mrz.char_value(case.true) % 10 != mrz.char_value(case.wrong) % 10
                if not misread.injected:
                    outcome = "not injected"
                elif reading.mismatch_certain:
                    outcome = "tampering"
                elif reading.mrz is None:
                    outcome = "retake"
                elif reading.mrz.lines == sample.mrz_lines:
                    outcome = "read right"
                else:
                    outcome = "wrong, a check digit sees it" if seen else "wrong, no check digit sees it"
                outcomes[case.field][outcome] += 1
    names = ("read right", "retake", "tampering", "wrong, a check digit sees it", "wrong, no check digit sees it", "not injected")
    print(f"\nMRZ near misses ({seeds} seeds x passport + ID card, clean photos; one character read surely as its look-alike)")
    print("| field | cases | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    total: dict[str, int] = defaultdict(int)
    for name, counts in sorted(outcomes.items()):
        for k, v in counts.items():
            total[k] += v
        print(f"| {name} | {sum(counts.values())} | " + " | ".join(str(counts.get(n, 0)) for n in names) + " |")
    print(f"| **all** | {sum(total.values())} | " + " | ".join(str(total.get(n, 0)) for n in names) + " |")


def pct(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if key in r]
    return f"{100 * sum(values) / len(values):5.1f}% ({sum(values)}/{len(values)})" if values else "-"


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.95 * len(values)))]


def table(rows: list[dict], by: str) -> None:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[str(r[by])].append(r)
    print(f"\n| {by} | n | MRZ exact | MRZ wrong but valid | PDF417 decoded | verdict correct | wall s median / p95 | CPU s median / p95 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, group in [*sorted(groups.items()), ("**all**", rows)]:
        wall, cpu = [r["wall"] for r in group], [r["cpu"] for r in group]
        print(f"| {name} | {len(group)} | {pct(group, 'mrz_exact')} | {pct(group, 'mrz_wrong_valid')} | {pct(group, 'barcode_exact')} | "
              f"{pct(group, 'verdict_ok')} | {statistics.median(wall):.2f} / {p95(wall):.2f} | {statistics.median(cpu):.2f} / {p95(cpu):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--distortions", default=",".join(DISTORTIONS))
    parser.add_argument("--quick", action="store_true", help="one seed, five distortions")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the whole run")
    parser.add_argument("--stages", action="store_true", help="print the CPU time of each stage")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--no-defects", action="store_true")
    parser.add_argument("--near-misses", type=int, default=0, metavar="SEEDS", help="only the MRZ near-miss matrix")
    args = parser.parse_args()
    if args.near_misses:
        near_misses(args.near_misses)
        return
    seeds = 1 if args.quick else args.seeds
    distortions = QUICK_DISTORTIONS if args.quick else tuple(args.distortions.split(","))
    evaluate(Evidence(jpeg(make("passport", 999).front), id_class="pp"))  # engines loaded once per process, not timed
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    rows: list[dict] = []
    kinds = tuple(args.kinds.split(","))
    with timed_stages(STAGES if args.stages else {}) as stage_cpu:
        for seed in range(seeds):
            for kind in kinds:
                for distortion in distortions:
                    rows.append(run_one(kind, seed, distortion))
            for defect, defect_kinds in ({} if args.no_defects else DEFECT_KINDS).items():
                for kind in [k for k in defect_kinds if k in kinds]:
                    rows.append(run_one(kind, seed, "clean", defect))
    if args.stages:
        print_stages(stage_cpu, len(rows), sum(r["cpu"] for r in rows), f"stage ({len(rows)} verifications)")
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
    genuine = [r for r in rows if r["defect"] is None]
    print(f"{len(genuine)} genuine documents ({seeds} seeds x {len(KINDS)} types x {len(distortions)} distortions), "
          f"{len(rows) - len(genuine)} defective; seconds per verification (front + back, whole evaluate())")
    table(genuine, "distortion")
    table(genuine, "kind")
    if len(genuine) < len(rows):
        table([r for r in rows if r["defect"] is not None], "defect")
    wall, cpu = [r["wall"] for r in rows], [r["cpu"] for r in rows]
    print(f"\nall {len(rows)} verifications: wall median {statistics.median(wall):.2f} s, p95 {p95(wall):.2f} s; "
          f"CPU median {statistics.median(cpu):.2f} s, p95 {p95(cpu):.2f} s")
    for r in [r for r in rows if not r["verdict_ok"] or r.get("mrz_wrong_valid")][:30]:
        print("wrong verdict:", r["kind"], r["distortion"], r["defect"], r["failed"])


if __name__ == "__main__":
    main()
