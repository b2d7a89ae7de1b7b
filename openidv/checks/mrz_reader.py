"""Reading the MRZ from a photo: OpenCV finds the long, evenly spaced text rows at the bottom of the
document, each row strip is recognised by rapidocr's PP-OCR recognition model (shipped inside the
`rapidocr-onnxruntime` wheel, Apache-2.0, nothing downloaded), and the text goes to our own parser.
Four orientations are tried; a reading is returned only if every check digit agrees, so a misread
shows up as "no MRZ", never as a wrong but valid one."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from openidv.checks import mrz

_ENGINE = None
_LOCK = threading.Lock()
WORK_WIDTH = 1100


def engine():  # noqa: ANN201
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR

            _ENGINE = RapidOCR(rec_batch_num=16, intra_op_num_threads=1, inter_op_num_threads=1)
    return _ENGINE


@dataclass
class MrzReading:
    mrz: mrz.Mrz | None
    found: bool  # rows that look like an MRZ were located
    raw: list[str]
    orientation: int = 0


def recognise(strip: np.ndarray) -> str:
    result, _ = engine()(strip, use_det=False, use_cls=False, use_rec=True)
    return result[0][0] if result else ""


def _rows(gray: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (x, y, w, h) of long text rows, top to bottom."""
    h, w = gray.shape
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    _, binary = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    joined = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, w // 45), 3)))
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rows = []
    for c in contours:
        x, y, cw, ch = cv2.boundingRect(c)
        if cw > w * 0.45 and 8 < ch < h * 0.12 and cw / ch > 12:
            rows.append((x, y, cw, ch))
    return sorted(rows, key=lambda r: r[1])


def _deskew(gray: np.ndarray) -> np.ndarray:
    """Level the text rows: the median angle of the long row blobs."""
    h, w = gray.shape
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    _, binary = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    joined = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, w // 45), 3)))
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles = []
    for c in contours:
        rect = cv2.minAreaRect(c)
        rw, rh = rect[1]
        if max(rw, rh) > w * 0.4 and max(rw, rh) / max(1.0, min(rw, rh)) > 10:
            # The long edge's direction, folded into (-45, 45] whatever minAreaRect's convention.
            p = cv2.boxPoints(rect)
            edges = [p[1] - p[0], p[2] - p[1]]
            dx, dy = max(edges, key=lambda e: float(np.hypot(*e)))
            a = float(np.degrees(np.arctan2(dy, dx))) % 180
            angles.append(a - 180 if a > 90 else a)
    angles = [a for a in angles if abs(a) <= 45]
    if not angles:
        return gray
    angle = float(np.median(angles))
    if abs(angle) < 0.4:
        return gray
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=int(np.median(gray)))


def _fit(text: str, width: int) -> str:
    """MRZ characters only; the recogniser may drop or add fillers, so a wrong length is fixed in the
    longest filler run (the only place where a count of `<` carries no information we can check)."""
    text = text.upper().replace("«", "<<").replace("‹", "<").replace("く", "<")
    text = re.sub(r"[^A-Z0-9<]", "", text)
    if len(text) == width:
        return text
    runs = list(re.finditer(r"<{2,}", text))
    if not runs:
        return text[:width].ljust(width, "<")
    run = max(runs, key=lambda m: (m.end() - m.start(), m.start()))
    n = run.end() - run.start() + (width - len(text))
    return (text[:run.start()] + "<" * max(1, n) + text[run.end():])[:width].ljust(width, "<")


LINE_WIDTH = {2: 44, 3: 30}
CHUNK = 11


def _clean(text: str) -> str:
    text = text.upper().replace("«", "<<").replace("‹", "<").replace("く", "<")
    return re.sub(r"[^A-Z0-9<]", "", text)


def _cells(gray: np.ndarray, row: tuple[int, int, int, int], n: int) -> list[np.ndarray]:
    """OCR-B is fixed pitch: one image per character cell, with a blank gap to its right so that the
    recogniser's CTC decoding cannot merge repeated characters (`<<<`, `55`)."""
    x, y, cw, ch = row
    pitch = cw / (n - 0.3)
    top, bottom = max(0, y - 4), min(gray.shape[0], y + ch + 4)
    bg = int(np.median(gray[y:y + ch, x:x + cw]))
    cells = []
    for i in range(n):
        left, right = int(max(0, x + (i - 0.12) * pitch)), int(min(gray.shape[1], x + (i + 0.88) * pitch))
        cell = gray[top:bottom, left:right]
        if cell.size == 0:
            cell = np.full((bottom - top, max(1, int(pitch))), bg, np.uint8)
        cells.append(cv2.copyMakeBorder(cell, 0, 0, 0, int(pitch * 0.7), cv2.BORDER_CONSTANT, value=bg))
    return cells


def _rec(images: list[np.ndarray]) -> list[str]:
    results, _ = engine().text_rec([cv2.cvtColor(i, cv2.COLOR_GRAY2BGR) for i in images])
    return [_clean(text) for text, _ in results]


