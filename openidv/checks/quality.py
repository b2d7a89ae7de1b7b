"""Image intake and quality: safe decoding (type by content, size and pixel limits checked before the
pixels are decoded, so a decompression bomb is refused cheaply), blur (variance of the Laplacian),
glare (share of saturated pixels) and the card's corners with a perspective crop."""

from __future__ import annotations

import io
from dataclasses import dataclass
from struct import error as struct_error

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from pillow_heif import register_heif_opener

from openidv.checks.protocols import Image as Pixels  # PIL's `Image` is the module here

MIN_BYTES, MAX_BYTES = 10 * 1024, 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 12_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# Pillow's own bomb guard, for every decode in this process (errors at 2x, we check first anyway).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

register_heif_opener()  # HEIC, as iPhones take photos
FORMATS = {**FORMATS, "HEIF": "image/heic"}

# Variance of the Laplacian at 1000 px: generated cards score 430-1800 sharp, 16-134 under a mild
# (still readable) blur and under 1 when the text is gone; real photos were not measured.
BLUR_THRESHOLD = 5.0
GLARE_THRESHOLD = 0.2


class ImageRejected(ValueError):
    """The file is not an image we accept; the message is safe to show."""


Corners = npt.NDArray[np.float32]  # (4, 2): a card's corners in pixels


@dataclass
class Decoded:
    rgb: Pixels
    mime: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """Content type by magic bytes, never by file name."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
        return "image/heic"
    return None


def check_size(data: bytes) -> None:
    if len(data) < MIN_BYTES:
        raise ImageRejected(f"image is {len(data)} bytes; at least {MIN_BYTES} are required")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"image is larger than {MAX_BYTES // (1024 * 1024)} MB")


def decode(data: bytes, *, max_side: int = 2000) -> Decoded:
    """Decode an uploaded photo to RGB, shrunk to `max_side`. Raises ImageRejected."""
    check_size(data)
    mime = sniff(data)
    if mime is None:
        raise ImageRejected("file is not a JPEG, PNG, WebP or HEIC image")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size  # header only: no pixels decoded yet
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise ImageRejected(f"image of {width}x{height} pixels is too large")
            if img.format not in FORMATS:
                raise ImageRejected("file is not a JPEG, PNG, WebP or HEIC image")
            img.draft("RGB", (max_side, max_side))  # JPEG: decode at a reduced scale when possible
            rgb = img.convert("RGB")
            rgb.thumbnail((max_side, max_side))
            return Decoded(np.asarray(rgb), mime, width, height)
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("image is too large (decompression bomb)") from exc
    except (OSError, ValueError, SyntaxError, struct_error) as exc:
        raise ImageRejected("image could not be decoded") from exc


def blur_score(gray: Pixels) -> float:
    """Variance of the Laplacian on a 1000 px wide copy: low means blurred."""
    scale = 1000 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def glare_fraction(gray: Pixels) -> float:
    """Share of the document area that is blown out (near-white and flat)."""
    return float(np.mean(gray >= 250))


def gray_of(rgb: Pixels) -> Pixels:
    gray: np.ndarray = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return gray


def find_card(gray: Pixels) -> Corners | None:
    """Four corners of the largest convex quadrilateral covering at least a fifth of the photo."""
    scale = 800 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    edges = cv2.dilate(cv2.Canny(cv2.GaussianBlur(small, (5, 5), 0), 30, 90), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = small.shape[0] * small.shape[1]
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        quad = cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)
        if len(quad) == 4 and cv2.isContourConvex(quad) and cv2.contourArea(quad) > 0.2 * area:
            corners: Corners = (quad.reshape(4, 2) / scale).astype(np.float32)
            return corners
    return None


def _edge_support(edges: Pixels, quad: Corners) -> float:
    """Share of points along the quadrilateral's weakest side that lie on an edge."""
    h, w = edges.shape
    worst = 1.0
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        t = np.linspace(0.05, 0.95, 40)[:, None]
        pts = np.round(a + (b - a) * t).astype(int)
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
        if inside.mean() < 0.5:
            continue  # a side along the photo's border: a card cut off there, nothing to see
        pts = pts[inside]
        worst = min(worst, float((edges[pts[:, 1], pts[:, 0]] > 0).mean()))
    return worst


def card_corners(gray: Pixels) -> Corners | None:
    """Like `find_card`, for reading text off the card: candidates from edges and from the bright
    card against a darker ground, kept only if every side runs along an edge (a textured table
    top otherwise yields quadrilaterals that cut across the card)."""
    scale = 800 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    smooth = cv2.GaussianBlur(small, (5, 5), 0)
    edges = cv2.Canny(smooth, 30, 90)
    support_map: np.ndarray = cv2.dilate(edges, np.ones((7, 7), np.uint8))
    _, bright = cv2.threshold(cv2.GaussianBlur(small, (9, 9), 0), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    area = small.shape[0] * small.shape[1]
    best = None
    for source in (cv2.dilate(edges, np.ones((3, 3), np.uint8)), bright):
        contours, _ = cv2.findContours(source, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
            hull = cv2.convexHull(c)
            quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
            if len(quad) != 4 or not cv2.isContourConvex(quad):
                continue
            quad_area = cv2.contourArea(quad)
            if not 0.2 * area < quad_area < 0.97 * area:
                continue
            if _edge_support(support_map, quad.reshape(4, 2).astype(np.float32)) < 0.8:
                continue
            if best is None or quad_area > best[0]:
                best = (quad_area, quad)
    return None if best is None else (best[1].reshape(4, 2) / scale).astype(np.float32)


def _order(pts: Corners) -> Corners:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def crop_card(rgb: Pixels, corners: Corners) -> Pixels:
    """Perspective-correct crop of the card (an RGB or gray image) to the ID-1 aspect ratio (or its own,
    for passports)."""
    tl, tr, br, bl = _order(corners)
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), target)
    flat: np.ndarray = cv2.warpPerspective(rgb, matrix, (width, height))
    return flat
