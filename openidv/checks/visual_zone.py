"""The visual zone (the printed front): a text detector once on a copy of at most `WORK_SIDE` px, then
its recogniser on the boxes worth reading, a few at a time (one box costs ~10-25 ms; batching boxes of
different widths costs far more, so only boxes of similar shape share a batch). Both come from the `TextReader` passed as `ocr` (by default rapidocr's,
`checks.ocr.RAPIDOCR`).

Two uses. `confirm()`: the MRZ or barcode already gave the fields; we only look for each expected
value among the printed texts, in rounds where each value unseen reads its best-fitting box (by
shape, among boxes as tall as values: labels are printed smaller), and stop as soon as all were
seen, so a genuine card costs a handful of boxes. `extract()`: no MRZ
or barcode; every box is read and values are taken from under or beside their labels."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import cv2
import numpy as np
from rapidfuzz import fuzz

from openidv.checks.ocr import RAPIDOCR
from openidv.checks.protocols import Image, Quad, TextDetector, TextReader, TextRecogniser

WORK_SIDE = 512
EXTRACT_SIDE = 800  # when the front is the only source, small labels must be read too
MATCH = 85  # rapidfuzz ratio (0-100) at which a printed text shows an expected value
# Letters and digits OCR confuses on IDs, folded to one symbol on both sides of a comparison.
_CONFUSIONS = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2", "G": "6"})
_DATE_FORMATS = ("%d%b%Y", "%d%m%Y", "%m%d%Y", "%Y%m%d", "%d%b%y", "%d%m%y", "%m%d%y")
LABELS = {
    "name-last": ("surname", "last name", "ln", "nom", "apellidos", "name"),
    "name-first": ("given names", "given name", "first name", "fn", "prenoms", "nombre"),
    "birthdate": ("date of birth", "dob", "birth", "geburtsdatum", "date de naissance"),
    "expiration-date": ("date of expiry", "expiry", "exp", "expires", "valid until", "gultig bis"),
    "issue-date": ("date of issue", "issued", "iss", "issue date"),
    "identification-number": ("document no", "document number", "passport no", "dl", "no", "id no", "number"),
    "address-street-1": ("address", "addr", "adresse", "domicilio"),
}


@dataclass
class Box:
    points: Quad  # 4 x 2, in the work copy's pixels
    text: str | None = None

    @property
    def height(self) -> float:
        return float(np.linalg.norm(self.points[0] - self.points[3]))

    @property
    def width(self) -> float:
        return float(np.linalg.norm(self.points[0] - self.points[1]))


@dataclass
class Reading:
    found: dict[str, str] = field(default_factory=dict)  # fields seen printed (the text itself is not kept: PII)
    missing: list[str] = field(default_factory=list)  # expected values printed nowhere
    boxes_read: int = 0


def fold(value: Any) -> str:
    return "".join(ch for ch in str(value or "").upper() if ch.isalnum()).translate(_CONFUSIONS)


def _work_copy(rgb: Image, side: int) -> Image:
    scale = side / max(rgb.shape[:2])
    copy: np.ndarray = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    return copy


def detect(rgb: Image, side: int = WORK_SIDE, *, ocr: TextDetector = RAPIDOCR) -> tuple[Image, list[Box]]:
    """Text boxes of the visual zone: the work copy and its boxes, minus MRZ-wide rows."""
    img = np.ascontiguousarray(_work_copy(rgb, side))
    out = [Box(points) for points in ocr.detect_text(img, side)]
    return img, [b for b in out if b.width < img.shape[1] * 0.45 and b.height >= 8]


def _read(img: Image, box: Box, ocr: TextRecogniser) -> str:
    _read_many(img, [box], ocr)
    return box.text or ""


SAME_WIDTH = 1.3  # boxes batched together differ at most this much in shape (a batch is padded to its widest)


def _aspect(box: Box) -> float:
    return box.width / max(box.height, 1.0)


def _read_many(img: Image, boxes: list[Box], ocr: TextRecogniser) -> None:
    """The boxes not read yet, through the recogniser: one call (one batch) per run of similar shapes.
    A call costs little beyond its boxes, while padding a short box to a long one's width costs the
    long one's time again (five boxes padded to a title's width took 3.5 times their own)."""
    boxes = sorted((b for b in boxes if b.text is None), key=_aspect)
    while boxes:
        batch = [b for b in boxes if _aspect(b) <= SAME_WIDTH * _aspect(boxes[0])]
        boxes = boxes[len(batch):]
        for box, text in zip(batch, ocr.recognise_text(img, [b.points for b in batch]), strict=True):
            box.text = text


def _date_forms(value: date) -> set[str]:
    return {fold(value.strftime(f)) for f in _DATE_FORMATS}


def _shows(text: str, expected: Any) -> bool:
    folded = fold(text)
    if not folded:
        return False
    if isinstance(expected, date):
        return any(fuzz.ratio(folded, form) >= MATCH for form in _date_forms(expected))
    target = fold(expected)
    if len(target) <= 3:
        return folded == target
    return fuzz.ratio(folded, target) >= MATCH or any(fuzz.ratio(fold(t), target) >= MATCH for t in text.split())


CHAR_ASPECT = 0.5  # width of a printed capital or digit over its text box's height


def _expected_aspect(value: Any) -> float:
    return CHAR_ASPECT * (9.5 if isinstance(value, date) else max(1, len(str(value))))


def confirm(rgb: Image, expected: dict[str, Any], *, side: int = WORK_SIDE, ocr: TextReader = RAPIDOCR) -> Reading:
    """Which expected values (from the MRZ or barcode) are printed on the front. For each value the
    box whose shape best fits its length is read first (a handful of boxes on a genuine card); only
    values still unseen cost reading the rest, best fitting first, and then a second look on a larger
    copy (small text on a card photographed from afar)."""
    img, boxes = detect(rgb, side, ocr=ocr)
    todo = {k: v for k, v in expected.items() if v not in (None, "")}
    reading = Reading()

    def read(box: Box) -> None:
        text = _read(img, box, ocr)
        reading.boxes_read += 1
        for key in [k for k, v in todo.items() if _shows(text, v)]:
            reading.found[key] = key
            del todo[key]

    tallest = sorted(boxes, key=lambda b: -b.height)
    floor = 0.85 * tallest[len(tallest) // 4].height if tallest else 0  # labels are printed smaller
    # Rounds: each value still unseen picks its best-fitting box not read yet, and a round's picks are
    # read as one batch; boxes as tall as values first, then the rest (every box, if need be).
    for pool in ([b for b in tallest if b.height >= floor], tallest):
        while todo:
            picks: list[Box] = []
            for value in todo.values():
                want = _expected_aspect(value)
                fits = [b for b in pool if b.text is None and all(b is not p for p in picks)]
                if fits:
                    picks.append(min(fits, key=lambda b: abs(np.log(_aspect(b) / want))))
            if not picks:
                break
            _read_many(img, picks, ocr)
            for box in picks:
                read(box)
    if todo and side < EXTRACT_SIDE:
        again = confirm(rgb, todo, side=EXTRACT_SIDE, ocr=ocr)
        reading.found.update(again.found)
        reading.boxes_read += again.boxes_read
        todo = {k: v for k, v in todo.items() if k in again.missing}
    reading.missing = sorted(todo)
    return reading


def _label_of(text: str) -> str | None:
    words = re.sub(r"[^a-z ]", "", text.lower().replace(".", " ")).strip()
    squeezed = words.replace(" ", "")
    for key, labels in LABELS.items():
        if any(squeezed == label.replace(" ", "") or (len(label) > 4 and fuzz.ratio(squeezed, label.replace(" ", "")) >= 85) for label in labels):
            return key
    return None


def parse_date(text: str) -> date | None:
    """A printed date in any of `_DATE_FORMATS`; OCR's 0/O confusions are tried both ways
    (`190CT2034` is 19 OCT 2034, `O7/15/1974` is 07/15/1974)."""
    folded = "".join(ch for ch in text.upper() if ch.isalnum())
    variants = [folded, re.sub(r"0(?=[A-Z]{2})|(?<=[A-Z])0(?=[A-Z])", "O", folded), folded.replace("O", "0")]
    for candidate in dict.fromkeys(variants):
        for fmt in _DATE_FORMATS:
            try:
                value = datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
            if 1900 <= value.year <= 2100:
                return value
    return None


def extract(rgb: Image, *, ocr: TextReader = RAPIDOCR) -> dict[str, Any]:
    """Every box read; a value is the nearest box under (or right of) its label."""
    img, boxes = detect(rgb, EXTRACT_SIDE, ocr=ocr)
    by_width = sorted(boxes, key=_aspect)
    for i in range(0, len(by_width), 8):  # batches of similar widths pad little
        _read_many(img, by_width[i:i + 8], ocr)
    out: dict[str, Any] = {}
    for box in boxes:
        key = _label_of(box.text or "")
        if key is None or key in out:
            continue
        x, y = box.points[0]
        below = [b for b in boxes if b is not box and abs(b.points[0][0] - x) < box.height * 2 and 0 < b.points[0][1] - y < box.height * 3]
        beside = [b for b in boxes if b is not box and abs(b.points[0][1] - y) < box.height * 0.6 and b.points[0][0] > x]
        nearest = min(below, key=lambda b: b.points[0][1] - y, default=None) or min(beside, key=lambda b: b.points[0][0] - x, default=None)
        if nearest is None or _label_of(nearest.text or ""):
            continue
        value = (nearest.text or "").strip()
        out[key] = parse_date(value) if key.endswith("date") else value.upper()
    return {k: v for k, v in out.items() if v}
