"""EU financial sanctions: the FSF XML export (`export` / `sanctionEntity`, namespace
http://eu.europa.ec/fpi/fsd/export). Names are `nameAlias` attributes (`strong="false"` marks a weak
alias; the EU has no primary flag, so the first strong alias is the primary name), birth dates are
`birthdate` elements (a full date or a year), nationalities `citizenship`, documents `identification`."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from openidv.screening.formats import ListFormatError, country, join
from openidv.screening.record import BirthDate, IdentityDocument, Name, Record, birth_date

_SCHEMA = {"person": "Person", "enterprise": "Organization"}


def _birth_date(el: ET.Element) -> BirthDate | None:
    full = birth_date(el.get("birthdate"))
    if full is not None:
        return full
    year, month, day = el.get("year"), el.get("monthOfYear"), el.get("dayOfMonth")
    if not year:
        return None
    return birth_date("-".join(p for p in (year, month if month else None, day if month and day else None) if p))


def records(root: ET.Element, source_url: str) -> Iterator[Record]:
    for entity in root.iter("sanctionEntity"):
        logical_id = entity.get("logicalId")
        if not logical_id:
            raise ListFormatError(f"sanctionEntity without logicalId (euReferenceNumber={entity.get('euReferenceNumber')})")
        subject = entity.find("subjectType")
        schema = _SCHEMA.get(subject.get("code", "") if subject is not None else "", "Entity")
        names: list[Name] = []
        gender = None
        for alias in entity.iter("nameAlias"):
            first = join(alias.get("firstName"), alias.get("middleName"))
            last = (alias.get("lastName") or "").strip()
            whole = (alias.get("wholeName") or "").strip() or join(first, last)
            if not whole:
                continue
            weak = alias.get("strong") == "false"
            kind = "weak" if weak else ("primary" if not any(n.kind == "primary" for n in names) else "aka")
            names.append(Name(whole, kind, {k: v for k, v in (("first", first), ("last", last)) if v}))
            gender = gender or {"M": "male", "F": "female"}.get((alias.get("gender") or "").upper())
        if not names:
            raise ListFormatError(f"sanctionEntity {logical_id} has no nameAlias with a name")
        if not any(n.kind == "primary" for n in names):
            names[0] = Name(names[0].full, "primary", names[0].parts)
        regulations = entity.findall("regulation")
        published = sorted(when for r in regulations if (when := r.get("publicationDate")))
        yield Record(
            entity_id=f"eu-{logical_id}", schema=schema, names=names,
            birth_dates=[d for d in (_birth_date(b) for b in entity.iter("birthdate")) if d],
            nationalities=sorted({c for c in (country(x.get("countryIso2Code")) for x in entity.iter("citizenship")) if c and c != "00"}),
            gender=gender,
            documents=[
                IdentityDocument(i.get("identificationTypeCode") or "id", number, c if (c := country(i.get("countryIso2Code"))) != "00" else None)
                for i in entity.iter("identification") if (number := i.get("number"))
            ],
            programs=sorted({programme for r in regulations if (programme := r.get("programme"))}),
            listed_on=published[0][:10] if published else None, source_url=source_url,
        )
