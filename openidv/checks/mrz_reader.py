"""Reading the MRZ from a photo.

OpenCV finds the MRZ band (two or three long, evenly spaced rows of equal width) on a downscaled,
levelled copy of the card; only those row strips go to the recogniser, rapidocr's PP-OCRv4 text
recognition model (shipped inside the `rapidocr-onnxruntime` wheel, Apache-2.0, nothing
downloaded), the session the visual zone reads with (`MrzLineRecogniser`; any `LineRecogniser` of
`checks.protocols` may replace it: `read_mrz(image, recogniser=...)`). OCR-B is fixed pitch, so each character
cell's place in the strip is known: the recogniser's per-frame probabilities are read cell by cell,
over the MRZ alphabet only and the characters each field allows (digits in dates, letters in names),
which also settles runs of `<` that plain CTC decoding would merge. The text then goes to our own
ICAO 9303 parser. A reading is returned only when every check digit agrees and every character no
check digit covers (names, codes) was read confidently; a check-digit failure may be repaired by
exchanging one doubtful character, and only when exactly one exchange makes every check agree.
Otherwise the MRZ is reported as unreadable: a misread shows up as "no MRZ", never as a wrong but
valid one. A band whose check digits disagree is told apart: `check_digits_doubtful` when a doubtful
character could account for a failing check (one plausible exchange makes that check agree), and
`check_digits_near_miss` when one character exchanged for a look-alike (`LOOKALIKES`: `M`/`V`,
`O`/`0`, `8`/`3` ...) makes every check digit agree, however sure the recogniser was: either way the
disagreement may be the recogniser's and the photo should be taken again. `check_digits_disagree`
only when neither accounts for it (the printed digits themselves disagree). The page
is turned (180°, then 90°/270°) only where the band's position says so.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np

from openidv.checks import icao_countries, mrz, quality
from openidv.checks.ocr import recognition_session
from openidv.checks.protocols import Image, LineRecogniser, Probabilities

WORK_WIDTH = 1000
ALPHABET = "<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FILLER_LOOKALIKES = ("<", "〈", "＜", "«", "‹")
LINE_WIDTH = {2: 44, 3: 30}
STRIP_HEIGHT = 32  # the recogniser's input height (see `_strip`)
FRAME = 8  # input pixels per output frame of PP-OCRv4's recogniser
# Blank between character cells (in pitches) and margin above and below a row (in row heights):
# the recogniser's cost grows with the strip's width.
GAP, PAD = 0.3, 0.3
# Largest tolerated ratio of an undetectable alternative's share to the chosen character's (`_risk`).
RISK_MAX = 0.5
# A repair may exchange a character read less sure than this for an alternative at least ALT_MIN sure.
REPAIR_BELOW, ALT_MIN = 0.9, 0.05
DOUBT = 0.4
# Characters an OCR engine confuses even when sure of itself (OCR-B's look-alikes: letters with letters,
# letters with digits, digits with digits). A single such exchange that makes every check digit agree
# means the disagreement may be a misread: a retake, never a tampering verdict.
LOOKALIKE_PAIRS = ("0O", "0D", "0Q", "0U", "OD", "OQ", "OU", "DQ", "UV", "VY", "MN", "MW", "MV", "NW", "NH", "HM",
                   "1I", "1L", "1T", "17", "IL", "IT", "IJ", "7T", "2Z", "5S", "56", "6G", "68", "8B", "83", "3B",
                   "89", "08", "4A", "EF", "BE", "BP", "PR", "RB", "FP", "CG", "CO", "GO", "KX", "XY", "TY", "KR")
LOOKALIKES = {c: "".join(sorted({p[1 - p.index(c)] for p in LOOKALIKE_PAIRS if c in p}))
              for c in {ch for p in LOOKALIKE_PAIRS for ch in p}}
# A reading this sure on average has the right pitch and orientation: other ways are not tried.
SURE = 0.8

_LOCK = threading.Lock()
_RECOGNISER: MrzLineRecogniser | None = None


class MrzLineRecogniser:
    """PP-OCRv4 recognition as per-frame probabilities over the MRZ alphabet (a `LineRecogniser`)."""

    def __init__(self) -> None:
        # The visual zone reads with the same model: one session serves both (onnxruntime's run is thread-safe).
        self.session = recognition_session()
        chars = ["blank", *self.session.get_modelmeta().custom_metadata_map["character"].splitlines(), " "]
        index = {c: i for i, c in enumerate(chars)}
        self.columns = [index[c] for c in ALPHABET]
        self.fillers = [index[c] for c in FILLER_LOOKALIKES if c in index]
        self.input = self.session.get_inputs()[0].name

    def __call__(self, strips: list[Image], /) -> list[Probabilities]:
        """Grayscale strips STRIP_HEIGHT high -> (frames, len(ALPHABET)) probabilities each."""
        width = max(s.shape[1] for s in strips)
        width += -width % FRAME
        batch = np.zeros((len(strips), 3, STRIP_HEIGHT, width), np.float32)
        for i, s in enumerate(strips):
            batch[i, :, :, :s.shape[1]] = s.astype(np.float32) / 127.5 - 1.0
        probs: Probabilities = self.session.run(None, {self.input: batch})[0]
        out = []
        for i, s in enumerate(strips):
            p = probs[i, : -(-s.shape[1] // FRAME)]
            chosen = p[:, self.columns]
            chosen[:, 0] = p[:, self.fillers].max(axis=1)
            out.append(chosen)
        return out


def shared_recogniser() -> MrzLineRecogniser:
    """The process's recogniser, loaded on first use."""
    global _RECOGNISER
    with _LOCK:
        if _RECOGNISER is None:
            _RECOGNISER = MrzLineRecogniser()
    return _RECOGNISER


