"""UK Sanctions List XML published by the FCDO (`Designations` / `Designation`): names in `Name1`…`Name6`
(`Name6` is the family name) with `NameType` Primary Name / Primary Name Variation / Alias and an optional
`AliasStrength`, non-Latin names, and individual details (DOBs as dd/mm/yyyy with 00 for unknown parts,
nationalities as country names, passports, national identifiers, genders, positions)."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from openidv.screening.formats import ListFormatError, country, join, text
from openidv.screening.record import BirthDate, IdentityDocument, Name, Record, birth_date

_SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}


def _dob(raw: str | None) -> BirthDate | None:
    """`07/10/1952`, `00/10/1952` (month known), `00/00/1952` or `dd/mm/yyyy` with dashes; ISO dates too."""
    if not raw:
        return None
    bits = raw.strip().replace("-", "/").split("/")
    if len(bits) == 3 and len(bits[2]) == 4:
        day, month, year = bits
        if not year.isdigit():
            return None
        known_month = month.isdigit() and int(month) > 0
        known_day = known_month and day.isdigit() and int(day) > 0
        return birth_date(year + (f"-{month}" if known_month else "") + (f"-{day}" if known_day else ""))
    return birth_date(raw)


def _iso_day(raw: str | None) -> str | None:
    found = _dob(raw)
    return found.value if found is not None and found.precision == "day" else None


def records(root: ET.Element, source_url: str) -> Iterator[Record]:
    for designation in root.iter("Designation"):
        unique_id = text(designation, "UniqueID")
        if not unique_id:
            raise ListFormatError(f"Designation without UniqueID (OFSIGroupID={text(designation, 'OFSIGroupID')})")
        kind = (text(designation, "IndividualEntityShip") or "").lower()
        if kind not in _SCHEMA:
            raise ListFormatError(f"Designation {unique_id}: IndividualEntityShip must be Individual, Entity or Ship, not {kind or 'missing'}")
        names: list[Name] = []
        for name in designation.iterfind("Names/Name"):
            given = join(*(text(name, f"Name{i}") for i in range(1, 6)))
            family = text(name, "Name6")
            full = join(given, family)
            if not full:
                continue
            name_type = (text(name, "NameType") or "").lower()
            if "low" in (text(name, "AliasStrength") or "").lower():
                alias_kind = "weak"
            elif name_type == "primary name" and not any(n.kind == "primary" for n in names):
                alias_kind = "primary"
            else:
                alias_kind = "aka"
            names.append(Name(full, alias_kind, {k: v for k, v in (("first", given), ("last", family)) if v}))
        names += [Name(n.text.strip(), "aka") for n in designation.iterfind("NonLatinNames/NonLatinName/NameNonLatinScript") if n.text and n.text.strip()]
        if not names:
            raise ListFormatError(f"Designation {unique_id} has no name")
        if not any(n.kind == "primary" for n in names):
            names[0] = Name(names[0].full, "primary", names[0].parts)
        person = designation.find("IndividualDetails/Individual")
        dates = [d for d in (_dob(x.text) for x in designation.iterfind("IndividualDetails/Individual/DOBs/DOB")) if d]
        nationalities = {c for c in (country(x.text) for x in designation.iterfind("IndividualDetails/Individual/Nationalities/Nationality")) if c}
        passports = designation.iterfind("IndividualDetails/Individual/PassportDetails/PassportDetail")
        national_ids = designation.iterfind("IndividualDetails/Individual/NationalIdentifierDetails/NationalIdentifierDetail")
        docs = [IdentityDocument("passport", n) for n in (text(p, "PassportNumber") for p in passports) if n]
        docs += [IdentityDocument("national-id", n) for n in (text(p, "NationalIdentifierNumber") for p in national_ids) if n]
        gender = (text(person, "Genders/Gender") or "").lower() or None
        yield Record(
            entity_id=f"uk-{unique_id}", schema=_SCHEMA[kind], names=names, birth_dates=dates, nationalities=sorted(nationalities),
            countries=sorted({c for c in (country(x.text) for x in designation.iterfind("Addresses/Address/AddressCountry")) if c}),
            gender=gender, documents=docs, programs=[p for p in [text(designation, "RegimeName")] if p],
            positions=[p.text.strip() for p in designation.iterfind("IndividualDetails/Individual/Positions/Position") if p.text and p.text.strip()],
            listed_on=_iso_day(text(designation, "DateDesignated")), source_url=source_url,
        )
