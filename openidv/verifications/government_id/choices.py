"""What the government-ID step offers: issuing countries by name and the ID types each one issues.

Sources: the ID classes and their meaning are Persona's (docs.withpersona.com, "Government ID
Verifications": `munid` Municipal ID, `myn` Japan MyNumber Card, `nbi` Philippines NBI Certificate,
...); the country codes are ISO 3166-1 (openidv.checks.icao_countries, from Debian's iso-codes) and
their names come from ICU's CLDR data in the page's language.
"""

from collections.abc import Iterable
from functools import cache

import icu  # type: ignore[import-untyped]

from openidv.checks.icao_countries import ISO3
from openidv.inquiry_templates.config import ID_CLASSES

COUNTRIES: frozenset[str] = frozenset(ISO3.values())

# Human names, by language. Every class of ID_CLASSES has one (tests/unit/test_flow_choices.py).
NAMES: dict[str, dict[str, str]] = {
    "en": {
        "dl": "Driver's licence", "id": "National ID card", "pp": "Passport", "ppc": "Passport card",
        "rp": "Residence permit", "pr": "Permanent residence card", "visa": "Immigration visa", "wp": "Work permit",
        "vid": "Voter ID card", "cct": "Certificate of citizenship", "cid": "Consular ID card",
        "foid": "Foreigner ID card (cédula de extranjería)", "hic": "Provincial health card", "ipp": "Internal passport",
        "keyp": "Keypass ID", "ltpass": "Long-term visit pass", "munid": "Municipal ID card", "myn": "My Number card",
        "nbi": "NBI clearance", "nric": "NRIC identity card", "ofw": "OFW ID (Overseas Filipino Worker)",
        "pan": "PAN card", "pid": "Postal ID", "sss": "SSS card (Social Security System)",
        "td": "Refugee travel document", "tribalid": "Tribal ID card", "umid": "UMID card (Unified Multi-Purpose ID)",
    },
    "es": {
        "dl": "Permiso de conducir", "id": "Documento nacional de identidad", "pp": "Pasaporte", "ppc": "Tarjeta pasaporte",
        "rp": "Permiso de residencia", "pr": "Tarjeta de residencia permanente", "visa": "Visado de inmigración",
        "wp": "Permiso de trabajo", "vid": "Credencial para votar", "cct": "Certificado de ciudadanía",
        "cid": "Matrícula consular", "foid": "Cédula de extranjería", "hic": "Tarjeta sanitaria provincial",
        "ipp": "Pasaporte interno", "keyp": "Tarjeta Keypass", "ltpass": "Pase de visita de larga duración",
        "munid": "Documento de identidad municipal", "myn": "Tarjeta My Number", "nbi": "Certificado NBI",
        "nric": "Tarjeta de identidad NRIC", "ofw": "Tarjeta OFW (trabajador filipino en el extranjero)",
        "pan": "Tarjeta PAN", "pid": "Identificación postal", "sss": "Tarjeta SSS (Seguridad Social)",
        "td": "Documento de viaje para refugiados", "tribalid": "Documento de identidad tribal",
        "umid": "Tarjeta UMID (identificación unificada)",
    },
}

# Classes only some countries issue; every other class is offered for every country.
ISSUED_BY: dict[str, frozenset[str]] = {
    "ppc": frozenset({"US", "IE"}),  # US passport card, Irish passport card
    "vid": frozenset({"IN", "MX", "PH", "NG", "GH", "BD"}),  # voter cards used as identity documents
    "cct": frozenset({"US", "CA"}),
    "cid": frozenset({"MX", "GT"}),  # matrícula consular
    "foid": frozenset({"CO"}),
    "hic": frozenset({"CA"}),
    "ipp": frozenset({"RU"}),
    "keyp": frozenset({"AU"}),
    "ltpass": frozenset({"SG"}),
    "munid": frozenset({"US"}),
    "myn": frozenset({"JP"}),
    "nbi": frozenset({"PH"}),
    "nric": frozenset({"SG", "MY"}),
    "ofw": frozenset({"PH"}),
    "pan": frozenset({"IN"}),
    "pid": frozenset({"PH"}),
    "sss": frozenset({"PH"}),
    "td": frozenset({"US"}),
    "tribalid": frozenset({"CA", "US"}),
    "umid": frozenset({"PH"}),
}
# The order tiles appear in: the documents most people have first.
ORDER = ("pp", "dl", "id", "rp", "pr", "wp", "visa", "ppc", "vid", *sorted(c for c in ISSUED_BY if c not in ("ppc", "vid")))


def _names(language: str) -> dict[str, str]:
    return NAMES.get(language, NAMES["en"])


def id_class_name(id_class: str, language: str) -> str:
    return _names(language).get(id_class) or NAMES["en"].get(id_class) or id_class.upper()


@cache
def _country_names(language: str) -> tuple[tuple[str, str], ...]:
    locale = icu.Locale(language)
    collator = icu.Collator.createInstance(locale)
    named = [(code, icu.Locale("", code).getDisplayCountry(locale)) for code in COUNTRIES]
    return tuple(sorted(named, key=lambda item: collator.getSortKey(item[1])))


def countries(language: str, allowed: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(code, name) in the language's alphabetical order; only `allowed` (a template's list) when given."""
    keep = {c.upper() for c in allowed} if allowed else None
    return [(code, name) for code, name in _country_names(language) if keep is None or code in keep]


def country_name(code: str, language: str) -> str:
    return dict(_country_names(language)).get(code.upper(), code.upper())


def is_country(code: str | None) -> bool:
    return bool(code) and str(code).upper() in COUNTRIES


def issued_by(id_class: str, country: str | None) -> bool:
    """Whether `country` issues `id_class` (any class when the country is unknown)."""
    only = ISSUED_BY.get(id_class)
    return only is None or not country or country.upper() in only


def id_classes(country: str | None, allowed: Iterable[str] | None = None) -> list[str]:
    """The classes to offer, in tile order: those `country` issues (all when no country), within `allowed`."""
    keep = set(allowed) if allowed else set(ID_CLASSES)
    return [c for c in ORDER if c in keep and issued_by(c, country)]


def problem(country: str | None, id_class: str | None, allowed_countries: Iterable[str] | None = None,
            allowed_id_classes: Iterable[str] | None = None) -> tuple[str, str] | None:
    """(field, catalogue key) of the first thing wrong with a chosen country and ID type, or None."""
    code = (country or "").strip().upper()
    if not is_country(code) or (allowed_countries and code not in {c.upper() for c in allowed_countries}):
        return "country", "country.invalid"
    if not id_class or id_class not in id_classes(code, allowed_id_classes):
        return "id-class", "idclass.invalid"
    return None
