"""PDF417 decoding with zxing-cpp: grayscale first, then the other binarizers, a deskew by the
dominant text angle, an unsharp-masked retry for blurred photos, and an upscaled retry for small or
low-resolution photos."""

from __future__ import annotations

import cv2
import numpy as np
import zxingcpp

from openidv.checks.protocols import Image

_BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram, zxingcpp.Binarizer.FixedThreshold)
_PDF417 = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.PDF417)


def _read(gray: Image, binarizer: zxingcpp.Binarizer) -> str | None:
    results = zxingcpp.read_barcodes(gray, formats=_PDF417, try_rotate=True,
                                     try_downscale=True, binarizer=binarizer)
    for result in results:
        if result.valid and result.bytes:
            # The raw bytes: `text` spells control characters as <LF>, <RS>, <CR>.
            return bytes(result.bytes).decode("latin-1")
    return None


def _deskew(gray: Image) -> Image | None:
    """Rotate by the angle of the largest dark-on-light region (the barcode's rows)."""
    edges = cv2.Canny(gray, 50, 150)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=80, minLineLength=gray.shape[1] // 5, maxLineGap=10)
    if lines is None:
        return None
    angles = [np.degrees(np.arctan2(y2 - y1, x2 - x1)) for x1, y1, x2, y2 in lines.reshape(-1, 4)]
    angles = [a for a in angles if abs(a) < 30]
    if not angles:
        return None
    angle = float(np.median(angles))
    if abs(angle) < 0.5:
        return None
    h, w = gray.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    straight: np.ndarray = cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
    return straight


def decode_pdf417(image: Image, *, thorough: bool = True) -> str | None:
    """The text of the first valid PDF417 in an RGB or grayscale image, or None (a `BarcodeReader`).
    `thorough=False` stops after the plain passes (every binarizer on the photo as it is, a few ms):
    enough for a barcode that is only a cross-check, while the retries below cost about 60 ms on a
    card that carries none."""
    gray: np.ndarray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    text = _read(gray, _BINARIZERS[0])
    if text:
        return text
    for binarizer in _BINARIZERS[1:]:
        if text := _read(gray, binarizer):
            return text
    if not thorough:
        return None
    straight = _deskew(gray)
    if straight is not None and (text := _read(straight, _BINARIZERS[0])):
        return text
    # A slightly blurred photo: an unsharp mask restores the narrow bars' edges.
    sharpened: np.ndarray = cv2.addWeighted(gray, 2.0, cv2.GaussianBlur(gray, (0, 0), 2), -1.0, 0)
    for binarizer in _BINARIZERS:
        if text := _read(sharpened, binarizer):
            return text
    if max(gray.shape) < 2400:
        big: np.ndarray = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        if text := _read(big, _BINARIZERS[0]):
            return text
        sharp: np.ndarray = cv2.adaptiveThreshold(big, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 10)
        return _read(sharp, _BINARIZERS[2])
    return None
