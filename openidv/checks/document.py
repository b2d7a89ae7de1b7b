"""Proof-of-address and other papers: intake checks (type by content, size, PDF safety), text (the PDF's
text layer first with pypdf, else pages rendered by pypdfium2 and read by rapidocr; images read by
rapidocr), the document's type by its words, the extracted name, address and dates, and the
`document_*` checks (COMPAT.md §7). Pure: bytes and settings in, checks out. The OCR is a `PageReader`
(`checks.protocols`), rapidocr's by default; `evaluate(..., ocr=...)` takes another.

OCR drops most spaces ("1234MainStreet"), so patterns allow missing spaces and comparisons run on
compacted text (letters and digits only).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pypdfium2
from anyascii import anyascii
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from rapidfuzz import fuzz

from openidv.checks import quality
from openidv.checks.ocr import RAPIDOCR
from openidv.checks.protocols import Image as Pixels, PageReader

PDF = "application/pdf"
MAX_PAGES = 20  # accepted at intake
READ_PAGES = 5  # pages whose text is read
OCR_PAGES = 2  # pages rendered and read by OCR when there is no text layer
MIN_TEXT = 40  # letters and digits below which a page set counts as having no text layer
MAX_PDF_NODES = 50_000  # objects walked when looking for active content
DEFAULT_RECENCY_DAYS = 90
TYPES = ("standard_utility_bill", "bank_statement", "lease_agreement", "tax_form", "pay_stub")
# Producers/creators that edit existing PDFs (a change saved by one of them after creation is a tamper signal).
EDITORS = ("pdf-xchange editor", "sejda", "pdfescape", "ilovepdf", "smallpdf", "foxit phantompdf", "foxit pdf editor", "nitro",
           "acrobat pro", "adobe acrobat", "pdfelement", "pdf candy", "pdffiller", "dochub", "inkscape", "libreoffice draw",
           "master pdf editor", "pdf expert", "preview")


# pypdf logs every repair it makes on a broken upload; those are the uploader's problem, not the operator's.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class DocumentRejected(ValueError):
    """The upload is refused at intake; the message is safe to show."""


# ---------------------------------------------------------------- intake


def sniff(data: bytes) -> str | None:
    """Content type by magic bytes: the image types of `quality.sniff`, and PDF."""
    if data[:5] == b"%PDF-" or (b"%PDF-" in data[:1024] and not quality.sniff(data)):
        return PDF
    return quality.sniff(data)


def check_upload(data: bytes, *, allow_pdf: bool = True) -> str:
    """The file's type after checking size, content and (for PDFs) safety. Raises DocumentRejected."""
    if len(data) < quality.MIN_BYTES:
        raise DocumentRejected(f"file is {len(data)} bytes; at least {quality.MIN_BYTES} are required")
    if len(data) > quality.MAX_BYTES:
        raise DocumentRejected(f"file is larger than {quality.MAX_BYTES // (1024 * 1024)} MB")
    mime = sniff(data)
    if mime == PDF and allow_pdf:
        inspect_pdf(data)
        return mime
    if mime is None or mime == PDF:
        raise DocumentRejected("file is not a JPEG, PNG, WebP or HEIC image" + (" or a PDF" if allow_pdf else ""))
    _check_image_header(data)
    return mime