# Why a located band gave no MRZ. Only CHECK_DIGITS_DISAGREE says the printed check digits disagree
# (no doubtful character and no look-alike could explain it); the others (`characters_unsure`, `malformed`,
# `ambiguous_repair`, `check_digits_doubtful`, `check_digits_near_miss`, `dates_invalid`) say the band could not be read with
# certainty, which calls for a new photo, not a tampering verdict.
CHECK_DIGITS_DISAGREE = "check_digits_disagree"


@dataclass
class MrzReading:
    mrz: mrz.Mrz | None
    found: bool  # rows that look like an MRZ were located
    raw: list[str]
    orientation: int = 0
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)  # the raw lines' failing check digits

    @property
    def mismatch_certain(self) -> bool:
        """Rows were read without doubt and their check digits disagree: the document's own fault."""
        return self.mrz is None and self.found and self.reasons == [CHECK_DIGITS_DISAGREE]


# ---------------------------------------------------------------- locating the band

Row = tuple[int, int, int, int]  # x, y, w, h


def _text_mask(gray: Image) -> Image:
    """Dark strokes on a lighter ground, joined along rows."""
    w = gray.shape[1]
    blackhat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 7)))
    _, binary = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask: np.ndarray = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, w // 45), 3)))
    return mask


def _rows(mask: Image) -> list[Row]:
    h, w = mask.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = sorted((b for b in map(cv2.boundingRect, contours) if 8 < b[3] < h * 0.12), key=lambda b: b[0])
    # A row may come apart where two glyphs stand a little wider (`L<`): pieces side by side on one
    # line, less than a character height apart, are one row.
    lines: list[list[int]] = []
    for x, y, cw, ch in boxes:
        for line in lines:
            overlap = min(line[1] + line[3], y + ch) - max(line[1], y)
            if overlap >= 0.6 * min(line[3], ch) and x - (line[0] + line[2]) <= 1.2 * max(line[3], ch):
                top, bottom = min(line[1], y), max(line[1] + line[3], y + ch)
                line[1:] = [top, max(line[0] + line[2], x + cw) - line[0], bottom - top]
                break
        else:
            lines.append([x, y, cw, ch])
    rows = [(x, y, cw, ch) for x, y, cw, ch in lines if cw > w * 0.45 and ch < h * 0.12 and cw / ch > 12]
    return sorted(rows, key=lambda r: r[1])


def _groups(rows: list[Row]) -> list[list[Row]]:
    """Runs of two or three rows of equal width and height, evenly spaced, as an MRZ is printed;
    three-row groups (TD1) first, then from the bottom of the page up."""
    found = []
    for count in (3, 2):
        for i in range(len(rows) - count + 1):
            group = rows[i:i + count]
            widths, heights = [r[2] for r in group], [r[3] for r in group]
            if min(widths) < 0.85 * max(widths) or min(heights) < 0.6 * max(heights):
                continue
            if max(abs(a[0] - b[0]) for a, b in pairwise(group)) > 0.05 * max(widths):
                continue
            steps = [b[1] - a[1] for a, b in pairwise(group)]
            if not all(0.9 * max(heights) <= s <= 2.6 * max(heights) for s in steps):
                continue
            if count == 3 and min(steps) < 0.75 * max(steps):
                continue
            found.append(group)
    ranked: list[list[Row]] = []
    taken: set[Row] = set()
    for group in sorted(found, key=lambda g: (-len(g), -g[-1][1])):
        if not taken & set(group):  # two rows of a three-row band are not another band
            ranked.append(group)
            taken |= set(group)
    return ranked


