"""ICAO 9303 machine-readable zone parser: TD1 (3 x 30), TD2 (2 x 36) and TD3 (2 x 44).

Our own implementation (no GPL code). `parse()` rejects text that is not an MRZ with `MrzError`;
a well-formed MRZ whose check digits disagree parses, with the failing digits listed in
`Mrz.failed_checks`, so the caller can report them. OCR confusions are corrected only where the
field's type allows it: letters in numeric fields (O->0, I->1, B->8 …) and digits in alphabetic
fields (0->O, 1->I, 8->B …); alphanumeric fields (document number, optional data) are left as read,
except that a failing document number may be repaired by one ambiguous swap when exactly one
swap makes its check digit agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from openidv.checks import icao_countries

WEIGHTS = (7, 3, 1)
_TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2", "S": "5", "G": "6", "B": "8"})
_TO_ALPHA = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"})
_SWAPS = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5", "2": "Z", "Z": "2", "6": "G", "G": "6", "D": "0", "Q": "0"}
_VALID = re.compile(r"^[A-Z0-9<]+$")
LENGTHS = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}


class MrzError(ValueError):
    """The text is not a machine-readable zone."""


def char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if c == "<":
        return 0
    if "A" <= c <= "Z":
        return ord(c) - 55
    raise MrzError(f"character {c!r} is not allowed in an MRZ")


def check_digit(text: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1 repeating, modulo 10."""
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(text)) % 10)


def numeric(text: str) -> str:
    return text.translate(_TO_DIGIT)


def alpha(text: str) -> str:
    return text.translate(_TO_ALPHA)


def _date(text: str, *, past: bool, today: date | None = None) -> date | None:
    """YYMMDD. Birthdates take the century that puts them in the past; expiry dates are 20YY
    unless that is more than 50 years ahead."""
    if not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:6])
    today = today or date.today()
    year = 2000 + yy
    if past and year > today.year:
        year -= 100
    if not past and year > today.year + 50:
        year -= 100
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


@dataclass
class Mrz:
    format: str
    lines: list[str]
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birthdate_raw: str
    sex: str
    expiration_raw: str
    surname: str
    given_names: str
    optional_data: str
    checks: dict[str, bool] = field(default_factory=dict)
    corrected: bool = False
    today: date | None = None

    @property
    def valid(self) -> bool:
        return all(self.checks.values()) and self.birthdate is not None and self.expiration_date is not None

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, ok in self.checks.items() if not ok]

    @property
    def birthdate(self) -> date | None:
        return _date(self.birthdate_raw, past=True, today=self.today)

    @property
    def expiration_date(self) -> date | None:
        return _date(self.expiration_raw, past=False, today=self.today)

    @property
    def issuing_country(self) -> str | None:
        return icao_countries.to_iso2(self.issuing_state)

    @property
    def nationality_country(self) -> str | None:
        return icao_countries.to_iso2(self.nationality)

    @property
    def id_class(self) -> str:
        """Persona's id-class: `pp` for passports, `id` for identity cards, `visa`, else `id`."""
        code = self.document_code[0]
        if code == "P":
            return "pp"
        if code == "V":
            return "visa"
        return "id"

    def text(self) -> str:
        return "\n".join(self.lines)


def detect_format(lines: list[str]) -> str:
    shape = (len(lines), {len(line) for line in lines})
    for name, (count, width) in LENGTHS.items():
        if shape == (count, {width}):
            return name
    raise MrzError(f"{len(lines)} lines of lengths {sorted(shape[1])} is not TD1, TD2 or TD3")


def _lines(text: str | list[str]) -> list[str]:
    raw = text.splitlines() if isinstance(text, str) else list(text)
    lines = [re.sub(r"\s+", "", line).upper() for line in raw]
    lines = [line for line in lines if line]
    for line in lines:
        if not _VALID.match(line):
            raise MrzError("an MRZ holds only A-Z, 0-9 and <")
    return lines


