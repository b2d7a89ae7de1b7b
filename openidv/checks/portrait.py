"""Is there a face on the card? The face detector of `openidv.checks.faces` (MediaPipe BlazeFace) run
on three square tiles of the card (left, middle, right): a card portrait then fills about half a
tile, the size the short-range model is made for, where on the whole letterboxed card it is too
small and the model answers with spurious boxes. A few milliseconds per tile."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openidv.checks import faces

THRESHOLD = 0.7
WORK_HEIGHT = 320  # tiles are shrunk to 128 px by the detector anyway


@dataclass
class Portrait:
    score: float
    box: tuple[int, int, int, int]  # x, y, w, h in the given image's pixels


def find_portrait(rgb: np.ndarray) -> Portrait | None:
    """The most confident face on a card photo (landscape or portrait), or None below THRESHOLD."""
    h, w = rgb.shape[:2]
    side = min(h, w)
    starts = sorted({0, (max(h, w) - side) // 2, max(h, w) - side})
    best: Portrait | None = None
    for start in starts:
        tile = rgb[:, start:start + side] if w >= h else rgb[start:start + side, :]
        found = faces.engine().detect(np.ascontiguousarray(tile), min_score=THRESHOLD)
        if found and (best is None or found[0].score > best.score):
            x0, y0, x1, y1 = found[0].box
            ox, oy = (start, 0) if w >= h else (0, start)
            best = Portrait(found[0].score, (int(ox + x0), int(oy + y0), int(x1 - x0), int(y1 - y0)))
    return best