def _read_row(gray: np.ndarray, row: tuple[int, int, int, int], n: int) -> tuple[str, list[list[np.ndarray]], list[bool]]:
    """Chunks of eleven spaced cells recognised in one batch. Returns the text (each chunk fitted to
    its length), the cells per chunk and which chunks came back with a wrong length."""
    cells = _cells(gray, row, n)
    chunks = [cells[a:a + CHUNK] for a in range(0, n, CHUNK)]
    images = [np.hstack([c[:min(x.shape[0] for x in chunk)] for c in chunk]) for chunk in chunks]
    texts = _rec(images)
    exact = [len(t) == len(chunk) for t, chunk in zip(texts, chunks)]
    return "".join(_fit(t, len(chunk)) for t, chunk in zip(texts, chunks)), chunks, exact


def _read_rows(gray: np.ndarray) -> tuple[bool, list[str], mrz.Mrz | None]:
    rows = _rows(gray)
    if len(rows) < 2:
        return False, [], None
    found, raw = False, []
    # The MRZ is the bottom-most group of two or three rows of similar width.
    for count in (2, 3):
        if len(rows) < count:
            continue
        group = rows[-count:]
        widths = [r[2] for r in group]
        if min(widths) < 0.8 * max(widths):
            continue
        found = True
        # TD2 rows (36 characters) are markedly shorter than TD3 rows (44) at the same character size.
        widths_try = [30] if count == 3 else ([36] if max(widths) < 0.7 * gray.shape[1] else [44])
        for width in widths_try:
            reads = [_read_row(gray, row, width) for row in group]
            texts = [r[0] for r in reads]
            raw = raw or texts
            parsed = _parse(texts)
            if parsed is None and any(not all(r[2]) for r in reads):
                texts = _reread(reads, width, name_row=0 if count == 2 else 2)
                parsed = _parse(texts)
            if parsed is not None:
                return True, texts, parsed
    return found, raw, None


def _similar(a: np.ndarray, b: np.ndarray) -> float:
    """Normalised cross-correlation of two character cells at a common size."""
    a = cv2.resize(a, (24, 32)).astype(np.float32)
    b = cv2.resize(b, (24, 32)).astype(np.float32)
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm else 0.0


def _reread(reads: list[tuple[str, list[list[np.ndarray]], list[bool]]], width: int, name_row: int) -> list[str]:
    """Chunks of the wrong length, cell by cell. Filler cells are recognised by likeness to the last
    cell of the name line (a `<` on every real document); only the others go to the recogniser."""
    template = reads[name_row][1][-1][-1]
    pending: list[tuple[int, int, np.ndarray]] = []
    texts = [list(text) for text, _, _ in reads]
    for line, (_, chunks, exact) in enumerate(reads):
        for index, (chunk, ok) in enumerate(zip(chunks, exact)):
            if ok:
                continue
            for offset, cell in enumerate(chunk):
                position = index * CHUNK + offset
                if _similar(cell, template) > 0.8:
                    texts[line][position] = "<"
                else:
                    pending.append((line, position, cell))
    if pending:
        # The remaining cells as one spaced strip (context helps the recogniser); cell by cell only
        # if the strip's length disagrees.
        strip = np.hstack([cell[:min(c.shape[0] for _, _, c in pending)] for _, _, cell in pending])
        joined = _rec([strip])[0]
        singles = list(joined) if len(joined) == len(pending) else [t[:1] or "<" for t in _rec([c for _, _, c in pending])]
        for (line, position, _), char in zip(pending, singles):
            texts[line][position] = char
    return ["".join(t) for t in texts]


def _clean_name(texts: list[str]) -> list[str]:
    """A name field holds `SURNAME<<GIVEN<NAMES` then fillers only: a run of three fillers ends it,
    so letters the recogniser sees in the filler tail are dropped."""
    row, start = (2, 0) if len(texts) == 3 else (0, 5)
    if len(texts) <= row:
        return texts
    line = texts[row]
    end = line.find("<<<", start)
    if end >= 0:
        line = line[:end] + "<" * (len(line) - end)
    return [*texts[:row], line, *texts[row + 1:]]


def _parse(texts: list[str]) -> mrz.Mrz | None:
    texts = _clean_name(texts)
    try:
        parsed = mrz.parse(texts)
    except mrz.MrzError:
        return None
    return parsed if parsed.valid else None


def read_mrz(image: np.ndarray) -> MrzReading:
    """The MRZ of a document photo (RGB or grayscale array), trying four orientations."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = WORK_WIDTH / max(gray.shape)
    if scale < 1 or scale > 1.6:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    any_found, raw = False, []
    for k in (0, 2, 1, 3):
        turned = np.ascontiguousarray(np.rot90(gray, k))
        found, texts, parsed = _read_rows(_deskew(turned))
        if parsed is not None:
            return MrzReading(parsed, True, texts, orientation=90 * k)
        any_found = any_found or found
        raw = raw or texts
        if found:
            break  # rows were found upright: turning the page cannot help, and OCR is costly
    return MrzReading(None, any_found, raw)
