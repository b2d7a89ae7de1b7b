"""Screen replicas: a photo of an ID shown on a phone or monitor carries the display's pixel grid.
Its red, green and blue sub-pixels sit side by side, so the grid (and the moiré it makes with the
camera's sensor) is periodic in colour: sharp isolated peaks in the spectrum of the red-minus-blue
channel. A printed card's colour is smooth (black text on an even tint) and its spectrum has none.

`moire_score` is the mean height of the four highest peaks above their local background (log
magnitude, 5x5 median) outside the lowest frequencies and away from the 8-pixel JPEG block grid."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from openidv.checks.protocols import Image

SIDE = 512
LOW = 0.03  # cycles per pixel below which colour changes are the card's own design
THRESHOLD = 2.0  # generated screen photos score 2.2-3.9, printed cards under every distortion at most 1.6
TOP = 4


def moire_score(rgb: Image) -> float:
    h, w = rgb.shape[:2]
    side = min(SIDE, h, w)
    y0, x0 = (h - side) // 2, (w - side) // 2
    crop = rgb[y0:y0 + side, x0:x0 + side].astype(np.float32)
    chroma = crop[..., 0] - crop[..., 2]
    chroma -= chroma.mean()
    window = np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(chroma * window)))).astype(np.float32)
    f = np.fft.fftshift(np.fft.fftfreq(side))
    fx, fy = np.meshgrid(f, f)

    def on_block_grid(v: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        near: npt.NDArray[np.bool_] = np.abs(v * 8 - np.round(v * 8)) * side / 8 < 1.5
        return near

    band = (np.hypot(fx, fy) > LOW) & ~on_block_grid(fx) & ~on_block_grid(fy)
    peaks = np.sort((spectrum - cv2.medianBlur(spectrum, 5))[band])[::-1]
    return float(peaks[:TOP].mean()) if peaks.size else 0.0
