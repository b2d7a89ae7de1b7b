"""The canonical list record every adapter produces."""

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

ALIAS_KINDS = ("primary", "aka", "weak")


@dataclass
class Name:
    full: str
    kind: str = "primary"  # primary | aka | weak (weak aliases match only exactly)
    parts: dict[str, str] = field(default_factory=dict)  # first, middle, last


@dataclass
class BirthDate:
    value: str  # YYYY, YYYY-MM or YYYY-MM-DD
    precision: str  # year | month | day


@dataclass
class IdentityDocument:
    kind: str
    number: str
    country: str | None = None


@dataclass
class Record:
    entity_id: str
    schema: str = "Person"  # Person | Organization | Vessel | ...
    names: list[Name] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)  # ISO 3166-1 alpha-2
    countries: list[str] = field(default_factory=list)
    gender: str | None = None
    documents: list[IdentityDocument] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)  # PEP roles
    listed_on: str | None = None
    source_url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Record":
        values = dict(data)
        values["names"] = [Name(**n) for n in data.get("names", [])]
        values["birth_dates"] = [BirthDate(**b) for b in data.get("birth_dates", [])]
        values["documents"] = [IdentityDocument(**d) for d in data.get("documents", [])]
        return cls(**values)

    def content_hash(self) -> str:
        """Stable over field order; a change here is a material change of the entry."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def birth_date(raw: str | None) -> BirthDate | None:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD (also with / separators); anything else is dropped."""
    if not raw:
        return None
    text = raw.strip().replace("/", "-")[:10]
    bits = text.split("-")
    if not bits[0].isdigit() or len(bits[0]) != 4:
        return None
    if len(bits) >= 3 and bits[1].isdigit() and bits[2].isdigit():
        return BirthDate(f"{bits[0]}-{int(bits[1]):02d}-{int(bits[2]):02d}", "day")
    if len(bits) == 2 and bits[1].isdigit():
        return BirthDate(f"{bits[0]}-{int(bits[1]):02d}", "month")
    return BirthDate(bits[0], "year")
