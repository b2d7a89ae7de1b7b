"""Is there a face on the card? A face detector (a `FaceDetector`; by default MediaPipe BlazeFace from
`openidv.checks.faces`) run on overlapping square tiles of 0.6 of the card's height: a card portrait
(about half the card's height) then fills most of a tile, the size the short-range model is made for;
on the whole letterboxed card it is too small and the model answers with spurious boxes. Real faces
pasted on generated cards score 0.93-0.96, the drawn portraits 0.71-0.92, cards with the portrait
blanked at most 0.37. About 20 ms of CPU on a 400 px high card."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openidv.checks.faces import SHARED_ENGINE
from openidv.checks.protocols import FaceDetector, Image

THRESHOLD = 0.6


@dataclass
class Portrait:
    score: float
    box: tuple[int, int, int, int]  # x, y, w, h in the given image's pixels
    eyes: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (0.0, 0.0))  # the subject's right, left eye

    def crop(self, image: Image) -> Image:
        """A square around the face aligned on the eyes (steadier than the box): 3.2 eye distances wide."""
        (rx, ry), (lx, ly) = self.eyes
        span = max(4.0, float(np.hypot(lx - rx, ly - ry)))
        cx, cy, half = (rx + lx) / 2, (ry + ly) / 2 + 0.45 * span, int(1.6 * span)
        return image[max(0, int(cy) - half):int(cy) + half, max(0, int(cx) - half):int(cx) + half]


def _tiles(h: int, w: int) -> list[tuple[int, int, int]]:
    """Square tiles (x, y, side) of 0.6 of the short side at the start, middle and end of each axis
    (short axis: start and end): a card portrait (about half the card's height) fills most of one."""
    side = max(1, int(0.6 * min(h, w)))

    def starts(length: int) -> list[int]:
        return sorted({0, max(0, (length - side) // 2), max(0, length - side)})

    xs, ys = starts(w), starts(h)
    if len(xs) > 2 and h <= w:
        ys = [ys[0], ys[-1]]
    elif len(ys) > 2:
        xs = [xs[0], xs[-1]]
    return [(x, y, side) for y in ys for x in xs]


def find_portrait(rgb: Image, detector: FaceDetector = SHARED_ENGINE) -> Portrait | None:
    """The most confident face on a card photo (landscape or portrait), or None below THRESHOLD."""
    best: Portrait | None = None
    for ox, oy, side in _tiles(*rgb.shape[:2]):
        found = detector.detect(np.ascontiguousarray(rgb[oy:oy + side, ox:ox + side]), min_score=THRESHOLD)
        if found and (best is None or found[0].score > best.score):
            x0, y0, x1, y1 = found[0].box
            (rx, ry), (lx, ly) = found[0].keypoints[:2]
            eyes = ((float(ox + rx), float(oy + ry)), (float(ox + lx), float(oy + ly)))
            best = Portrait(found[0].score, (int(ox + x0), int(oy + y0), int(x1 - x0), int(y1 - y0)), eyes)
    return best
