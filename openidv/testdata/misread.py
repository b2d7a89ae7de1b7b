"""MRZ near misses on real photos: the shipped recogniser reading one character as its look-alike.

`Misread(row, position, wrong)` is a `LineRecogniser` (`checks.protocols`) that runs the process's
PP-OCRv4 recogniser and then, in the frames of that one character's spike, exchanges the true
character's probability with `wrong`'s: the recogniser misreads it as surely as it read the truth
(the issue's clean passport whose `M` was read `V`). Every other character is read as the model reads
it, so the MRZ reader's decision is tested on a real band, not a made-up one. `near_miss_cases` lists
every look-alike exchange (`mrz_reader.LOOKALIKES`) a document's MRZ allows, field by field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openidv.checks.mrz_reader import ALPHABET, LOOKALIKES, shared_recogniser
from openidv.checks.protocols import Image, LineRecogniser, Probabilities

SPIKE = 0.3  # a frame whose best character has at least this share belongs to a character's spike

# Each field of each format: (name, row, start, end); names and codes carry no check digit.
FIELDS = {
    "TD3": [("nationality", 0, 2, 5), ("names", 0, 5, 44), ("document_number", 1, 0, 9), ("check_digit", 1, 9, 10),
            ("birthdate", 1, 13, 19), ("sex", 1, 20, 21), ("expiration_date", 1, 21, 27), ("optional_data", 1, 28, 42),
            ("composite", 1, 43, 44)],
    "TD1": [("nationality", 0, 2, 5), ("document_number", 0, 5, 14), ("check_digit", 0, 14, 15),
            ("optional_data", 0, 15, 30), ("birthdate", 1, 0, 6), ("sex", 1, 7, 8), ("expiration_date", 1, 8, 14),
            ("optional_data", 1, 18, 29), ("composite", 1, 29, 30), ("names", 2, 0, 30)],
}


@dataclass(frozen=True)
class NearMiss:
    field: str
    row: int
    position: int
    true: str
    wrong: str


def near_miss_cases(fmt: str, lines: list[str]) -> list[NearMiss]:
    """Per field, each look-alike of each character it holds, at that character's first place in the field."""
    cases = []
    for name, row, start, end in FIELDS[fmt]:
        seen = set()
        for position in range(start, end):
            true = lines[row][position]
            for wrong in LOOKALIKES.get(true, "") + ("K" if true == "<" else ""):  # `<` and `K` weigh alike
                if (true, wrong) not in seen:
                    seen.add((true, wrong))
                    cases.append(NearMiss(name, row, position, true, wrong))
    return cases


def _spikes(probs: Probabilities) -> list[np.ndarray]:
    """Frame indices of each character's spike, left to right (frames of one run share a best character)."""
    best = probs.argmax(axis=1)
    sure = probs.max(axis=1) >= SPIKE
    runs: list[list[int]] = []
    for f in range(len(probs)):
        if not sure[f]:
            continue
        if runs and runs[-1][-1] == f - 1 and best[runs[-1][-1]] == best[f]:
            runs[-1].append(f)
        else:
            runs.append([f])
    return [np.array(r) for r in runs]


class Misread:
    """The shipped recogniser, except that `case.row`'s character at `case.position` reads as `case.wrong`.
    `injected` says whether the last call found that character where it should be (rows read another
    way up or at another width are left as read)."""

    def __init__(self, case: NearMiss, inner: LineRecogniser | None = None) -> None:
        self.case, self.inner, self.injected = case, inner, False

    def __call__(self, strips: list[Image], /) -> list[Probabilities]:
        out = (self.inner or shared_recogniser())(strips)
        c = self.case
        if c.row < len(out):
            spikes = _spikes(out[c.row])
            if c.position < len(spikes) and len(spikes) in (30, 36, 44):
                frames = spikes[c.position]
                p = out[c.row]
                a, b = ALPHABET.index(c.true), ALPHABET.index(c.wrong)
                if int(p[frames].max(axis=0).argmax()) == a:
                    p[frames, a], p[frames, b] = p[frames, b].copy(), p[frames, a].copy()
                    self.injected = True
        return out
