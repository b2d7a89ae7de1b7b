"""Screen replicas: a photo of an ID shown on a phone or monitor carries the display's pixel grid.
Its red, green and blue sub-pixels sit side by side, so the grid (and the moiré it makes with the
camera's sensor) is periodic in colour: sharp isolated peaks in the spectrum of the red-minus-blue
channel. A printed card's colour is smooth (black text on an even tint) and its spectrum has none.

`moire_score` is the mean height of the four highest peaks above their local background (log
magnitude, 5x5 median) outside the lowest frequencies and away from the 8-pixel JPEG block grid."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from openidv.checks.protocols import Image

SIDE = 512
LOW = 0.03  # cycles per pixel below which colour changes are the card's own design
THRESHOLD = 2.0  # generated screen photos score 2.2-3.9, printed cards under every distortion at most 1.6
TOP = 4


@lru_cache(maxsize=4)
def _window_and_band(side: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """The Hann window and the frequencies looked at, made once per crop size (not per photo)."""
    window = np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)
    f = np.fft.fftshift(np.fft.fftfreq(side))
    fx, fy = np.meshgrid(f, f)

    def on_block_grid(v: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        near: npt.NDArray[np.bool_] = np.abs(v * 8 - np.round(v * 8)) * side / 8 < 1.5
        return near

    band: npt.NDArray[np.bool_] = (np.hypot(fx, fy) > LOW) & ~on_block_grid(fx) & ~on_block_grid(fy)
    return window, band


def moire_score(rgb: Image) -> float:
    h, w = rgb.shape[:2]
    side = min(SIDE, h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    crop = rgb[y0:y0 + side, x0:x0 + side]
    chroma = crop[..., 0].astype(np.float32) - crop[..., 2]
    chroma -= chroma.mean()
    window, band = _window_and_band(side)
    # OpenCV's single-precision transform: a third of numpy's double-precision time, same scores to 1e-5.
    spectrum = cv2.dft(chroma * window, flags=cv2.DFT_COMPLEX_OUTPUT)
    magnitude = np.log1p(np.fft.fftshift(cv2.magnitude(spectrum[..., 0], spectrum[..., 1])))
    heights = (magnitude - cv2.medianBlur(magnitude, 5))[band]
    if not heights.size:
        return 0.0
    top = min(TOP, heights.size)  # the highest peaks only: a partial sort, not a full one
    return float(np.partition(heights, heights.size - top)[heights.size - top:].mean())