def _check_image_header(data: bytes) -> None:
    """Pixel limits from the header alone, so a decompression bomb is refused before any decoding."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError:
        raise DocumentRejected("image is too large (decompression bomb)") from None
    except Exception:  # noqa: BLE001 - any decoder failure means the upload is not a usable image
        raise DocumentRejected("image could not be decoded") from None
    if width * height > quality.MAX_PIXELS or max(width, height) > quality.MAX_SIDE:
        raise DocumentRejected(f"image of {width}x{height} pixels is too large")


@dataclass
class PdfFacts:
    pages: int
    producer: str = ""
    creator: str = ""
    created: datetime | None = None
    modified: datetime | None = None
    revisions: int = 1  # 1 + incremental updates
    signed: bool = False


_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?")


def _pdf_date(value: Any) -> datetime | None:
    match = _PDF_DATE.match(str(value or ""))
    if not match:
        return None
    parts = [int(p) if p else d for p, d in zip(match.groups(), (0, 1, 1, 0, 0, 0), strict=True)]
    try:
        return datetime(*parts)  # type: ignore[arg-type]
    except ValueError:
        return None


def _active_content(reader: Any) -> str | None:
    """The first JavaScript, Launch or non-GoTo open action reachable from the trailer, if any."""
    stack, seen, walked = [reader.trailer], set(), 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        walked += 1
        if walked > MAX_PDF_NODES:
            return "too many objects to inspect"
        if isinstance(item, DictionaryObject):
            if "/JS" in item or "/JavaScript" in item:
                return "JavaScript"
            kind = item.get("/S")
            if kind in ("/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"):
                return str(kind).lstrip("/")
            if "/OpenAction" in item:
                action = item["/OpenAction"].get_object() if isinstance(item["/OpenAction"], IndirectObject) else item["/OpenAction"]
                if isinstance(action, DictionaryObject) and action.get("/S") != NameObject("/GoTo"):
                    return f"OpenAction {action.get('/S', '')}".strip()
            stack.extend(v for k, v in item.items() if k not in ("/Parent", "/P"))
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _open_pdf(data: bytes) -> Any:
    """A pypdf reader; a file encrypted with an owner password only (print or copy restrictions, common on
    bank statements) opens with the empty user password, one that needs a password to open is refused."""
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentRejected("password-protected PDFs are not accepted; upload the file without a password")
    return reader


_RAW_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch)[\s/<(\[]")


def inspect_pdf(data: bytes) -> PdfFacts:
    """Open a PDF and refuse what must not be processed: malformed, password-protected, active content, too many pages."""
    raw = _RAW_ACTIVE.search(data)  # also objects no reference reaches, and broken files a viewer may still open
    if raw:
        raise DocumentRejected(f"PDFs with active content are not accepted ({raw.group(1).decode()})")
    try:
        reader = _open_pdf(data)
        pages = len(reader.pages)
        active = _active_content(reader)
        info: Any = reader.metadata or {}
        facts = PdfFacts(pages=pages, producer=str(info.get("/Producer") or ""), creator=str(info.get("/Creator") or ""),
                         created=_pdf_date(info.get("/CreationDate")), modified=_pdf_date(info.get("/ModDate")))
    except DocumentRejected:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many types on broken files
        raise DocumentRejected("the PDF could not be read (malformed file)") from None
    if active:
        raise DocumentRejected(f"PDFs with active content are not accepted ({active})")
    if pages == 0:
        raise DocumentRejected("the PDF has no pages")
    if pages > MAX_PAGES:
        raise DocumentRejected(f"the PDF has {pages} pages; at most {MAX_PAGES} are accepted")
    linearized = b"/Linearized" in data[:2048]
    facts.revisions = max(1, data.count(b"%%EOF") - (1 if linearized else 0))
    facts.signed = b"/ByteRange" in data
    return facts


# ---------------------------------------------------------------- text


@dataclass
class Run:
    text: str
    font: str
    x: float
    y: float
    size: float


@dataclass
class Page:
    number: int
    lines: list[str]
    runs: list[Run] = field(default_factory=list)


@dataclass
class Reading:
    pages: list[Page]
    source: str  # text_layer | ocr | none
    facts: PdfFacts | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(line for page in self.pages for line in page.lines)


def _text_layer(data: bytes) -> list[Page]:
    reader = _open_pdf(data)
    pages = []
    for number, page in enumerate(reader.pages[:READ_PAGES], start=1):
        runs: list[Run] = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: Any, runs: list[Run] = runs) -> None:
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                name = str((font or {}).get("/BaseFont", "")) if hasattr(font, "get") else ""
                runs.append(Run(text, name.lstrip("/"), float(x), float(y), float(size or 0) * abs(float(tm[3] or 1))))

        text = page.extract_text(visitor_text=visit)
        pages.append(Page(number, [line.strip() for line in text.splitlines() if line.strip()], runs))
    return pages


def _ocr_lines(rgb: Pixels, ocr: PageReader) -> list[str]:
    """Full-page OCR (detection + recognition), boxes joined into lines top to bottom."""
    boxes: list[tuple[float, float, float, str]] = []  # (centre y, height, left x, text)
    for corners, text, score in ocr.read_page(rgb):
        if score < 0.5:
            continue
        ys = [p[1] for p in corners]
        boxes.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(p[0] for p in corners), text))
    boxes.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in boxes:
        if lines and abs(box[0] - lines[-1][0][0]) < 0.5 * max(box[1], lines[-1][0][1]):
            lines[-1].append(box)
        else:
            lines.append([box])
    return [" ".join(b[3] for b in sorted(line, key=lambda b: b[2])) for line in lines]


def _rendered(data: bytes, ocr: PageReader) -> list[Page]:
    doc = pypdfium2.PdfDocument(data)
    try:
        pages = []
        for index in range(min(len(doc), OCR_PAGES)):
            page = doc[index]
            width, height = page.get_size()
            scale = min(1.5, 1800 / max(width, height, 1))
            image = page.render(scale=scale).to_pil().convert("RGB")
            pages.append(Page(index + 1, _ocr_lines(np.asarray(image), ocr)))
        return pages
    finally:
        doc.close()


def _alnum(pages: list[Page]) -> int:
    return sum(ch.isalnum() for page in pages for line in page.lines for ch in line)


def read(data: bytes, mime: str, *, ocr: PageReader = RAPIDOCR) -> Reading:
    """The document's text. Never raises: an unreadable file gives a Reading with `error` set."""
    try:
        if mime == PDF:
            facts = inspect_pdf(data)
            pages = _text_layer(data)
            if _alnum(pages) >= MIN_TEXT:
                return Reading(pages, "text_layer", facts)
            return Reading(_rendered(data, ocr), "ocr", facts)
        decoded = quality.decode(data, max_side=1800)
        return Reading([Page(1, _ocr_lines(decoded.rgb, ocr))], "ocr")
    except (DocumentRejected, quality.ImageRejected) as exc:
        return Reading([], "none", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken file fails a check; it never crashes the job
        return Reading([], "none", error=f"unreadable file ({type(exc).__name__})")


# ---------------------------------------------------------------- type


_KEYWORDS: dict[str, tuple[str, ...]] = {
    "standard_utility_bill": ("utility", "electric", "kwh", "gas", "water", "sewer", "meter", "service address", "amount due",
                              "billing period", "due date", "energy", "internet", "broadband", "bill date"),
    "bank_statement": ("bank", "statement", "opening balance", "closing balance", "balance", "deposits", "withdrawals",
                       "transactions", "routing", "iban", "checking", "savings", "statement period", "fdic"),
    "lease_agreement": ("lease", "landlord", "tenant", "premises", "rent", "security deposit", "agreement", "term of",
                        "lessor", "lessee"),
    "tax_form": ("tax", "irs", "form w-2", "1099", "taxable", "assessed value", "parcel", "tax year", "treasurer", "assessment"),
    "pay_stub": ("pay period", "gross pay", "net pay", "earnings", "deductions", "employee", "employer", "ytd", "pay date",
                 "withholding"),
}
# Layout: words in the title block (the first lines) say more than the same words in the body.
_TITLES: dict[str, tuple[str, ...]] = {
    "standard_utility_bill": ("utility bill", "electricity", "energy", "water bill", "gas bill", "electric bill", "utilities"),
    "bank_statement": ("bank", "account statement", "checking", "savings", "credit union"),
    "lease_agreement": ("lease", "rental agreement", "tenancy agreement"),
    "tax_form": ("tax", "assessment notice", "form w-2", "form 1099", "irs"),
    "pay_stub": ("earnings statement", "pay stub", "payslip", "pay statement", "salary statement"),
}
TITLE_LINES = 5
_AMOUNT_LINE = re.compile(r"[-$]?\s*\d{1,3}(?:,?\d{3})*\.\d{2}\s*$")


def _compact(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", anyascii(text).upper())


def _mentions(text: str, phrase: str) -> bool:
    """The phrase as whole words (spaces optional); long phrases also inside run-together OCR text,
    short ones (`gas`, `tax`, `rent`) only as words, so `Las Vegas` or `current` do not count."""
    words = r"\s*".join(re.escape(w) for w in phrase.split())
    if re.search(r"(?<![A-Za-z])" + words + r"(?![A-Za-z])", text, re.I):
        return True
    compact = _compact(phrase)
    return len(compact) >= 6 and compact in _compact(text)


def classify(text: str) -> tuple[str, dict[str, int]]:
    """The type with the most keyword hits (at least 3), else `other`. Words are matched without spaces
    (OCR drops them); a title in the first lines counts 2 more, and lines ending in amounts (a table) add
    to statements and pay stubs."""
    title = "\n".join(text.splitlines()[:TITLE_LINES])
    scores = {kind: sum(_mentions(text, word) for word in words) for kind, words in _KEYWORDS.items()}
    for kind, words in _TITLES.items():
        if any(_mentions(title, word) for word in words):
            scores[kind] += 2
    amounts = sum(bool(_AMOUNT_LINE.search(line)) for line in text.splitlines())
    if amounts >= 5:
        scores["bank_statement"] += 1
        scores["pay_stub"] += 1
    best = max(scores, key=lambda k: scores[k])
    return (best if scores[best] >= 3 else "other"), scores


# ---------------------------------------------------------------- dates


_MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_MONTH = r"(?P<mon>[A-Za-z0]{3})[a-z]*\.?"
_DATE_PATTERNS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
    re.compile(_MONTH + r"\s*(?P<d>\d{1,2}),?\s*(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})\s*" + _MONTH + r",?\s*(?P<y>\d{4})"),
)


def _date_of(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if "mon" in groups:
            month = _MONTHS.get(groups["mon"][:3].upper().replace("0", "O"))
            if month is None:
                return None
            return date(int(groups["y"]), month, int(groups["d"]))
        m, d = int(groups["m"]), int(groups["d"])
        if m > 12 and d <= 12:  # day first
            m, d = d, m
        return date(int(groups["y"]), m, d)
    except ValueError:
        return None


def dates_in(text: str) -> list[tuple[int, date, str]]:
    """Every date in the text: (position, date, as written), in reading order."""
    found: dict[int, tuple[int, date, str]] = {}
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            value = _date_of(match)
            if value and match.start() not in found and 1900 <= value.year <= 2200:
                found[match.start()] = (match.start(), value, match.group(0))
    return sorted(found.values())


def _label(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?:" + "|".join(r"\s*".join(re.escape(w) for w in word.split()) for word in words) + r")\s*[:\-]?", re.I)


ISSUE_LABELS = _label("bill date", "statement date", "issue date", "date issued", "date of issue", "issued on", "notice date",
                      "invoice date", "pay date", "letter date", "rechnungsdatum", "ausstellungsdatum", "fecha de emision",
                      "date de facture", "date")
PERIOD_LABELS = _label("billing period", "statement period", "service period", "pay period")
EXPIRY_LABELS = _label("expiration date", "expiry date", "expires on", "expires", "valid until", "valid through", "lease end",
                       "end of term", "term ends")


def labelled_date(lines: list[str], label: re.Pattern[str], *, last: bool = False) -> tuple[date, str] | None:
    for line in lines:
        match = label.search(line)
        if match:
            found = dates_in(line[match.end():])
            if found:
                _, value, written = found[-1] if last else found[0]
                return value, written
    return None


# ---------------------------------------------------------------- name and address


_SUFFIX = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|"
           r"Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Loop|Row|Close|Crescent")
STREET = re.compile(r"\b(\d{1,6}[A-Z]?\s*(?:[A-Za-z0-9.'-]+\s*){0,5}?(?:" + _SUFFIX + r")\b\.?"
                    r"(?:\s*,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s*[A-Za-z0-9-]+)?)", re.I)
CITY = re.compile(r"(?P<city>[A-Za-z][A-Za-z .'-]*?)\s*,\s*(?P<sub>[A-Z]{2}|[A-Za-z][A-Za-z ]+?)\s*(?P<postal>\d{5}(?:-\d{4})?)\b")
NAME_LABELS = _label("account holder", "customer name", "customer", "tenant", "lessee", "employee", "name", "bill to",
                     "prepared for", "taxpayer", "owner")
_NOT_A_NAME = re.compile(r"\b(INC|LLC|LTD|CO|BANK|COMPANY|CORP|ENERGY|ADDRESS|STATEMENT|BILL|ACCOUNT|SERVICE|COUNTY|AGREEMENT)\b", re.I)


@dataclass
class Address:
    street: str
    city: str | None
    subdivision: str | None
    postal_code: str | None
    line: int


def addresses(lines: list[str]) -> list[Address]:
    """Street lines with their city/state/ZIP on the same line (after a comma) or the next."""
    found = []
    for index, line in enumerate(lines):
        for street in STREET.finditer(line):
            rest = line[street.end():]
            city = CITY.search(rest) or (CITY.match(lines[index + 1].strip()) if index + 1 < len(lines) else None)
            found.append(Address(street.group(1).strip(" ,"), city["city"].strip() if city else None,
                                 city["sub"].strip() if city else None, city["postal"] if city else None, index))
    return found


def _looks_like_name(text: str) -> bool:
    words = text.replace(",", " ").split()
    letters = sum(c.isalpha() for c in text)
    return 1 <= len(words) <= 5 and letters >= 4 and not any(c.isdigit() for c in text) and not _NOT_A_NAME.search(text)


def names(lines: list[str], found: list[Address]) -> list[str]:
    """Labelled names (`Tenant: …`) first, then the line just above each street line."""
    out = []
    for line in lines:
        match = NAME_LABELS.match(line)
        if match and _looks_like_name(line[match.end():].strip()):
            out.append(line[match.end():].strip())
    for address in found:
        if address.line > 0 and _looks_like_name(lines[address.line - 1].strip()):
            out.append(lines[address.line - 1].strip())
    return out


# ---------------------------------------------------------------- comparison with the inquiry


_ABBREVIATIONS = {"STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "BOULEVARD": "BLVD", "LANE": "LN", "DRIVE": "DR", "COURT": "CT",
                  "PLACE": "PL", "TERRACE": "TER", "CIRCLE": "CIR", "PARKWAY": "PKWY", "HIGHWAY": "HWY", "SQUARE": "SQ",
                  "APARTMENT": "APT", "SUITE": "STE", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W"}


def _street_key(text: str) -> str:
    words = re.findall(r"[A-Z0-9]+", anyascii(text).upper())
    joined = "".join(_ABBREVIATIONS.get(w, w) for w in words)
    for full, short in _ABBREVIATIONS.items():  # OCR joins words: shorten suffixes inside the compacted text too
        joined = joined.replace(full, short)
    return joined


def match_name(candidates: list[str], first: str | None, last: str | None) -> tuple[str, str | None]:
    """full: first and last name both found in one candidate; partial: the last name only; none."""
    if not last:
        return "none", None
    best: tuple[str, str | None] = ("none", None)
    for candidate in candidates:
        compact = _compact(candidate)
        has_last = _compact(last) in compact or fuzz.partial_ratio(_compact(last), compact) >= 90
        has_first = bool(first) and (_compact(first or "") in compact or fuzz.partial_ratio(_compact(first or ""), compact) >= 90)
        if has_last and has_first:
            return "full", candidate
        if has_last:
            best = ("partial", candidate)
    return best


def match_address(found: list[Address], claimed: dict[str, str | None]) -> tuple[str, Address | None]:
    """full: street and postal code (or city when no postal code is claimed) agree; partial: one of them."""
    street = claimed.get("address-street-1")
    if not street:
        return "none", None
    best: tuple[str, Address | None] = ("none", None)
    for address in found:
        street_ok = fuzz.ratio(_street_key(street), _street_key(address.street)) >= 90
        postal, city = claimed.get("address-postal-code"), claimed.get("address-city")
        if postal:
            place_ok = _compact(postal)[:5] == _compact(address.postal_code or "")[:5]
        else:
            place_ok = bool(city) and fuzz.ratio(_compact(city or ""), _compact(address.city or "")) >= 90
        if street_ok and place_ok:
            return "full", address
        if street_ok or place_ok:
            best = ("partial", address)
    return best


def find_claimed_address(lines: list[str], claimed: dict[str, str | None]) -> Address | None:
    """Guided search for formats the patterns do not know (`Hauptstrasse 5`, `10115 Berlin`, UK postcodes):
    the claimed street on a line, and the claimed postal code (else city) on it or one of the next two."""
    street, postal, city = claimed.get("address-street-1"), claimed.get("address-postal-code"), claimed.get("address-city")
    key = _street_key(street or "")
    place = _compact(postal or city or "")
    if len(key) < 5 or not place:
        return None
    for index, line in enumerate(lines):
        if key in _street_key(line):
            for near in lines[index:index + 3]:
                if place in _compact(near):
                    return Address(line.strip(), city if city and _compact(city) in _compact(near) else None, None,
                                   postal if postal and _compact(postal) in _compact(near) else None, index)
    return None


# ---------------------------------------------------------------- tamper signals


def _mixed_font_words(pages: list[Page]) -> list[str]:
    """Runs on one baseline that touch (no space between them) but use different fonts: one word set
    in two fonts, the mark of a value edited in place."""
    found = []
    for page in pages:
        runs = sorted(page.runs, key=lambda r: (round(r.y), r.x))
        for a, b in zip(runs, runs[1:], strict=False):
            if abs(a.y - b.y) > 1 or a.font == b.font or not a.font or not b.font:
                continue
            end = a.x + len(a.text) * max(a.size, 1) * 0.62
            if a.text[-1:].strip() and b.text[:1].strip() and b.x - end < max(a.size, 1) * 0.5 and b.x > a.x:
                found.append((a.text + b.text).strip())
    return found


def tamper_signals(reading: Reading) -> tuple[list[str], dict[str, Any]]:
    facts, reasons = reading.facts, list[str]()
    if facts is None:
        return reasons, {}
    meta: dict[str, Any] = {"producer": facts.producer or None, "creator": facts.creator or None, "revisions": facts.revisions,
            "created": facts.created.isoformat() if facts.created else None,
            "modified": facts.modified.isoformat() if facts.modified else None}
    tool = f"{facts.producer} {facts.creator}".lower()
    if facts.created and facts.modified and facts.modified - facts.created > timedelta(minutes=5) and any(e in tool for e in EDITORS):
        reasons.append("edited_after_creation")
    if facts.revisions > 1 and not facts.signed:
        reasons.append("incremental_update")
    mixed = _mixed_font_words(reading.pages)
    if mixed:
        reasons.append("mixed_fonts_in_field")
        meta["mixed-font-words"] = mixed[:5]
    return reasons, meta


# ---------------------------------------------------------------- the checks


@dataclass
class Settings:
    recency_days: int = DEFAULT_RECENCY_DAYS
    allowed_types: tuple[str, ...] = TYPES
    required_properties: tuple[str, ...] = ("name", "address", "issue_date")

    @classmethod
    def from_step(cls, raw: dict[str, Any]) -> Settings:
        """Step settings (snake_case): `recency_days`, `allowed_document_types`, `required_properties`."""
        days = raw.get("recency_days", DEFAULT_RECENCY_DAYS)
        types = raw.get("allowed_document_types") or TYPES
        props = raw.get("required_properties") or cls.required_properties
        return cls(int(days) if isinstance(days, int) and days > 0 else DEFAULT_RECENCY_DAYS, tuple(types), tuple(props))


@dataclass
class Result:
    checks: list[dict[str, Any]]
    document_type: str | None
    extracted: dict[str, Any]
    extraction_responses: list[dict[str, Any]]
    source: str


def _check(name: str, status: str | bool, reasons: list[str] | None = None, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    text = status if isinstance(status, str) else ("passed" if status else "failed")
    return {"name": name, "status": text, "reasons": reasons or [], "requirement": "not_required" if text == "not_applicable" else "required",
            "metadata": metadata or {}}


def _guided(field: str, value: str | None, page: int, level: str, found: str | None) -> dict[str, Any]:
    results = [{"value": found, "page": page, "match-level": level, "metadata": None}] if found else []
    return {"extraction-type": "guided", "field-name": field, "results": results if value else []}


def evaluate(files: list[tuple[bytes, str]], settings: Settings, inquiry_fields: dict[str, Any] | None, *, today: date,
             ocr: PageReader = RAPIDOCR) -> Result:
    """Read every file, then decide each `document_*` check. `files` are (content, mime) pairs."""
    readings = [read(data, mime, ocr=ocr) for data, mime in files]
    usable = [r for r in readings if r.pages and _alnum(r.pages) >= 10]
    numbered = [(page.number, line) for r in usable for page in r.pages for line in page.lines]
    lines = [line for _, line in numbered]
    text = "\n".join(lines)
    checks = [_check("document_unprocessable_submission_detection", bool(usable),
                     [] if usable else ["unreadable_file" if any(r.error for r in readings) else "no_text_found"],
                     {"sources": [r.source for r in readings], "errors": [r.error for r in readings if r.error]})]

    doc_type, scores = classify(text) if usable else ("other", {})
    checks.append(_check("document_type_detection", doc_type in settings.allowed_types,
                         [] if doc_type in settings.allowed_types else ["type_not_detected" if doc_type == "other" else "disallowed_type"],
                         {"detected-type": doc_type, "allowed-types": list(settings.allowed_types), "scores": scores}))

    claimed = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in (inquiry_fields or {}).items()}
    found_addresses = addresses(lines)
    address_level, address_found = match_address(found_addresses, claimed)
    guided = find_claimed_address(lines, claimed) if address_level != "full" else None
    if guided is not None:
        found_addresses.append(guided)
        address_level, address_found = match_address(found_addresses, claimed)
    found_names = names(lines, found_addresses)
    name_level, name_found = match_name(found_names, claimed.get("name-first"), claimed.get("name-last"))
    name_value = name_found or (found_names[0] if found_names else None)
    address = address_found or (found_addresses[0] if found_addresses else None)
    issued = labelled_date(lines, ISSUE_LABELS)
    issue_source = "label"
    if issued is None:
        issued, issue_source = labelled_date(lines, PERIOD_LABELS, last=True), "period_end"
    expires = labelled_date(lines, EXPIRY_LABELS)
    extracted = {
        "name": name_value, "address-street-1": address.street if address else None, "address-city": address.city if address else None,
        "address-subdivision": address.subdivision if address else None, "address-postal-code": address.postal_code if address else None,
        "issue-date": issued[0].isoformat() if issued else None, "expiration-date": expires[0].isoformat() if expires else None,
    }
    present = {"name": bool(name_value), "address": bool(address), "issue_date": bool(issued), "expiration_date": bool(expires)}
    missing = [p for p in settings.required_properties if not present.get(p)]
    checks.append(_check("document_extracted_properties_detection", not missing, ["missing_properties"] if missing else [],
                         {"missing-properties": missing, "extracted-properties": [p for p, ok in present.items() if ok]}))

    if issued is None:
        checks.append(_check("document_recency_detection", False, ["missing_issue_date"], {"max-age-days": settings.recency_days}))
    else:
        age = (today - issued[0]).days
        recent = 0 <= age <= settings.recency_days
        reasons = [] if recent else (["issue_date_in_future"] if age < 0 else ["document_too_old"])
        checks.append(_check("document_recency_detection", recent, reasons, {"issue-date": issued[0].isoformat(), "age-days": age,
                                                                              "max-age-days": settings.recency_days, "issue-date-source": issue_source}))
    if expires is None:
        checks.append(_check("document_expired_detection", "not_applicable", ["no_expiration_date"]))
    else:
        checks.append(_check("document_expired_detection", expires[0] >= today, [] if expires[0] >= today else ["document_expired"],
                             {"expiration-date": expires[0].isoformat()}))

    if not claimed.get("name-last") and not claimed.get("address-street-1"):
        checks.append(_check("document_inquiry_comparison", "not_applicable", ["no_inquiry"]))
    else:
        wanted = {"name": name_level if claimed.get("name-last") else None, "address": address_level if claimed.get("address-street-1") else None}
        compared = {k: v for k, v in wanted.items() if v is not None}
        failed = [k for k, v in compared.items() if v != "full"]
        checks.append(_check("document_inquiry_comparison", not failed, [f"{k}_mismatch" for k in failed],
                             {"match-results": compared}))

    signals: list[str] = []
    tamper_meta: dict[str, Any] = {}
    for reading in usable:  # the metadata of the first file that raised a signal, else of the first file
        reasons, meta = tamper_signals(reading)
        if (reasons and not signals) or not tamper_meta:
            tamper_meta = meta
        signals += reasons
    if usable and all(r.facts is None for r in usable):
        checks.append(_check("document_tamper_detection", "not_applicable", ["no_pdf_structure"]))
    else:
        checks.append(_check("document_tamper_detection", not signals, sorted(set(signals)), tamper_meta))

    dates = [{"value": written, "page": number, "match-level": "full", "metadata": {"day": value.day, "month": value.month, "year": value.year}}
             for number, line in numbered for _, value, written in dates_in(line)][:20]
    name_page = next((number for number, line in numbered if name_found and name_found in line), 1)
    address_page = numbered[address_found.line][0] if address_found else 1
    responses = [
        {"extraction-type": "unguided", "field-name": "dates", "results": dates},
        _guided("name", claimed.get("name-last"), name_page, name_level, name_found),
        _guided("address_street_1", claimed.get("address-street-1"), address_page, address_level, address_found.street if address_found else None),
        _guided("address_city", claimed.get("address-city"), address_page, address_level, address_found.city if address_found else None),
        _guided("address_postal_code", claimed.get("address-postal-code"), address_page, address_level,
                address_found.postal_code if address_found else None),
    ]
    source = next((r.source for r in usable), "none")
    return Result(checks, doc_type if usable else None, extracted, responses, source)
