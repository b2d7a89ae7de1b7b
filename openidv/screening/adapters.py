"""One adapter per list format, each yielding canonical `Record`s. XML is read without DTDs or entities
(no expansion, no network); a bad file raises `ListFormatError` with a clear message."""

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import IO

from openidv.screening import eu_fsf, ofac_advanced, uk_fcdo
from openidv.screening.formats import ListFormatError, country, join as _join, text as _text, xml_root
from openidv.screening.record import BirthDate, IdentityDocument, Name, Record, birth_date

SOURCES = ("ofac-sdn", "ofac-consolidated", "un", "eu", "uk", "ftm", "pep-csv")
LIST_TYPE = {"pep-csv": "pep"}


def list_type(source: str, records: list[Record]) -> str:
    """`sanction` or `pep`. A FollowTheMoney file is a PEP list when its people carry OpenSanctions' `role.pep`
    topic and none is sanctioned (OpenSanctions' `peps` collection); other sources are fixed."""
    if source == "ftm":
        topics = {t for r in records for t in r.programs}
        return "pep" if any(t.startswith("role.pep") for t in topics) and "sanction" not in topics else "sanction"
    return LIST_TYPE.get(source, "sanction")
SOURCE_URL = {
    "ofac-sdn": "https://sanctionssearch.ofac.treas.gov/",
    "ofac-consolidated": "https://sanctionssearch.ofac.treas.gov/",
    "un": "https://main.un.org/securitycouncil/en/content/un-sc-consolidated-list",
    "eu": "https://data.europa.eu/data/datasets/consolidated-list-of-persons-groups-and-entities-subject-to-eu-financial-sanctions",
    "uk": "https://www.gov.uk/government/publications/the-uk-sanctions-list",
}
__all__ = ["ADAPTERS", "SOURCES", "ListFormatError", "country", "parse"]


def _ofac_date(raw: str) -> BirthDate | None:
    for fmt, precision, out in (("%d %b %Y", "day", "%Y-%m-%d"), ("%b %Y", "month", "%Y-%m")):
        try:
            return BirthDate(datetime.strptime(raw.strip(), fmt).strftime(out), precision)
        except ValueError:
            continue
    return birth_date(raw[:4]) if raw.strip()[:4].isdigit() else None


def ofac(stream: IO[bytes], source: str) -> Iterator[Record]:
    """OFAC SDN / consolidated list XML: the `sdnList` format (sdn.xml, consolidated.xml) or the advanced one
    (SDN_ADVANCED.XML, CONS_ADVANCED.XML, root `Sanctions`), told apart by the root element."""
    root = xml_root(stream, ("sdnList", "Sanctions"))
    if root.tag == "Sanctions":
        yield from ofac_advanced.records(root, SOURCE_URL[source])
        return
    for entry in root.iter("sdnEntry"):
        uid = _text(entry, "uid")
        last = _text(entry, "lastName")
        if not uid or not last:
            raise ListFormatError(f"sdnEntry without uid or lastName (uid={uid})")
        first = _text(entry, "firstName")
        sdn_type = _text(entry, "sdnType") or "Individual"
        names = [Name(_join(first, last), "primary", {k: v for k, v in (("first", first), ("last", last)) if v})]
        for aka in entry.iter("aka"):
            a_first, a_last = _text(aka, "firstName"), _text(aka, "lastName")
            if a_last:
                kind = "weak" if (_text(aka, "category") or "").lower() == "weak" else "aka"
                names.append(Name(_join(a_first, a_last), kind, {k: v for k, v in (("first", a_first), ("last", a_last)) if v}))
        dates = [d for d in (_ofac_date(x.text or "") for x in entry.iter("dateOfBirth")) if d]
        nats = [c for x in entry.iter("nationality") if (c := country(_text(x, "country")))]
        cits = [c for x in entry.iter("citizenship") if (c := country(_text(x, "country")))]
        docs = [
            IdentityDocument(_text(i, "idType") or "id", number, country(_text(i, "idCountry"))) for i in entry.iter("id") if (number := _text(i, "idNumber"))
        ]
        yield Record(
            entity_id=f"ofac-{uid}", schema="Person" if sdn_type == "Individual" else sdn_type, names=names, birth_dates=dates,
            nationalities=sorted(set(nats + cits)), documents=docs, programs=[p.text.strip() for p in entry.iter("program") if p.text],
            source_url=SOURCE_URL[source],
        )


