"""OFAC's advanced sanctions XML (SDN_ADVANCED.XML / CONS_ADVANCED.XML, root `Sanctions`).

A normalised format: reference value sets (alias, party, feature, name-part and document types,
countries) are looked up by numeric id; parties (`DistinctParty/Profile`) carry identities with
aliases made of name parts, and features (birth date, nationality, citizenship, gender); identity
documents and sanctions entries (programs, listing date) point back at identities and profiles.
Entity ids are `ofac-<FixedRef>`, the same as the `sdnList` format's `uid`, so both formats diff alike.
"""

import calendar
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator

from openidv.screening.formats import ListFormatError, join, text
from openidv.screening.record import BirthDate, IdentityDocument, Name, Record

_FIRST = ("First Name", "Middle Name", "Patronymic", "Matronymic")
_LAST = ("Last Name", "Maiden Name")


def _values(root: ET.Element, set_name: str) -> dict[str, ET.Element]:
    found = root.find(f"ReferenceValueSets/{set_name}")
    return {el.get("ID", ""): el for el in (found if found is not None else [])}


def _label(values: dict[str, ET.Element], key: str | None) -> str:
    el = values.get(key or "")
    return (el.text or "").strip() if el is not None else ""


def _point(el: ET.Element | None) -> tuple[int, int, int] | None:
    """`<Year>`, `<Month>`, `<Day>` children as numbers (month and day default to 1)."""
    if el is None or not text(el, "Year"):
        return None
    try:
        return int(text(el, "Year") or 0), int(text(el, "Month") or 1), int(text(el, "Day") or 1)
    except ValueError:
        raise ListFormatError(f"a date with a non-numeric part: {ET.tostring(el)[:160]!r}") from None


def _date(period: ET.Element | None) -> BirthDate | None:
    """A `DatePeriod`: a single day, a whole month or a whole year (ranges of several years keep the first year)."""
    if period is None:
        return None
    start, end = _point(period.find("Start/From")), _point(period.find("End/To")) or _point(period.find("Start/To"))
    if start is None:
        return None
    end = end or start
    if start == end:
        return BirthDate(f"{start[0]:04d}-{start[1]:02d}-{start[2]:02d}", "day")
    if start[0] == end[0] and start[1:] == (1, 1) and end[1:] == (12, 31):
        return BirthDate(f"{start[0]:04d}", "year")
    if start[:2] == end[:2] and start[2] == 1 and end[2] == calendar.monthrange(end[0], end[1])[1]:
        return BirthDate(f"{start[0]:04d}-{start[1]:02d}", "month")
    return BirthDate(f"{start[0]:04d}", "year")


def _names(identity: ET.Element, alias_types: dict[str, ET.Element], part_types: dict[str, ET.Element]) -> list[Name]:
    groups = {g.get("ID"): _label(part_types, g.get("NamePartTypeID")) for g in identity.iter("NamePartGroup")}
    names: list[Name] = []
    for alias in identity.iter("Alias"):
        if alias.get("Primary") == "true":
            kind = "primary"
        elif alias.get("LowQuality") == "true":
            kind = "weak"
        else:
            kind = "aka"
        for documented in alias.iter("DocumentedName"):
            parts: dict[str, list[str]] = defaultdict(list)
            order: list[str] = []
            for value in documented.iter("NamePartValue"):
                if value.text and value.text.strip():
                    parts[groups.get(value.get("NamePartGroupID"), "")].append(value.text.strip())
                    order.append(value.text.strip())
            if not order:
                continue
            first = join(*(v for t in _FIRST for v in parts.get(t, [])))
            last = join(*(v for t in _LAST for v in parts.get(t, [])))
            full = join(first, last) if first or last else join(*order)
            name_parts = {k: v for k, v in (("first", first), ("last", last)) if v}
            names.append(Name(full, kind if kind != "aka" or _label(alias_types, alias.get("AliasTypeID")) != "Name" else "primary", name_parts))
    primaries = [n for n in names if n.kind == "primary"]
    return primaries[:1] + [Name(n.full, "aka", n.parts) for n in primaries[1:]] + [n for n in names if n.kind != "primary"]


