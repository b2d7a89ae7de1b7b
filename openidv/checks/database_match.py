"""Comparing claimed identity attributes with a record: name, birthdate, address, phone, e-mail and
identification number, each to a `match_result` of `full`, `partial` or `none` (`not_applicable`
when either side lacks the attribute), and the overall `database_identity_comparison`.

Names are transliterated to ASCII (anyascii), case- and punctuation-folded and compared as tokens, so
order, a missing middle name, initials, common nicknames and one or two typos are tolerated. Identity
needs the name (full or partial) plus an exact birthdate or identification number, and no conflict
on those two (a different birthdate or number is a different person).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers
from anyascii import anyascii
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein
from stdnum.exceptions import ValidationError
from stdnum.util import get_cc_module

FULL, PARTIAL, NONE, NA = "full", "partial", "none", "not_applicable"
_RANK = {FULL: 2, PARTIAL: 1, NONE: 0, NA: 0}

# ---------------------------------------------------------------- text folding


def fold(text: Any) -> str:
    """ASCII, lower case, letters and digits separated by single spaces."""
    if not isinstance(text, str):
        return ""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(text).lower()).split())


_NAME_NOISE = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv"})
_NICKNAMES = [
    "william bill will billy liam", "robert bob rob bobby robbie", "richard rick dick rich ricky", "james jim jimmy jamie",
    "john jack johnny jon", "michael mike mick mikey", "elizabeth liz beth betty eliza lisa", "margaret maggie meg peggy",
    "katherine kate kathy katie kat", "catherine cathy kate katie", "thomas tom tommy", "joseph joe joey", "charles charlie chuck",
    "daniel dan danny", "david dave davey", "edward ed eddie ted", "alexander alex sasha", "christopher chris", "jennifer jen jenny",
    "patricia pat patty trish", "susan sue susie", "anthony tony", "andrew andy drew", "steven steve", "stephen steve",
    "matthew matt", "nicholas nick nicky", "benjamin ben benny", "samuel sam sammy", "jonathan jon jonny", "francisco paco pancho",
    "jose pepe", "guillermo memo", "alejandro alex", "rebecca becky becca", "deborah debbie deb", "victoria vicky tori",
    "kimberly kim", "jessica jess jessie", "timothy tim timmy", "gregory greg", "kenneth ken kenny", "ronald ron ronnie",
    "donald don donnie", "lawrence larry", "gerald gerry jerry", "peter pete", "frederick fred freddie", "henry hank harry",
    "abigail abby", "dorothy dot dottie", "barbara barb barbie", "christine chris chrissy", "christina tina", "teresa terry tess",
    "zachary zach", "nathaniel nate nathan", "joshua josh", "raymond ray", "vincent vince", "philip phil", "leonard leo len",
]
NICKNAMES: dict[str, set[str]] = {}
for _group in _NICKNAMES:
    _names = _group.split()
    for _n in _names:
        NICKNAMES.setdefault(_n, set()).update(_names)


def name_tokens(*parts: Any) -> list[str]:
    return [t for p in parts for t in fold(p).split() if t not in _NAME_NOISE]


def _typo(a: str, b: str) -> bool:
    """One edit (two for long tokens), transpositions counted once; short tokens must be exact."""
    shortest = min(len(a), len(b))
    if shortest < 4:
        return False
    return DamerauLevenshtein.distance(a, b) <= (1 if shortest < 8 else 2)


def token_match(a: str, b: str) -> str:
    if a == b:
        return FULL
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return PARTIAL  # an initial
    if b in NICKNAMES.get(a, ()) or _typo(a, b):
        return PARTIAL
    return NONE


def _best(token: str, pool: list[str]) -> tuple[str, int | None]:
    best, where = NONE, None
    for i, other in enumerate(pool):
        result = token_match(token, other)
        if _RANK[result] > _RANK[best]:
            best, where = result, i
            if best == FULL:
                break
    return best, where


def compare_names(claim: dict[str, Any], record: dict[str, Any]) -> str:
    """Order-free: the record's first name and a last-name token must each be found among the claimed tokens."""
    c_first, c_middle, c_last = (name_tokens(claim.get(k)) for k in ("name-first", "name-middle", "name-last"))
    r_first, r_middle, r_last = (name_tokens(record.get(k)) for k in ("name-first", "name-middle", "name-last"))
    if not (c_first or c_last) or not (r_first or r_last):
        return NA
    pool = c_first + c_middle + c_last
    if "".join(sorted(pool)) == "".join(sorted(r_first + r_middle + r_last)) or "".join(pool) == "".join(r_first + r_middle + r_last):
        return FULL  # same tokens in any order, or only spacing differs ("Mary Ann" / "Maryann")
    results: list[str] = []
    for token in r_first[:1] + r_last:
        result, where = _best(token, pool)
        results.append(result)
        if where is not None:
            pool = pool[:where] + pool[where + 1 :]
    first, lasts = results[0] if r_first else FULL, results[1:] if r_first else results
    if first == NONE or not lasts or all(r == NONE for r in lasts):
        return NONE
    if any(r == NONE for r in lasts) and len(lasts) == 1:
        return NONE
    middle_conflict = bool(pool) and bool(r_middle) and all(_best(t, r_middle)[0] == NONE for t in pool)
    extra_given = [t for t in pool if t not in set(c_middle)] if not r_middle else []
    exact = first == FULL and all(r == FULL for r in lasts)
    if exact and not middle_conflict and not extra_given:
        return FULL
    if exact and any(r == FULL for r in lasts) and not middle_conflict:
        return PARTIAL
    if first != NONE and any(r != NONE for r in lasts) and not middle_conflict:
        return PARTIAL
    # Fallback for long compound names: overall token similarity.
    whole_c, whole_r = " ".join(c_first + c_middle + c_last), " ".join(r_first + r_middle + r_last)
    return PARTIAL if fuzz.token_sort_ratio(whole_c, whole_r) >= 92 else NONE


