"""What every list adapter shares: the error it raises, safe XML reading, country names to ISO codes."""

import xml.etree.ElementTree as ET
from typing import IO

from openidv.checks.icao_countries import ISO3

# Country names as the official lists spell them; a two-letter value is taken as ISO already.
_COUNTRY_NAMES = {
    "afghanistan": "AF", "iran": "IR", "iraq": "IQ", "syria": "SY", "syrian arab republic": "SY", "russia": "RU",
    "russian federation": "RU", "north korea": "KP", "korea, north": "KP", "democratic people's republic of korea": "KP",
    "cuba": "CU", "venezuela": "VE", "libya": "LY", "yemen": "YE", "somalia": "SO", "sudan": "SD", "pakistan": "PK",
    "lebanon": "LB", "belarus": "BY", "ukraine": "UA", "china": "CN", "united states": "US", "united kingdom": "GB",
    "germany": "DE", "france": "FR", "mexico": "MX", "colombia": "CO", "saudi arabia": "SA", "egypt": "EG",
    "turkey": "TR", "united arab emirates": "AE", "mali": "ML", "nigeria": "NG", "myanmar": "MM", "burma": "MM",
}


class ListFormatError(ValueError):
    """The file is not a valid list of the announced format (message says where and why)."""


def country(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a code or a country name; None when unknown (`00` is the EU's "unknown")."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    if len(text) == 3 and text.upper() in ISO3:
        return ISO3[text.upper()]
    known = _COUNTRY_NAMES.get(text.lower())
    if known is None and len(text) > 3:
        known = _territory(text)
    return known


def _territory(name: str) -> str | None:
    """rigour's territory names (a dependency of nomenklatura) cover the spellings the small table lacks."""
    try:
        from rigour.territories import lookup_territory  # noqa: PLC0415 - optional, and only for names the table lacks
    except ImportError:  # pragma: no cover - rigour ships with nomenklatura
        return None
    territory = lookup_territory(name)
    code = territory.ftm_country if territory is not None else None
    return code.upper() if code and len(code) == 2 else None


def xml_root(stream: IO[bytes], root_tags: tuple[str, ...]) -> ET.Element:
    """Parse a whole list file (no DTDs, no entities, no network) and strip namespaces from its tags."""
    raw = stream.read()
    if b"<!DOCTYPE" in raw[:2000] or b"<!ENTITY" in raw:
        raise ListFormatError("XML with a DOCTYPE or entities is refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ListFormatError(f"malformed or truncated XML: {exc}") from None
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    if root.tag not in root_tags:
        raise ListFormatError(f"unexpected root element <{root.tag}>, expected {' or '.join('<' + t + '>' for t in root_tags)}")
    return root


def text(el: ET.Element | None, path: str) -> str | None:
    found = el.find(path) if el is not None else None
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)