def un(stream: IO[bytes], source: str) -> Iterator[Record]:  # noqa: ARG001
    """UN Security Council consolidated list XML (`CONSOLIDATED_LIST` / `INDIVIDUALS` / `INDIVIDUAL`)."""
    root = xml_root(stream, ("CONSOLIDATED_LIST",))
    for person in root.iter("INDIVIDUAL"):
        data_id = _text(person, "DATAID")
        first = _text(person, "FIRST_NAME")
        if not data_id or not first:
            raise ListFormatError(f"INDIVIDUAL without DATAID or FIRST_NAME (DATAID={data_id})")
        parts = [first, _text(person, "SECOND_NAME"), _text(person, "THIRD_NAME"), _text(person, "FOURTH_NAME")]
        names = [Name(_join(*parts), "primary", {"first": first, **({"last": p} if (p := next((x for x in reversed(parts[1:]) if x), None)) else {})})]
        for alias in person.iter("INDIVIDUAL_ALIAS"):
            alias_name = _text(alias, "ALIAS_NAME")
            if alias_name:
                quality = (_text(alias, "QUALITY") or "").lower()
                names.append(Name(alias_name, "weak" if quality in ("low", "a.k.a. low") else "aka"))
        dates = []
        for dob in person.iter("INDIVIDUAL_DATE_OF_BIRTH"):
            parsed = birth_date(_text(dob, "DATE") or _text(dob, "YEAR"))
            if parsed:
                dates.append(parsed)
        nats = [c for c in (country(v.text) for v in person.iter("VALUE") if v.text) if c]
        docs = [
            IdentityDocument(_text(d, "TYPE_OF_DOCUMENT") or "id", number, country(_text(d, "ISSUING_COUNTRY")))
            for d in person.iter("INDIVIDUAL_DOCUMENT") if (number := _text(d, "NUMBER"))
        ]
        gender = (_text(person, "GENDER") or "").lower() or None
        yield Record(
            entity_id=f"un-{data_id}", names=names, birth_dates=dates, nationalities=sorted(set(nats)), gender=gender,
            documents=docs, programs=[p for p in [_text(person, "UN_LIST_TYPE")] if p], listed_on=(_text(person, "LISTED_ON") or "")[:10] or None,
            source_url=SOURCE_URL["un"],
        )


def ftm(stream: IO[bytes], source: str) -> Iterator[Record]:  # noqa: ARG001
    """OpenSanctions FollowTheMoney entities, one JSON object a line (only Person entities are screened)."""
    for number, line in enumerate(io.TextIOWrapper(stream, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except ValueError as exc:
            raise ListFormatError(f"line {number}: not JSON ({exc})") from None
        if not isinstance(entity, dict) or "id" not in entity or "schema" not in entity:
            raise ListFormatError(f"line {number}: not a FollowTheMoney entity (needs id and schema)")
        if entity["schema"] != "Person":
            continue
        props = entity.get("properties") or {}
        names = [Name(n, "primary" if i == 0 else "aka") for i, n in enumerate(props.get("name", []))]
        names += [Name(n, "aka") for n in props.get("alias", [])] + [Name(n, "weak") for n in props.get("weakAlias", [])]
        yield Record(
            entity_id=str(entity["id"]), names=names, birth_dates=[d for d in map(birth_date, props.get("birthDate", [])) if d],
            nationalities=sorted({c for c in map(country, props.get("nationality", [])) if c}),
            countries=sorted({c for c in map(country, props.get("country", [])) if c}),
            gender=(props.get("gender") or [None])[0], positions=list(props.get("position", [])),
            programs=list(props.get("program", [])) + list(props.get("topics", [])), source_url=(props.get("sourceUrl") or [None])[0],
        )


PEP_COLUMNS = ("id", "name")


def pep_csv(stream: IO[bytes], source: str) -> Iterator[Record]:  # noqa: ARG001
    """Operator CSV: `id`, `name` required; `aliases` (`;`), `birthdate`, `country`, `position`, `gender`, `url`."""
    try:
        reader = csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
        header = reader.fieldnames or []
    except UnicodeDecodeError as exc:
        raise ListFormatError(f"not UTF-8 text: {exc}") from None
    missing = [c for c in PEP_COLUMNS if c not in header]
    if missing:
        raise ListFormatError(f"CSV is missing the column(s) {', '.join(missing)}")
    for number, row in enumerate(reader, 2):
        if not (row.get("id") or "").strip() or not (row.get("name") or "").strip():
            raise ListFormatError(f"row {number}: id and name are required")
        aliases = [a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()]
        yield Record(
            entity_id=row["id"].strip(), names=[Name(row["name"].strip())] + [Name(a, "aka") for a in aliases],
            birth_dates=[d for d in [birth_date(row.get("birthdate"))] if d], countries=[c for c in [country(row.get("country"))] if c],
            gender=(row.get("gender") or "").strip().lower() or None, positions=[p for p in [(row.get("position") or "").strip()] if p],
            source_url=(row.get("url") or "").strip() or None,
        )


def eu(stream: IO[bytes], source: str) -> Iterator[Record]:  # noqa: ARG001
    """EU financial sanctions (FSF) XML export (`export` / `sanctionEntity`)."""
    yield from eu_fsf.records(xml_root(stream, ("export",)), SOURCE_URL["eu"])


def uk(stream: IO[bytes], source: str) -> Iterator[Record]:  # noqa: ARG001
    """UK Sanctions List XML of the FCDO (`Designations` / `Designation`)."""
    yield from uk_fcdo.records(xml_root(stream, ("Designations",)), SOURCE_URL["uk"])


ADAPTERS: dict[str, Callable[[IO[bytes], str], Iterator[Record]]] = {
    "ofac-sdn": ofac, "ofac-consolidated": ofac, "un": un, "ftm": ftm, "pep-csv": pep_csv, "eu": eu, "uk": uk,
}


def parse(stream: IO[bytes], source: str) -> list[Record]:
    if source not in ADAPTERS:
        raise ListFormatError(f"unknown list source {source!r}; one of {', '.join(SOURCES)}")
    records = list(ADAPTERS[source](stream, source))
    seen: set[str] = set()
    for record in records:
        if record.entity_id in seen:
            raise ListFormatError(f"entity {record.entity_id} appears twice")
        seen.add(record.entity_id)
    if not records:
        raise ListFormatError("the file holds no entries")
    return records
