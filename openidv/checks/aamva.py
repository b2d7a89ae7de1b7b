"""AAMVA DL/ID card design standard: the PDF417 payload on the back of North American licences.

Strict parser of our own: compliance indicator and separators, the `ANSI ` (or 2000-era `AAMVA`)
header with issuer identification number, AAMVA version 01-10, jurisdiction version (absent in
version 01), entry count, then each subfile designator (type, offset, length) whose bytes must lie
inside the payload and begin with the subfile type. Dates are MMDDCCYY on US cards and CCYYMMDD on
Canadian cards and in version 01. Anything else raises `AamvaError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

COMPLIANCE = "@"
LF, RS, CR = "\n", "\x1e", "\r"
# Real cards sometimes shift a subfile by a byte or two from its declared offset.
OFFSET_SLACK = 2
_CANADIAN_IIN = re.compile(r"^(604\d{3}|636012|636017|636026|636028|636044|636048)$")


class AamvaError(ValueError):
    """The payload is not a well-formed AAMVA card payload."""


@dataclass
class Subfile:
    type: str
    offset: int
    length: int
    elements: dict[str, str] = field(default_factory=dict)


@dataclass
class Aamva:
    iin: str
    version: int
    jurisdiction_version: int | None
    subfiles: list[Subfile]
    elements: dict[str, str]

    def get(self, code: str) -> str | None:
        value = self.elements.get(code, "").strip()
        return value or None

    @property
    def country(self) -> str:
        declared = (self.get("DCG") or "").upper()
        if declared in ("CAN", "USA"):
            return "CA" if declared == "CAN" else "US"
        return "CA" if _CANADIAN_IIN.match(self.iin) else "US"

    @property
    def date_order(self) -> str:
        return "CCYYMMDD" if self.version == 1 or self.country == "CA" else "MMDDCCYY"

    def date(self, code: str) -> date | None:
        value = self.get(code)
        return parse_date(value, self.date_order) if value else None

    @property
    def id_class(self) -> str:
        return "dl" if any(s.type == "DL" for s in self.subfiles) else "id"

    def names(self) -> tuple[str | None, str | None, str | None]:
        """(first, middle, last). Version 01 carries one `DAA` field, `LAST,FIRST,MIDDLE`."""
        last, first, middle = self.get("DCS") or self.get("DAB"), self.get("DAC"), self.get("DAD")
        if first is None and (given := self.get("DCT")):  # versions 02-03: given names in one field
            first, _, rest = given.replace(",", " ").partition(" ")
            middle = middle or (rest.strip() or None)
        if last is None and (whole := self.get("DAA")):
            parts = [p.strip() or None for p in re.split(r"[,$]", whole)] + [None, None]
            last, first, middle = parts[0], first or parts[1], middle or parts[2]
        return first, middle, last

    @property
    def sex(self) -> str | None:
        return {"1": "M", "2": "F", "M": "M", "F": "F", "9": None}.get(self.get("DBC") or "")

    def attributes(self) -> dict[str, object]:
        first, middle, last = self.names()
        return {
            "name-first": first, "name-middle": middle, "name-last": last,
            "birthdate": self.date("DBB"), "issue-date": self.date("DBD"), "expiration-date": self.date("DBA"),
            "identification-number": self.get("DAQ"), "sex": self.sex,
            "address-street-1": self.get("DAG"), "address-city": self.get("DAI"),
            "address-subdivision": self.get("DAJ"), "address-postal-code": self.get("DAK"),
            "issuing-subdivision": self.get("DAJ"), "issuing-country": self.country, "id-class": self.id_class,
        }


def parse_date(value: str, order: str) -> date | None:
    if not re.fullmatch(r"\d{8}", value):
        return None
    if order == "MMDDCCYY":
        mm, dd, yyyy = int(value[0:2]), int(value[2:4]), int(value[4:8])
    else:
        yyyy, mm, dd = int(value[0:4]), int(value[4:6]), int(value[6:8])
    try:
        return date(yyyy, mm, dd)
    except ValueError:
        return None


def _header(data: str) -> tuple[int, str, int, int | None, int]:
    """Returns (position after header, iin, version, jurisdiction version, entries)."""
    if not data.startswith(COMPLIANCE + LF + RS + CR):
        raise AamvaError("missing the compliance indicator and separators '@\\n\\x1e\\r'")
    pos = 4
    file_type = data[pos:pos + 5]
    if file_type not in ("ANSI ", "AAMVA"):
        raise AamvaError(f"file type {file_type!r} is not 'ANSI ' or 'AAMVA'")
    pos += 5
    iin, version_text = data[pos:pos + 6], data[pos + 6:pos + 8]
    if not (iin.isdigit() and len(iin) == 6):
        raise AamvaError("issuer identification number must be six digits")
    if not version_text.isdigit() or not 1 <= int(version_text) <= 10:
        raise AamvaError(f"AAMVA version {version_text!r} is not 01-10")
    version = int(version_text)
    pos += 8
    jurisdiction = None
    if version >= 2:
        text = data[pos:pos + 2]
        if not text.isdigit():
            raise AamvaError("jurisdiction version must be two digits")
        jurisdiction, pos = int(text), pos + 2
    entries_text = data[pos:pos + 2]
    if not entries_text.isdigit() or int(entries_text) < 1:
        raise AamvaError("number of entries must be 01 or more")
    return pos + 2, iin, version, jurisdiction, int(entries_text)


def _elements(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in body.split(LF):
        line = line.strip(CR + "\x00")
        if not line:
            continue
        if not re.match(r"^[A-Z]{3}", line):
            raise AamvaError(f"data element {line[:8]!r} does not start with a three-letter identifier")
        out.setdefault(line[:3], line[3:].strip())
    return out


def parse(payload: str | bytes) -> Aamva:
    data = payload.decode("latin-1") if isinstance(payload, bytes) else payload
    pos, iin, version, jurisdiction, entries = _header(data)
    subfiles: list[Subfile] = []
    for i in range(entries):
        designator = data[pos + 10 * i:pos + 10 * i + 10]
        if len(designator) != 10 or not re.fullmatch(r"[A-Z]{2}\d{8}", designator):
            raise AamvaError(f"subfile designator {i + 1} is malformed")
        subfiles.append(Subfile(designator[:2], int(designator[2:6]), int(designator[6:10])))
    header_end = pos + 10 * entries
    elements: dict[str, str] = {}
    for sub in subfiles:
        if sub.length < 3 or sub.offset < header_end or sub.offset + sub.length > len(data) + OFFSET_SLACK:
            raise AamvaError(f"subfile {sub.type} at {sub.offset}+{sub.length} lies outside the payload")
        start = next((sub.offset + d for d in sorted(range(-OFFSET_SLACK, OFFSET_SLACK + 1), key=abs)
                      if data[sub.offset + d:sub.offset + d + 2] == sub.type), None)
        if start is None:
            raise AamvaError(f"subfile {sub.type} does not start at its declared offset")
        body = data[start + 2:start + sub.length]
        sub.elements = _elements(body)
        for code, value in sub.elements.items():
            elements.setdefault(code, value)
    if not any(s.type in ("DL", "ID") for s in subfiles):
        raise AamvaError("no DL or ID subfile")
    for required in ("DAQ", "DBB"):
        if required not in elements:
            raise AamvaError(f"mandatory element {required} is missing")
    return Aamva(iin, version, jurisdiction, subfiles, elements)


def build(elements: dict[str, str], *, iin: str = "636000", version: int = 10, jurisdiction_version: int = 0,
          subfile_type: str = "DL", extra_subfiles: dict[str, dict[str, str]] | None = None) -> str:
    """Compose a well-formed payload (test data): header, designators with true offsets and lengths."""
    subs = {subfile_type: elements, **(extra_subfiles or {})}
    bodies = {t: t + LF.join(k + v for k, v in els.items()) + CR for t, els in subs.items()}
    header = COMPLIANCE + LF + RS + CR + "ANSI " + iin + f"{version:02d}"
    if version >= 2:
        header += f"{jurisdiction_version:02d}"
    header += f"{len(subs):02d}"
    offset = len(header) + 10 * len(subs)
    designators, payload = "", ""
    for t, body in bodies.items():
        designators += f"{t}{offset:04d}{len(body):04d}"
        offset += len(body)
        payload += body
    return header + designators + payload