def _name(field_text: str) -> tuple[str, str]:
    field_text = alpha(field_text).rstrip("<")
    surname, _, given = field_text.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _code(text: str) -> str:
    return alpha(text)


def _sex(c: str) -> str:
    return {"M": "M", "F": "F", "<": "<", "X": "X", "H": "M"}.get(c, c)


NUMBER_AT = {"TD1": (0, 5), "TD2": (1, 0), "TD3": (1, 0)}


def _repair_number(lines: list[str], fmt: str, today: date | None) -> Mrz | None:
    """One ambiguous swap in the document number that makes every check digit agree (the number's
    and the composite), only if exactly one swap does: never guess between two valid readings."""
    row, start = NUMBER_AT[fmt]
    found = []
    for i in range(start, start + 9):
        c = lines[row][i]
        if c in _SWAPS:
            line = lines[row][:i] + _SWAPS[c] + lines[row][i + 1:]
            candidate = _parse_lines([*lines[:row], line, *lines[row + 1:]], fmt)
            candidate.today = today
            if candidate.valid:
                found.append(candidate)
    return found[0] if len(found) == 1 else None


def parse(text: str | list[str], *, today: date | None = None) -> Mrz:
    """Parse an MRZ given as lines (or one string with newlines). Raises MrzError if malformed."""
    lines = _lines(text)
    fmt = detect_format(lines)
    mrz = _parse_lines(lines, fmt)
    mrz.today = today
    if mrz.failed_checks == ["document_number", "composite"] or mrz.failed_checks == ["document_number"]:
        mrz = _repair_number(lines, fmt, today) or mrz
    mrz.corrected = mrz.lines != lines
    if mrz.document_code[0] not in "PIACV":
        raise MrzError(f"document code {mrz.document_code!r} is not a travel document")
    return mrz


def _parse_lines(lines: list[str], fmt: str) -> Mrz:
    return _td1(lines) if fmt == "TD1" else _td23(lines, fmt)


def _digits(text: str) -> str:
    return numeric(text)


def _td23(lines: list[str], fmt: str) -> Mrz:
    l1, l2 = lines
    width = len(l1)
    code, state = _code(l1[0:2]), _code(l1[2:5])
    surname, given = _name(l1[5:])
    number, number_cd = l2[0:9], _digits(l2[9])
    nationality = _code(l2[10:13])
    birth, birth_cd = _digits(l2[13:19]), _digits(l2[19])
    sex = _sex(l2[20])
    expiry, expiry_cd = _digits(l2[21:27]), _digits(l2[27])
    if fmt == "TD3":
        optional, optional_cd, composite_cd = l2[28:42], _digits(l2[42]), _digits(l2[43])
    else:
        optional, optional_cd, composite_cd = l2[28:35], None, _digits(l2[35])
    # A TD2 document number longer than nine characters continues in the optional data.
    if fmt == "TD2" and number_cd == "<":
        extra = optional.rstrip("<")
        number, number_cd = number + extra[:-1], extra[-1:]
    new_l2 = (number[:9] + (l2[9] if len(number) > 9 else number_cd) + nationality + birth + birth_cd + sex[0]
              + expiry + expiry_cd + l2[28:])
    if optional_cd is not None:  # TD3
        new_l2 = new_l2[:42] + optional_cd + composite_cd
    else:
        new_l2 = new_l2[:35] + composite_cd
    new_l1 = code + state + alpha(l1[5:])
    checks = {
        "document_number": check_digit(number) == number_cd,
        "birthdate": check_digit(birth) == birth_cd,
        "expiration_date": check_digit(expiry) == expiry_cd,
    }
    if fmt == "TD3":
        # An all-filler optional data field may carry `<` or `0` as its check digit.
        checks["optional_data"] = check_digit(optional) == optional_cd or (optional.strip("<") == "" and l2[42] in "<0")
        composite = new_l2[0:10] + new_l2[13:20] + new_l2[21:43]
    else:
        composite = new_l2[0:10] + new_l2[13:20] + new_l2[21:35]
    checks["composite"] = check_digit(composite) == composite_cd
    return Mrz(fmt, [new_l1, new_l2[:width]], code, state, number.replace("<", ""), nationality, birth, sex,
               expiry, surname, given, optional.rstrip("<"), checks)


