"""Per-stage CPU time of the verification engines, for `--stages` of bench/government_id.py and
bench/selfie.py: each named function is wrapped, for the run only, with a process-time counter (the
outermost call of a stage is counted, so a stage that calls itself again is not counted twice).
CPU (process) time includes onnxruntime's and LiteRT's own threads, and is robust to other work on the
machine, unlike wall time."""

from __future__ import annotations

import importlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def timed_stages(stages: dict[str, list[str]]) -> Iterator[dict[str, float]]:
    """`stages`: stage name -> ["module:attribute", ...] (an attribute may be `Class.method`). Yields
    the CPU seconds per stage, filled as the run goes."""
    totals: dict[str, float] = defaultdict(float)
    active: set[str] = set()
    undo: list[tuple[Any, str, Any]] = []

    def wrap(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if stage in active:
                return fn(*args, **kwargs)
            active.add(stage)
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[stage] += time.process_time() - start
                active.discard(stage)
        return timed

    for stage, targets in stages.items():
        for target in targets:
            module_name, _, attr = target.partition(":")
            owner: Any = importlib.import_module(module_name)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
            undo.append((owner, name, original))
            setattr(owner, name, wrap(stage, original))
    try:
        yield totals
    finally:
        for owner, name, original in reversed(undo):
            setattr(owner, name, original)


def print_stages(totals: dict[str, float], count: int, whole: float, title: str) -> None:
    """A markdown table: CPU ms per verification per stage, and the share of the whole."""
    print(f"\n| {title} | CPU ms per verification | share |")
    print("|---|---|---|")
    for stage, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {stage} | {1000 * seconds / count:.0f} | {100 * seconds / whole:.0f} % |")
    rest = whole - sum(totals.values())
    print(f"| rest (checks, hashes, glue) | {1000 * rest / count:.0f} | {100 * rest / whole:.0f} % |")
    print(f"| **whole** | **{1000 * whole / count:.0f}** | 100 % |")
