"""64-bit perceptual hashes of photos, to recognise an image seen before even after it was
re-encoded, resized or slightly cropped: pHash (the signs of the lowest 8x8 DCT frequencies of a
32x32 grey copy against their median). Near-duplicates differ in a few bits (Hamming distance).

For look-ups the hash is cut into `BANDS` bytes: two hashes within `BANDS - 1` bits share at least
one byte in the same place (pigeonhole), so an index on the bands finds every candidate."""

from __future__ import annotations

import cv2
import numpy as np

from openidv.checks.protocols import Image

BANDS = 8
MAX_DISTANCE = 4  # < BANDS, so the band index never misses a match


def phash(gray: Image) -> int:
    small = cv2.resize(gray.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()
    bits = low > np.median(low[1:])  # the DC term is left out of the median: it only measures brightness
    return int("".join("1" if b else "0" for b in bits), 2)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def to_hex(value: int) -> str:
    return f"{value:016x}"


def bands(value: int) -> list[str]:
    """`<position><byte>` keys, one per band: equal keys mean the same byte at the same place."""
    return [f"{i}{(value >> (8 * i)) & 0xFF:02x}" for i in range(BANDS)]