def _td1(lines: list[str]) -> Mrz:
    l1, l2, l3 = lines
    code, state = _code(l1[0:2]), _code(l1[2:5])
    number, number_cd, optional1 = l1[5:14], _digits(l1[14]), l1[15:30]
    birth, birth_cd = _digits(l2[0:6]), _digits(l2[6])
    sex = _sex(l2[7])
    expiry, expiry_cd = _digits(l2[8:14]), _digits(l2[14])
    nationality = _code(l2[15:18])
    optional2, composite_cd = l2[18:29], _digits(l2[29])
    surname, given = _name(l3)
    long_number = number_cd == "<"
    if long_number:
        # Document numbers longer than nine characters continue in optional data 1, ending in the check digit.
        extra = optional1.split("<", 1)[0]
        number, number_cd = number + extra[:-1], extra[-1:]
        optional1 = optional1[len(extra):]
    new_l1 = code + state + (l1[5:15] if long_number else number + number_cd) + l1[15:30]
    new_l2 = birth + birth_cd + sex[0] + expiry + expiry_cd + nationality + optional2 + composite_cd
    checks = {
        "document_number": check_digit(number) == number_cd,
        "birthdate": check_digit(birth) == birth_cd,
        "expiration_date": check_digit(expiry) == expiry_cd,
    }
    composite = new_l1[5:30] + new_l2[0:7] + new_l2[8:15] + new_l2[18:29]
    checks["composite"] = check_digit(composite) == composite_cd
    optional = (optional1.strip("<") + " " + optional2.strip("<")).strip()
    return Mrz("TD1", [new_l1, new_l2, alpha(l3)], code, state, number.replace("<", ""), nationality, birth, sex,
               expiry, surname, given, optional, checks)


# ---------------------------------------------------------------- building (test data, specimens)


def _pad(text: str, width: int) -> str:
    text = re.sub(r"[^A-Z0-9<]", "<", text.upper().replace(" ", "<"))
    if len(text) > width:
        raise MrzError(f"{text!r} is longer than {width}")
    return text + "<" * (width - len(text))


def name_field(surname: str, given: str, width: int) -> str:
    full = _pad(surname, len(surname)) + "<<" + _pad(given, len(given))
    return _pad(full[:width], width)


def build(fmt: str, *, document_code: str, issuing_state: str, document_number: str, nationality: str,
          birthdate: str, sex: str, expiration: str, surname: str, given_names: str, optional: str = "") -> list[str]:
    """Compose MRZ lines with correct check digits (dates as YYMMDD)."""
    code, state, nat = _pad(document_code, 2), _pad(issuing_state, 3), _pad(nationality, 3)
    num = _pad(document_number, 9)
    if fmt == "TD1":
        l1 = code + state + num + check_digit(num) + _pad(optional, 15)
        l2 = birthdate + check_digit(birthdate) + sex + expiration + check_digit(expiration) + nat + "<" * 11
        l2 += check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
        return [l1, l2, name_field(surname, given_names, 30)]
    width = LENGTHS[fmt][1]
    l1 = code + state + name_field(surname, given_names, width - 5)
    l2 = num + check_digit(num) + nat + birthdate + check_digit(birthdate) + sex + expiration + check_digit(expiration)
    if fmt == "TD3":
        opt = _pad(optional, 14)
        l2 += opt + check_digit(opt)
        l2 += check_digit(l2[0:10] + l2[13:20] + l2[21:43])
    else:
        l2 += _pad(optional, 7)
        l2 += check_digit(l2[0:10] + l2[13:20] + l2[21:35])
    return [l1, l2]