def _level(gray: Image, mask: Image) -> Image:
    """Level the text rows: the median angle of the long row blobs."""
    h, w = gray.shape
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
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
    level: np.ndarray = cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=int(np.median(gray)))
    return level


# ---------------------------------------------------------------- reading the rows

# What each position may hold: A letters or filler, N digits, C check digit (digit or filler),
# S sex, X anything. Names and codes (A) carry no check digit.
# K marks a state code (letters, chosen as a whole among the codes ICAO knows).
LAYOUT = {
    "TD3": ("AAKKK" + "A" * 39, "XXXXXXXXXC" + "KKK" + "NNNNNNC" + "S" + "NNNNNNC" + "X" * 14 + "CC"),
    "TD2": ("AAKKK" + "A" * 31, "XXXXXXXXXC" + "KKK" + "NNNNNNC" + "S" + "NNNNNNC" + "X" * 7 + "C"),
    "TD1": ("AAKKK" + "XXXXXXXXXC" + "X" * 15, "NNNNNNC" + "S" + "NNNNNNC" + "KKK" + "X" * 11 + "C", "A" * 30),
}
_CODES = sorted({c.ljust(3, "<") for c in [*icao_countries.ISO3, *icao_countries.ICAO_SPECIAL]})
_CODE_INDEX = np.array([[ALPHABET.index(ch) for ch in code] for code in _CODES])
_ALLOWED = {
    "A": "<ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "N": "0123456789",
    "C": "<0123456789",
    "S": "<MFX",
    "X": ALPHABET,
}
_ALLOWED["K"] = _ALLOWED["A"]
# Look-alikes a position's type settles (as the parser's own field-aware corrections do): a `0` read
# where only letters may stand counts for `O`, an `O` in a date for `0`.
_FOLD = {
    "A": {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"},
    "N": {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2", "S": "5", "G": "6", "B": "8"},
    "S": {},
    "X": {},
}
_FOLD["K"] = _FOLD["A"]
_FOLD["C"] = _FOLD["N"]


def _projection(kind: str) -> Probabilities:
    """(alphabet, alphabet) matrix moving each read character's mass to what the position allows."""
    m = np.zeros((len(ALPHABET), len(ALPHABET)), np.float32)
    for i, c in enumerate(ALPHABET):
        target = _FOLD[kind].get(c, c)
        if target in _ALLOWED[kind]:
            m[i, ALPHABET.index(target)] = 1.0
    return m


_PROJECT = {k: _projection(k) for k in _ALLOWED}


def _strip(gray: Image, row: Row, n: int, gap: float) -> tuple[Image, list[int]]:
    """The row as a STRIP_HEIGHT-high strip whose characters sit `gap` pitches apart (a blank
    column keeps CTC from merging repeats), with the x where each cell starts (and the end)."""
    x, y, cw, ch = row
    pitch = cw / (n - 0.3)
    pad = max(3, int(PAD * ch))
    top, bottom = max(0, y - pad), min(gray.shape[0], y + ch + pad)
    band = gray[top:bottom]
    lo, hi = np.percentile(band[:, x:x + cw], (2, 98))
    band = np.clip((band.astype(np.float32) - lo) * (255.0 / max(hi - lo, 1.0)), 0, 255).astype(np.uint8)
    scale = STRIP_HEIGHT / band.shape[0]
    cell_w = max(4, int(round(pitch * scale)))
    gap_w = int(round(pitch * scale * gap))
    out_w = n * (cell_w + gap_w) + gap_w
    strip = np.full((STRIP_HEIGHT, out_w), 255, np.uint8)
    starts = []
    for i in range(n):
        left = x + (i - 0.15) * pitch
        src = band[:, max(0, int(left)):max(0, int(left + pitch)) + 1]
        at = gap_w + i * (cell_w + gap_w)
        starts.append(at)
        if src.size:
            strip[:, at:at + cell_w] = cv2.resize(src, (cell_w, STRIP_HEIGHT), interpolation=cv2.INTER_AREA)
    starts.append(out_w)
    return strip, starts


def _cell_probs(frames: Probabilities, starts: list[int]) -> Probabilities:
    """Per cell, each character's probability mass over the frames centred in that cell (and the
    gap before the next one): a character's spike may fall across two frames."""
    centres = np.arange(len(frames)) * FRAME + FRAME / 2
    cells = np.zeros((len(starts) - 1, len(ALPHABET)), np.float32)
    for i in range(len(starts) - 1):
        sel = (centres >= starts[i] - 1) & (centres < starts[i + 1] - 1)
        if sel.any():
            cells[i] = frames[sel].sum(axis=0)
    return cells


@dataclass
class _Read:
    fmt: str
    probs: list[Probabilities]  # per line, (cells, alphabet) masked by the layout

    @property
    def sureness(self) -> float:
        """Mean share of the chosen characters: high when pitch and orientation are right."""
        return float(np.mean(np.concatenate([p.max(axis=1) for p in self.probs])))

    def text(self) -> list[str]:
        return ["".join(ALPHABET[i] for i in p.argmax(axis=1)) for p in self.probs]


def _read_group(gray: Image, group: list[Row], n: int, recogniser: LineRecogniser | None, *, flipped: bool = False) -> _Read:
    fmt = {30: "TD1", 36: "TD2", 44: "TD3"}[n]
    if flipped:  # the page turned half a circle: the rows bottom-up, measured from the other corner
        height, width = gray.shape
        gray = np.ascontiguousarray(gray[::-1, ::-1])
        group = [(width - x - w, height - y - h, w, h) for x, y, w, h in reversed(group)]
    strips = [_strip(gray, row, n, GAP) for row in group]
    frames = (recogniser or shared_recogniser())([s for s, _ in strips])
    probs = []
    for (_, starts), f, layout in zip(strips, frames, LAYOUT[fmt], strict=True):
        raw = _cell_probs(f, starts)
        cells = np.stack([raw[i] @ _PROJECT[k] for i, k in enumerate(layout)])
        # Shares among the characters the position allows; a cell with next to no mass stays unsure.
        probs.append(cells / np.maximum(cells.sum(axis=1, keepdims=True), 0.3))
    return _Read(fmt, probs)


def _parse(lines: list[str]) -> mrz.Mrz | None:
    """The MRZ these exact lines make, if every check digit agrees. The parser's own repair of a
    document number (one look-alike swapped, whatever the recogniser's confidence) is not taken: a
    sure misread elsewhere (`5` read `6`) can make a swapped `8`/`B` agree, a wrong but valid number.
    The reader repairs only doubtful characters (`_exchanges`)."""
    try:
        parsed = mrz.parse(lines)
    except mrz.MrzError:
        return None
    return parsed if parsed.valid and parsed.lines == lines else None


_VALUES = np.array([mrz.char_value(c) % 10 for c in ALPHABET])
# Per character, the others a check digit cannot tell from it (values equal modulo 10: `<`, `0`, `A`,
# `K`, `U` weigh alike) and, for positions no check digit covers, every other character.
_BLIND = {
    "checked": np.array([[a != b and _VALUES[a] == _VALUES[b] for b in range(len(ALPHABET))] for a in range(len(ALPHABET))]),
    "unchecked": ~np.eye(len(ALPHABET), dtype=bool),
}


def _codes(read: _Read, lines: list[str]) -> tuple[list[str], float]:
    """Each state code replaced by the known code the cells favour most (product of shares), and
    the worst ratio of a runner-up code's likelihood to the chosen one's."""
    worst = 0.0
    lines = [*lines]
    for li, layout in enumerate(LAYOUT[read.fmt]):
        start = layout.find("K")
        if start < 0:
            continue
        cells = read.probs[li][start:start + 3]
        scores = cells[0][_CODE_INDEX[:, 0]] * cells[1][_CODE_INDEX[:, 1]] * cells[2][_CODE_INDEX[:, 2]]
        first, second = np.argsort(scores)[::-1][:2]
        worst = max(worst, float(scores[second]) / max(float(scores[first]), 1e-9))
        lines[li] = lines[li][:start] + _CODES[first] + lines[li][start + 3:]
    return lines, worst


def _risk(read: _Read, lines: list[str]) -> float:
    """How likely the reading is wrong in a way no check digit would catch: the largest ratio, over
    positions, of the alternatives' share that the check digits are blind to over the chosen one's."""
    worst = 0.0
    for p, line, layout in zip(read.probs, lines, LAYOUT[read.fmt], strict=True):
        for i, kind in enumerate(layout):
            if kind == "K":
                continue  # weighed as whole codes by `_codes`
            chosen = ALPHABET.index(line[i])
            blind = _BLIND["unchecked" if kind in "AS" else "checked"][chosen]
            worst = max(worst, float(p[i][blind].sum()) / max(float(p[i][chosen]), 1e-6))
    return worst


# Each check digit's field (line, start, end): two doubtful characters in one field can offset each
# other (`NN` read `22` at weights 7 and 3 passes both the field's and the composite check digit).
_FIELDS = {
    "TD3": [(1, 0, 10), (1, 13, 20), (1, 21, 28), (1, 28, 43)],
    "TD2": [(1, 0, 10), (1, 13, 20), (1, 21, 28), (1, 28, 35)],
    "TD1": [(0, 5, 15), (0, 15, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)],
}


def _doubts(read: _Read, lines: list[str]) -> int:
    """The most doubtful characters in one check-digit field: a runner-up at least DOUBT as likely."""
    most = 0
    for line, start, end in _FIELDS[read.fmt]:
        p = read.probs[line][start:end]
        chosen = np.array([ALPHABET.index(c) for c in lines[line][start:end]])
        mine = p[np.arange(len(chosen)), chosen]
        other = p.copy()
        other[np.arange(len(chosen)), chosen] = 0
        most = max(most, int((other.max(axis=1) >= DOUBT * np.maximum(mine, 1e-6)).sum()))
    return most


def _well_formed(lines: list[str], fmt: str) -> bool:
    """Fillers inside a document number (`AB<12`) are a misread the check digit may not see."""
    row, start = mrz.NUMBER_AT[fmt]
    return "<" not in lines[row][start:start + 9].rstrip("<")


def _exchanges(read: _Read, lines: list[str]) -> Iterator[list[str]]:
    """Each plausible one-character exchange: a doubtful character (share under REPAIR_BELOW) in a
    position a check digit covers, for an alternative at least ALT_MIN sure."""
    for li, p in enumerate(read.probs):
        layout = LAYOUT[read.fmt][li]
        best = p.max(axis=1)
        for i in np.argsort(best):
            if best[i] >= REPAIR_BELOW or layout[i] not in "NCX":
                continue
            for alt in np.nonzero(p[i] >= ALT_MIN)[0]:
                c = ALPHABET[alt]
                if c != lines[li][i]:
                    yield [*lines[:li], lines[li][:i] + c + lines[li][i + 1:], *lines[li + 1:]]


def near_misses(fmt: str, lines: list[str]) -> Iterator[list[str]]:
    """Each one-character exchange for a look-alike (`LOOKALIKES`) the position allows, in the
    positions a check digit covers."""
    for li, layout in enumerate(LAYOUT[fmt]):
        for i, kind in enumerate(layout):
            if kind not in "NCX":
                continue
            for c in LOOKALIKES.get(lines[li][i], ""):
                if c in _ALLOWED[kind]:
                    yield [*lines[:li], lines[li][:i] + c + lines[li][i + 1:], *lines[li + 1:]]


def _parse_any(lines: list[str]) -> mrz.Mrz | None:
    try:
        return mrz.parse(lines)
    except mrz.MrzError:
        return None


def _why_invalid(read: _Read, lines: list[str]) -> str:
    """Why rows that parse no valid MRZ (and that no unique exchange repairs) stay unread. The check
    digits are said to disagree only when nothing explains it: the failing field checks (or the
    composite alone, when every field agrees) are each tried with every plausible exchange, and if
    one exchange makes any of them agree the recogniser may be at fault (`check_digits_doubtful`);
    so it may when one look-alike exchange makes every check agree (`check_digits_near_miss`)."""
    parsed = _parse_any(lines)
    if parsed is None:
        return "malformed"
    failing = parsed.failed_checks
    if not failing:
        return "dates_invalid"  # every check digit agrees on a date that does not exist: a misread is likelier
    targets = [n for n in failing if n != "composite"] or failing
    for candidate in _exchanges(read, lines):
        other = _parse_any(candidate)
        if other is not None and any(other.checks.get(n) for n in targets):
            return "check_digits_doubtful"
    if any(_parse(candidate) is not None for candidate in near_misses(read.fmt, lines)):
        return "check_digits_near_miss"
    return CHECK_DIGITS_DISAGREE


def _decide(read: _Read) -> tuple[mrz.Mrz | None, list[str], str]:
    """The MRZ if the reading is certain, else None with the raw lines and why."""
    lines, code_risk = _codes(read, _name_tail(read.text(), read.fmt))
    if max(code_risk, _risk(read, lines)) > RISK_MAX or _doubts(read, lines) > 1:
        return None, lines, "characters_unsure"
    parsed = _parse(lines)
    if parsed is not None:
        return (parsed, lines, "") if _well_formed(lines, read.fmt) else (None, lines, "malformed")
    # One exchange of a doubtful character for a plausible alternative, if exactly one works.
    found = {}
    for candidate in _exchanges(read, lines):
        parsed = _parse(candidate)
        if parsed is not None and _well_formed(candidate, read.fmt) and _risk(read, candidate) <= RISK_MAX:
            found["\n".join(parsed.lines)] = (parsed, candidate)
    if len(found) == 1:
        parsed, candidate = next(iter(found.values()))
        return parsed, candidate, ""
    return None, lines, _why_invalid(read, lines) if not found else "ambiguous_repair"


def _name_tail(lines: list[str], fmt: str) -> list[str]:
    """A name field holds `SURNAME<<GIVEN<NAMES` then fillers only: a run of three fillers ends it."""
    row, start = (2, 0) if fmt == "TD1" else (0, 5)
    line = lines[row]
    end = line.find("<<<", start)
    if end >= 0:
        line = line[:end] + "<" * (len(line) - end)
    return [*lines[:row], line, *lines[row + 1:]]


def _prepare(image: Image) -> Image:
    """Grayscale, the card cut out and squared up when its edges show, WORK_WIDTH wide."""
    gray: np.ndarray = quality.gray_of(image)
    corners = quality.card_corners(gray)
    if corners is not None:
        gray = quality.crop_card(gray, corners)
    scale = WORK_WIDTH / max(gray.shape)
    if abs(scale - 1) > 0.05:
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    return gray


def read_mrz(image: Image, *, recogniser: LineRecogniser | None = None) -> MrzReading:
    """The MRZ of a document photo (RGB or grayscale array). The band is looked for upright, then
    sideways; a band is read the way its position suggests, then turned, then (two-row bands) at
    TD2's 36 characters, stopping once a reading is sure of its characters (a readable band whose
    check digits disagree is not retried: turning it cannot help). The rows are read by `recogniser`
    (by default the process's PP-OCRv4 `MrzLineRecogniser`, loaded when a band is first found)."""
    base = _prepare(image)
    raw: list[str] = []
    reason = "mrz_not_found"
    found = False
    best_seen = 0.0  # the sureness of the reading that `raw` and `reason` come from
    for k in (0, 1):
        turned = np.ascontiguousarray(np.rot90(base, k)) if k else base
        gray = _level(turned, _text_mask(turned))
        for group in _groups(_rows(_text_mask(gray)))[:2]:
            found = True
            # An MRZ sits in the lower part of its page: a band in the upper half is read turned first.
            upside_down = (group[0][1] + group[-1][1] + group[-1][3]) / 2 < gray.shape[0] * 0.5
            widths = (30,) if len(group) == 3 else (44, 36)
            best = 0.0
            for n in widths:
                for flipped in (upside_down, not upside_down):
                    read = _read_group(gray, group, n, recogniser, flipped=flipped)
                    parsed, lines, why = _decide(read)
                    if parsed is not None:
                        orientation = (90 * k + (180 if flipped else 0)) % 360
                        return MrzReading(parsed, True, lines, orientation=orientation, confidence=read.sureness)
                    best = max(best, read.sureness)
                    if read.sureness > best_seen or not raw:  # the surest reading of all says why none was taken
                        best_seen, raw, reason = read.sureness, lines, why
                    if read.sureness >= SURE:
                        break
                if best >= SURE:
                    break
            if best >= SURE:
                break  # the band was read plainly and its check digits disagree: no other band will do
        if found:
            break  # rows were found this way up: turning the page a quarter cannot help
    parsed = _parse_any(raw) if raw else None
    return MrzReading(None, found, raw, confidence=best_seen, reasons=[reason],
                      failed_checks=parsed.failed_checks if parsed is not None else [])