def records(root: ET.Element, source_url: str) -> Iterator[Record]:
    alias_types = _values(root, "AliasTypeValues")
    part_types = _values(root, "NamePartTypeValues")
    feature_types = _values(root, "FeatureTypeValues")
    doc_types = _values(root, "IDRegDocTypeValues")
    party_types = _values(root, "PartyTypeValues")
    sub_types = _values(root, "PartySubTypeValues")
    details = _values(root, "DetailReferenceValues")
    countries = {key: (el.get("ISO2") or "").upper() or None for key, el in _values(root, "CountryValues").items()}
    location_country = {
        loc.get("ID"): countries.get(lc.get("CountryID", ""))
        for loc in root.iterfind("Locations/Location") for lc in loc.iterfind("LocationCountry")
    }
    documents: dict[str, list[IdentityDocument]] = defaultdict(list)
    for doc in root.iterfind("IDRegDocuments/IDRegDocument"):
        number = text(doc, "IDRegistrationNo")
        if number:
            kind = _label(doc_types, doc.get("IDRegDocTypeID")) or "id"
            documents[doc.get("IdentityID", "")].append(IdentityDocument(kind, number, countries.get(doc.get("IssuedBy-CountryID", ""))))
    programs: dict[str, list[str]] = defaultdict(list)
    listed: dict[str, str] = {}
    for entry in root.iterfind("SanctionsEntries/SanctionsEntry"):
        profile_id = entry.get("ProfileID") or text(entry, "ProfileID") or ""
        programs[profile_id] += [c.text.strip() for c in entry.iterfind("SanctionsMeasure/Comment") if c.text and c.text.strip()]
        when = _point(entry.find("EntryEvent/Date"))
        if when is not None:
            listed.setdefault(profile_id, f"{when[0]:04d}-{when[1]:02d}-{when[2]:02d}")
    parties = root.findall("DistinctParties/DistinctParty")
    if root.find("DistinctParties") is None:
        raise ListFormatError("advanced XML without <DistinctParties>")
    for party in parties:
        ref = party.get("FixedRef")
        profile = party.find("Profile")
        if not ref or profile is None:
            raise ListFormatError(f"DistinctParty without FixedRef or Profile (FixedRef={ref})")
        sub_type = sub_types.get(profile.get("PartySubTypeID", ""))
        party_type = (
            _label(party_types, sub_type.get("PartyTypeID") if sub_type is not None else None) or (sub_type.text if sub_type is not None else "") or "Entity"
        )
        names: list[Name] = []
        docs: list[IdentityDocument] = []
        for identity in profile.iterfind("Identity"):
            names += _names(identity, alias_types, part_types)
            docs += documents.get(identity.get("ID", ""), [])
        if not names:
            raise ListFormatError(f"DistinctParty {ref} has no name")
        dates: list[BirthDate] = []
        nationalities: set[str] = set()
        gender = None
        for feature in profile.iterfind("Feature"):
            kind = _label(feature_types, feature.get("FeatureTypeID")).lower()
            for version in feature.iterfind("FeatureVersion"):
                if kind == "birthdate":
                    if (found := _date(version.find("DatePeriod"))) is not None:
                        dates.append(found)
                elif kind in ("nationality country", "citizenship country"):
                    nationalities.update(c for loc in version.iterfind("VersionLocation") if (c := location_country.get(loc.get("LocationID"))))
                elif kind == "gender":
                    gender = next((_label(details, d.get("DetailReferenceID")).lower() for d in version.iterfind("VersionDetail")), gender) or gender
        yield Record(
            entity_id=f"ofac-{ref}", schema="Person" if party_type == "Individual" else party_type, names=names, birth_dates=dates,
            nationalities=sorted(nationalities), gender=gender, documents=docs, programs=programs.get(profile.get("ID", ""), []),
            listed_on=listed.get(profile.get("ID", "")), source_url=source_url,
        )