# ---------------------------------------------------------------- birthdate


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    for pattern, order in ((r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"), (r"^(\d{4})/(\d{1,2})/(\d{1,2})$", "ymd"),
                           (r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$", "dmy")):
        m = re.match(pattern, text)
        if m:
            parts = dict(zip(order, (int(g) for g in m.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def compare_birthdates(claim: Any, record: Any) -> str:
    a, b = parse_date(claim), parse_date(record)
    if a is None or b is None:
        return NA
    if a == b:
        return FULL
    if (a.year, a.month, a.day) == (b.year, b.day, b.month) or (a.year == b.year and a.month == b.month):
        return PARTIAL
    return NONE


# ---------------------------------------------------------------- address

_STREET_WORDS = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "boulevard": "blvd", "drive": "dr", "lane": "ln",
    "court": "ct", "place": "pl", "terrace": "ter", "highway": "hwy", "parkway": "pkwy", "square": "sq", "circle": "cir",
    "north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
    "apartment": "apt", "suite": "ste", "floor": "fl", "building": "bldg", "unit": "unit", "number": "", "no": "",
    "mount": "mt", "saint": "st", "calle": "c", "avenida": "av", "carrera": "cra", "plaza": "pza", "paseo": "po",
    "first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
}
US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO", "connecticut": "CT",
    "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT",
    "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR",
}
_PO_BOX = re.compile(r"\b(p\s*o\s*box|post\s*office\s*box|pobox|apartado(\s+postal)?|postfach|boite\s+postale|bp\s+\d)\b")


def street(value: Any) -> str:
    words = [_STREET_WORDS.get(w, w) for w in fold(value.replace("#", " apt ") if isinstance(value, str) else value).split()]
    return " ".join(w for w in words if w)


def _street_key(value: str) -> str:
    """For comparison, unit designators do not matter ("Apt 4" = "Unit 4" = "#4")."""
    return " ".join(w for w in street(value).split() if w not in ("apt", "ste", "unit", "fl", "bldg"))


def subdivision(value: Any) -> str:
    folded = fold(value)
    return US_STATES.get(folded, folded.upper())


def postal_code(value: Any, country: str | None) -> str:
    compact = re.sub(r"[^A-Za-z0-9]", "", value).upper() if isinstance(value, str) else ""
    return compact[:5] if (country or "US") == "US" and compact[:5].isdigit() else compact


def is_po_box(value: Any) -> bool:
    return bool(_PO_BOX.search(fold(value)))


def normalized_address(claim: dict[str, Any]) -> dict[str, str | None]:
    """The `normalized-address-*` attributes of a database verification."""
    country = (claim.get("country-code") or claim.get("address-country-code") or "US").upper()
    s1 = street(claim.get("address-street-1"))
    s2 = street(claim.get("address-street-2"))
    return {
        "normalized-address-street-1": s1.title().replace(" Apt ", " Apt ") if s1 else None,
        "normalized-address-street-2": s2.title() if s2 else None,
        "normalized-address-city": fold(claim.get("address-city")).title() or None,
        "normalized-address-subdivision": subdivision(claim.get("address-subdivision")) or None,
        "normalized-address-postal-code": postal_code(claim.get("address-postal-code"), country) or None,
    }


def compare_addresses(claim: dict[str, Any], record: dict[str, Any]) -> str:
    c_street = _street_key(" ".join(filter(None, [claim.get("address-street-1"), claim.get("address-street-2")])))
    r_street = _street_key(" ".join(filter(None, [record.get("address-street-1"), record.get("address-street-2")])))
    if not c_street or not r_street:
        return NA
    c_country, r_country = (claim.get("address-country-code") or "").upper(), (record.get("address-country-code") or "").upper()
    if c_country and r_country and c_country != r_country:
        return NONE
    country = c_country or r_country or "US"
    same_street = c_street == r_street or sorted(c_street.split()) == sorted(r_street.split())
    close_street = same_street or fuzz.ratio(c_street, r_street) >= 88
    c_postal, r_postal = postal_code(claim.get("address-postal-code"), country), postal_code(record.get("address-postal-code"), country)
    same_postal = bool(c_postal) and c_postal == r_postal
    same_city = bool(fold(claim.get("address-city"))) and fold(claim.get("address-city")) == fold(record.get("address-city"))
    c_sub, r_sub = subdivision(claim.get("address-subdivision")), subdivision(record.get("address-subdivision"))
    same_region = same_city and (not c_sub or not r_sub or c_sub == r_sub)
    if same_street and (same_postal or same_region):
        return FULL
    if close_street and (same_postal or same_region) or same_street or (same_postal and same_city):
        return PARTIAL
    return NONE


# ---------------------------------------------------------------- phone, e-mail, identification number


def e164(value: Any, country: str | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, (country or "US").upper())
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if phonenumbers.is_possible_number(number) else None


def compare_phones(claim: Any, record: Any, country: str | None = None) -> str:
    a, b = e164(claim, country), e164(record, country)
    if not a or not b:
        return NA
    if a == b:
        return FULL
    return PARTIAL if a[-7:] == b[-7:] else NONE


def _mailbox(email: str) -> tuple[str, str]:
    local, _, domain = email.casefold().strip().rpartition("@")
    local = local.split("+")[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return local, domain


def compare_emails(claim: Any, record: Any) -> str:
    if not isinstance(claim, str) or "@" not in claim or not isinstance(record, str) or "@" not in record:
        return NA
    if claim.strip().casefold() == record.strip().casefold():
        return FULL
    (a_local, a_domain), (b_local, b_domain) = _mailbox(claim), _mailbox(record)
    if (a_local, a_domain) == (b_local, b_domain):
        return FULL
    same_local = a_local.replace(".", "") == b_local.replace(".", "")
    return PARTIAL if same_local and len(a_local) >= 4 else NONE  # same mailbox name at another provider


# Personal identification numbers per country, validated with python-stdnum (format and check digits).
ID_NUMBER_MODULES = {
    "US": "ssn", "ES": "dni", "FR": "nir", "DE": "idnr", "IT": "codicefiscale", "BR": "cpf", "MX": "curp", "CA": "sin",
    "NL": "bsn", "SE": "personnummer", "FI": "hetu", "DK": "cpr", "NO": "fodselsnummer", "BE": "nn", "PL": "pesel",
    "CL": "rut", "AR": "dni", "IN": "aadhaar", "CN": "ric", "ZA": "idnr", "PT": "cc", "IE": "pps", "CH": "ssn", "AT": "vnr",
    "EE": "ik", "LT": "asmens", "RO": "cnp", "BG": "egn", "KR": "rrn", "TR": "tckimlik", "IL": "idnr", "TH": "pin", "MY": "nric",
}


def compact_id(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", value).upper() if isinstance(value, str) else ""


def id_number_valid(value: Any, country: str | None) -> bool | None:
    """True / False from python-stdnum for the country's personal number; None when openidv knows no rule."""
    name = ID_NUMBER_MODULES.get((country or "").upper())
    if not name or not compact_id(value):
        return None
    module = get_cc_module(country.lower(), name)  # type: ignore[union-attr]
    if module is None:
        return None
    try:
        module.validate(value)
    except ValidationError:
        return False
    return True


def compare_id_numbers(claim: Any, record: Any) -> str:
    a, b = compact_id(claim), compact_id(record)
    if not a or not b:
        return NA
    if a == b:
        return FULL
    if (len(a) == 4 and b.endswith(a)) or (len(b) == 4 and a.endswith(b)):
        return PARTIAL  # last four given
    return NONE


# ---------------------------------------------------------------- the whole comparison

ATTRIBUTES = ("name", "birthdate", "address", "phone_number", "email_address", "identification_number")


@dataclass
class Comparison:
    results: dict[str, str]  # attribute -> full / partial / none / not_applicable
    identity: bool
    reasons: list[str] = field(default_factory=list)
    requirements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(_RANK[r] for r in self.results.values()) + (100 if self.identity else 0)


def compare(claim: dict[str, Any], record: dict[str, Any]) -> Comparison:
    country = (claim.get("address-country-code") or record.get("address-country-code") or "US").upper()
    results = {
        "name": compare_names(claim, record),
        "birthdate": compare_birthdates(claim.get("birthdate"), record.get("birthdate")),
        "address": compare_addresses(claim, record),
        "phone_number": compare_phones(claim.get("phone-number"), record.get("phone-number"), country),
        "email_address": compare_emails(claim.get("email-address"), record.get("email-address")),
        "identification_number": compare_id_numbers(claim.get("identification-number"), record.get("identification-number")),
    }
    return judge(results)


def judge(results: dict[str, str]) -> Comparison:
    """Identity: name full/partial, and birthdate or identification number full; anything less on either is a conflict."""
    name_ok = results["name"] in (FULL, PARTIAL)
    anchors = [a for a in ("birthdate", "identification_number") if results[a] != NA]
    anchor_ok = any(results[a] == FULL for a in anchors)
    conflict = any(results[a] != FULL for a in anchors)  # a near birthdate or number is still another person
    reasons = ["property_conflict"] if conflict else []
    requirements = [
        _requirement("database_name_comparison", results["name"], (FULL, PARTIAL)),
        *(_requirement(f"database_{a}_comparison", results[a], (FULL,)) for a in ("birthdate", "identification_number") if results[a] != NA),
    ]
    return Comparison(results, name_ok and anchor_ok and not conflict, reasons, requirements)


def _requirement(name: str, result: str, accepted: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": name,
        "match_result": result,
        "status": "passed" if result in accepted else "failed",
        "comparisons": [{"match_requirement": list(accepted), "match_result": result}],
    }


def best(claim: dict[str, Any], records: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, Comparison | None]:
    """The candidate that matches best (identity first, then the most attributes)."""
    scored = [(compare(claim, r), r) for r in records]
    if not scored:
        return None, None
    comparison, record = max(scored, key=lambda pair: pair[0].score)
    return record, comparison
