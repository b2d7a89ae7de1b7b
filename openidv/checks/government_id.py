"""Government ID checks: photos in, Persona-named check objects and extracted attributes out.

`evaluate()` is pure (no database): the verification service adds what needs stored state
(`id_repeat_detection` through a blind index, images seen before). Each check is built with
`openidv.verifications.service.check`; required ones decide the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openidv.checks import aamva, quality
from openidv.checks.barcode import decode_pdf417
from openidv.checks.mrz_reader import read_mrz
from openidv.verifications.service import check

# Document numbers printed on published specimens (ICAO Doc 9303, AAMVA and state samples).
SPECIMEN_NUMBERS = frozenset({"L898902C3", "D23145890", "AB2134567", "123456789", "D1234567", "DI23456789"})
REQUIRED_PROPERTIES = ("name-last", "birthdate", "identification-number", "expiration-date")


@dataclass
class Evidence:
    front: bytes | None
    back: bytes | None = None
    country_code: str | None = None
    id_class: str | None = None


@dataclass
class Settings:
    min_age: int | None = None
    max_age: int | None = None
    allowed_countries: list[str] | None = None
    allowed_id_classes: list[str] | None = None


@dataclass
class Result:
    checks: list[dict[str, Any]]
    attributes: dict[str, Any] = field(default_factory=dict)
    mrz_lines: list[str] = field(default_factory=list)
    barcode: str | None = None

    def check(self, name: str) -> dict[str, Any]:
        return next(c for c in self.checks if c["name"] == name)


def _na(name: str, reason: str) -> dict[str, Any]:
    c = check(name, True, reasons=[reason], required=False)
    c["status"] = "not_applicable"
    return c


def _age(birthdate: date, today: date) -> int:
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


def _decode(data: bytes | None) -> tuple[quality.Decoded | None, str | None]:
    if not data:
        return None, "no_image"
    try:
        return quality.decode(data), None
    except quality.ImageRejected as exc:
        return None, str(exc)


def _fold(value: Any) -> str:
    return "".join(ch for ch in str(value or "").upper() if ch.isalnum())


def evaluate(evidence: Evidence, settings: Settings | None = None, *, inquiry_fields: dict[str, Any] | None = None,
             today: date | None = None) -> Result:
    settings = settings or Settings()
    today = today or date.today()
    checks: list[dict[str, Any]] = []
    front, front_error = _decode(evidence.front)
    back, back_error = _decode(evidence.back) if evidence.back else (None, None)
    images = [d for d in (front, back) if d is not None]
    if not images:
        checks.append(check("id_entity_detection", False, reasons=["cannot_verify_id"],
                            metadata={"error": front_error or back_error}))
        return Result(checks)

    grays = [quality.gray_of(d.rgb) for d in images]
    blur = min(quality.blur_score(g) for g in grays)
    glare = max(quality.glare_fraction(g) for g in grays)
    checks.append(check("id_blur_detection", blur >= quality.BLUR_THRESHOLD, reasons=[] if blur >= quality.BLUR_THRESHOLD else ["too_blurry"],
                        metadata={"blur-score": round(blur, 1), "threshold": quality.BLUR_THRESHOLD}))
    checks.append(check("id_glare_detection", glare <= quality.GLARE_THRESHOLD, reasons=[] if glare <= quality.GLARE_THRESHOLD else ["too_much_glare"],
                        metadata={"glare-fraction": round(glare, 3), "threshold": quality.GLARE_THRESHOLD}))

    # The MRZ: passports carry it on the front, TD1 cards on the back; read whichever has it.
    reading = None
    for d in images if evidence.id_class != "dl" else []:  # North American licences carry no MRZ
        reading = read_mrz(d.rgb)
        if reading.mrz is not None:
            break
    mrz = reading.mrz if reading else None
    payload, card = None, None
    if evidence.id_class in (None, "dl", "id") or mrz is None:
        for d in reversed(images):
            payload = decode_pdf417(d.rgb)
            if payload:
                break
    card_error = None
    if payload:
        try:
            card = aamva.parse(payload)
        except aamva.AamvaError as exc:
            card_error = str(exc)

    entity = mrz is not None or card is not None or bool(reading and reading.found)
    checks.append(check("id_entity_detection", entity, reasons=[] if entity else ["cannot_verify_id"],
                        metadata={"mrz-rows-found": bool(reading and reading.found), "barcode-decoded": payload is not None}))

    if mrz is not None:
        checks.append(check("id_mrz_detection", True, metadata={"format": mrz.format}))
        checks.append(check("id_mrz_inconsistency_detection", mrz.valid, reasons=[f"check_digit_{n}" for n in mrz.failed_checks]))
    elif reading and reading.found:
        # Rows that look like an MRZ but whose check digits never agreed.
        checks.append(check("id_mrz_detection", True, metadata={"raw": reading.raw}))
        checks.append(check("id_mrz_inconsistency_detection", False, reasons=["check_digit_mismatch"], metadata={"raw": reading.raw}))
    else:
        checks.append(check("id_mrz_detection", False, reasons=["mrz_not_found"], required=evidence.id_class == "pp"))

    wants_barcode = evidence.id_class == "dl" or (mrz is None and evidence.back is not None)
    if card is not None:
        checks.append(check("id_barcode_detection", True, required=wants_barcode, metadata={"aamva-version": card.version}))
    else:
        reason = "barcode_not_decoded" if payload else "barcode_not_detected"
        checks.append(check("id_barcode_detection", False, reasons=[reason], required=wants_barcode,
                            metadata={"error": card_error} if card_error else {}))

    attrs: dict[str, Any] = {}
    if mrz is not None and mrz.valid:
        attrs = {"name-first": mrz.given_names.split(" ")[0] or None, "name-middle": " ".join(mrz.given_names.split(" ")[1:]) or None,
                 "name-last": mrz.surname or None, "birthdate": mrz.birthdate, "expiration-date": mrz.expiration_date,
                 "identification-number": mrz.document_number, "sex": {"M": "Male", "F": "Female"}.get(mrz.sex),
                 "issuing-country": mrz.issuing_country, "nationality": mrz.nationality_country, "id-class": mrz.id_class}
    barcode_attrs = card.attributes() if card is not None else {}
    if barcode_attrs:
        barcode_attrs["sex"] = {"M": "Male", "F": "Female"}.get(barcode_attrs.get("sex") or "")
    # Barcode vs MRZ (when a card carries both) on the fields both hold.
    disagreements = []
    if attrs and barcode_attrs:
        for key in ("name-last", "birthdate", "identification-number", "expiration-date"):
            if attrs.get(key) and barcode_attrs.get(key) and _fold(attrs[key]) != _fold(barcode_attrs[key]):
                disagreements.append(key)
    attrs = {k: v for k, v in attrs.items() if v is not None}
    for key, value in barcode_attrs.items():  # the MRZ wins where both hold a value
        if value is not None:
            attrs.setdefault(key, value)

    if card is not None:
        # The barcode's own dates must make sense: born before issue, issue before expiry.
        birth, issued, expires = card.date("DBB"), card.date("DBD"), card.date("DBA")
        bad = [k for k, v in (("birthdate", birth), ("expiration-date", expires)) if v is None]
        if birth and issued and birth >= issued:
            bad.append("issue-date")
        if issued and expires and issued >= expires:
            bad.append("expiration-date")
        checks.append(check("id_barcode_inconsistency_detection", not bad and not disagreements,
                            reasons=(["barcode_dates_invalid"] if bad else []) + (["barcode_mrz_mismatch"] if disagreements else []),
                            metadata={"fields": sorted(set(bad + disagreements))}))
    checks.append(check("id_extraction_inconsistency_detection", not disagreements,
                        reasons=["missing_properties"] if disagreements else [], metadata={"fields": disagreements}))

    missing = [k for k in REQUIRED_PROPERTIES if not attrs.get(k)]
    checks.append(check("id_extracted_properties_detection", not missing, reasons=["no_required_properties"] if missing else [],
                        metadata={"missing": missing}))

    expiry = attrs.get("expiration-date")
    if expiry is None:
        checks.append(check("id_expired_detection", False, reasons=["no_expiration_date"]))
    else:
        checks.append(check("id_expired_detection", expiry >= today, reasons=[] if expiry >= today else ["expired"],
                            metadata={"expiration-date": expiry.isoformat()}))

    birth = attrs.get("birthdate")
    if settings.min_age is None and settings.max_age is None:
        checks.append(check("id_age_comparison", True, reasons=["disabled"], required=False))
    elif birth is None:
        checks.append(check("id_age_comparison", False, reasons=["missing_birthdate"]))
    else:
        age = _age(birth, today)
        ok = (settings.min_age is None or age >= settings.min_age) and (settings.max_age is None or age <= settings.max_age)
        checks.append(check("id_age_comparison", ok, reasons=[] if ok else ["age_out_of_range"],
                            metadata={"age": age, "min-age": settings.min_age, "max-age": settings.max_age}))

    country = attrs.get("issuing-country") or evidence.country_code
    if settings.allowed_countries:
        ok = country is not None and country.upper() in {c.upper() for c in settings.allowed_countries}
        checks.append(check("id_disallowed_country_detection", ok, reasons=[] if ok else (["no_country"] if country is None else ["country_not_allowed"]),
                            metadata={"country-code": country}))
    else:
        checks.append(check("id_disallowed_country_detection", country is not None, reasons=[] if country else ["no_country"],
                            required=False, metadata={"country-code": country}))
    id_class = attrs.get("id-class") or evidence.id_class
    if settings.allowed_id_classes:
        ok = id_class in settings.allowed_id_classes
        checks.append(check("id_disallowed_type_detection", ok, reasons=[] if ok else ["type_not_allowed"], metadata={"id-class": id_class}))
    else:
        checks.append(check("id_disallowed_type_detection", True, required=False, metadata={"id-class": id_class}))

    checks.append(_inquiry_comparison(attrs, inquiry_fields))
    number = attrs.get("identification-number")
    specimen = number is not None and _fold(number) in SPECIMEN_NUMBERS
    checks.append(check("id_compromised_detection", not specimen, reasons=["specimen_document"] if specimen else [],
                        metadata={"identification-number-is-specimen": specimen}))
    return Result(checks, attrs, mrz.lines if mrz else [], payload)


def _inquiry_comparison(attrs: dict[str, Any], fields: dict[str, Any] | None) -> dict[str, Any]:
    if not fields:
        return check("id_inquiry_comparison", True, reasons=["no_inquiry"], required=False)
    mismatched = []
    for key in ("name-first", "name-last", "birthdate", "identification-number"):
        claimed = fields.get(key)
        if claimed in (None, "") or attrs.get(key) is None:
            continue
        value = attrs[key].isoformat() if isinstance(attrs[key], date) else attrs[key]
        if _fold(claimed) != _fold(value):
            mismatched.append(key)
    return check("id_inquiry_comparison", not mismatched, reasons=["inquiry_mismatch"] if mismatched else [],
                 metadata={"mismatched-fields": mismatched})
