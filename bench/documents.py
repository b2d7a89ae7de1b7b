"""Document (proof of address) benchmark on papers the project generates itself (openidv.testdata.docgen).

Per kind and file form (PDF text layer, image-only PDF read by OCR, PNG photo of the page): type detected,
verdict correct (a recent paper matching the claimed person passes; each defect fails with its check), and
seconds per document (wall and CPU; other work on the machine inflates wall time). Intake refusals
(JavaScript, Launch, encrypted, malformed) are timed too.

    .venv/bin/python bench/documents.py [--seeds 2] [--ocr-seeds 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from datetime import date, timedelta

from openidv.checks import document as engine
from openidv.testdata import docgen

TODAY = date(2026, 12, 2)
PEOPLE = [("Jane Doe", docgen.Address()), ("Omar Okafor", docgen.Address("77 Lakeview Avenue", "Madison", "WI", "53703")),
          ("Lucia Rossi", docgen.Address("9 Elm Court", "Portland", "OR", "97205"))]
TYPE = {"utility_bill": "standard_utility_bill", "bank_statement": "bank_statement", "lease": "lease_agreement",
        "tax_form": "tax_form", "pay_stub": "pay_stub"}
DEFECTS = {  # name -> (make() overrides, check that must fail)
    "old": ({"days": 200}, "document_recency_detection"),
    "wrong_name": ({"name": "Peter Novak"}, "document_inquiry_comparison"),
    "mixed_fonts": ({"variant": "mixed_fonts"}, "document_tamper_detection"),
    "edited": ({"variant": "edited"}, "document_tamper_detection"),
    "incremental": ({"variant": "incremental"}, "document_tamper_detection"),
}


def claimed(name: str, address: docgen.Address) -> dict[str, str]:
    first, last = name.split()
    return {"name-first": first, "name-last": last, "address-street-1": address.street, "address-city": address.city,
            "address-postal-code": address.postal_code}


def run_one(kind: str, seed: int, form: str | None, defect: str | None = None) -> dict:
    name, address = PEOPLE[seed % len(PEOPLE)]
    overrides, expected_check = DEFECTS[defect] if defect else ({}, None)
    paper = docgen.make(kind, issued=TODAY - timedelta(days=overrides.get("days", 3 + seed * 7)), name=overrides.get("name", name),
                        address=address, variant=overrides.get("variant", form), seed=seed)
    wall, cpu = time.perf_counter(), time.process_time()
    result = engine.evaluate([(paper.data, paper.mime)], engine.Settings(), claimed(name, address), today=TODAY)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failed = {c["name"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}
    correct = (expected_check in failed) if defect else not failed
    return {"typed": result.document_type == TYPE[kind], "correct": correct, "wall": wall, "cpu": cpu, "failed": failed}


def summary(label: str, rows: list[dict]) -> str:
    walls = sorted(r["wall"] for r in rows)
    p95 = walls[min(len(walls) - 1, int(0.95 * len(walls)))]
    return (f"{label:<28} n={len(rows):>3}  typed {100 * sum(r['typed'] for r in rows) / len(rows):5.1f} %  "
            f"verdict {100 * sum(r['correct'] for r in rows) / len(rows):5.1f} %  median {statistics.median(walls):6.3f} s  "
            f"p95 {p95:6.3f} s  cpu/doc {sum(r['cpu'] for r in rows) / len(rows):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--ocr-seeds", type=int, default=1)
    args = parser.parse_args()
    groups: dict[str, list[dict]] = defaultdict(list)
    misses = []
    for kind in docgen.KINDS:
        for seed in range(args.seeds):
            groups[f"text layer / {kind}"].append(run_one(kind, seed, None))
            for defect in DEFECTS:
                row = run_one(kind, seed, None, defect)
                groups[f"defect / {defect}"].append(row)
                if not row["correct"]:
                    misses.append((kind, seed, defect, row["failed"]))
        for seed in range(args.ocr_seeds):
            groups["ocr / image-only PDF"].append(run_one(kind, seed, "image_pdf"))
            groups["ocr / PNG"].append(run_one(kind, seed, "png"))
    for label, rows in groups.items():
        print(summary(label, rows))
    print(summary("all", [r for rows in groups.values() for r in rows]))
    refusals = []
    for variant in ("javascript", "launch", "encrypted", "malformed"):
        paper = docgen.make("utility_bill", issued=TODAY, variant=variant)
        wall = time.perf_counter()
        try:
            engine.check_upload(paper.data)
            refused = False
        except engine.DocumentRejected:
            refused = True
        refusals.append((variant, refused, time.perf_counter() - wall))
    print("intake refusals: " + ", ".join(f"{v} {'refused' if r else 'ACCEPTED'} in {t * 1000:.1f} ms" for v, r, t in refusals))
    for miss in misses:
        print("wrong verdict:", miss)


if __name__ == "__main__":
    main()
