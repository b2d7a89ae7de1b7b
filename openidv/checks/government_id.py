"""Government ID checks: photos in, Persona-named check objects and extracted attributes out.

`evaluate()` is pure (no database): the verification service looks up what needs stored state
(the document number through a blind index, the portrait's perceptual hash) and passes the outcome
to `apply_history()`, which fills `id_repeat_detection` and the "seen before" half of
`id_compromised_detection`. Each check is a `checks.result.CheckResult`; required ones decide the
verdict. The engines that read the photos (MRZ, barcode, text of the front, portrait detector) come
in as `Readers`, protocol-typed (`checks.protocols`): pass others to try a better model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import cv2
import numpy as np

from openidv.checks import aamva, image_hash, quality, replica, visual_zone
from openidv.checks.barcode import decode_pdf417
from openidv.checks.faces import SHARED_ENGINE
from openidv.checks.mrz_reader import MrzReading, read_mrz
from openidv.checks.ocr import RAPIDOCR
from openidv.checks.portrait import find_portrait
from openidv.checks.protocols import BarcodeReader, FaceDetector, Image, MrzReader, TextReader
from openidv.checks.result import CheckResult, check

# Document numbers printed on published specimens (ICAO Doc 9303, AAMVA and state samples).
SPECIMEN_NUMBERS = frozenset({"L898902C3", "D23145890", "AB2134567", "123456789", "D1234567", "DI23456789"})
# Holders printed on published specimens: (surname, given names or None for any).
SPECIMEN_NAMES = frozenset({("ERIKSSON", "ANNAMARIA"), ("MUSTERMANN", "ERIKA"), ("MUSTERFRAU", None), ("SPECIMEN", None),
                            ("SPECIMEN", "SPECIMEN"), ("SAMPLE", None), ("MARTIN", "MAELYS GAELLE MARIE".replace(" ", "")),
                            ("PUBLIC", "JOHNQ"), ("CITIZEN", "JOHN"), ("HAPPY", "TRAVELER")})
REQUIRED_PROPERTIES = ("name-last", "birthdate", "identification-number", "expiration-date")
# Fields the printed front must show when the MRZ or barcode gave them (the rest costs OCR time for little).
FRONT_FIELDS = ("name-last", "identification-number", "birthdate")
# The back must be sent for classes whose machine-readable data is printed there.
TWO_SIDED = frozenset({"dl", "id"})
MAX_VALIDITY_YEARS = 20
PORTRAIT_HEIGHT = 400  # the card is shrunk to this height for the face detector and the hash


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


@dataclass(frozen=True)
class Readers:
    """The engines `evaluate` reads the photos with. The defaults are openidv's own, each loaded once
    per process when first used; any object of the protocol's shape replaces one."""

    mrz: MrzReader = read_mrz  # the MRZ (passports on the front, TD1 cards on the back)
    barcode: BarcodeReader = decode_pdf417  # the PDF417 of North American cards
    text: TextReader = RAPIDOCR  # the printed front (visual zone)
    faces: FaceDetector = SHARED_ENGINE  # the portrait on the front


DEFAULT_READERS = Readers()


@dataclass
class Result:
    checks: list[CheckResult]
    attributes: dict[str, Any] = field(default_factory=dict)
    mrz_lines: list[str] = field(default_factory=list)
    barcode: str | None = None
    portrait_hash: int | None = None  # 64-bit pHash of the front's face, for "seen before"

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c["name"] == name)


def _na(name: str, reason: str) -> CheckResult:
    c = check(name, True, reasons=[reason], required=False)
    c["status"] = "not_applicable"
    return c


def _age(birthdate: date, today: date) -> int:
    return today.year - birthdate.year - ((today.month, today.day) < (birthdate.month, birthdate.day))


@dataclass
class History:
    """What the verification service found in earlier verifications of other owners (accounts, or
    inquiries without one): ids of those with the same document number, and of those whose portrait
    hash lies within `image_hash.MAX_DISTANCE` (with the distance)."""

    same_number: list[str] = field(default_factory=list)
    same_portrait: list[tuple[str, int]] = field(default_factory=list)


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
             today: date | None = None, readers: Readers = DEFAULT_READERS) -> Result:
    settings = settings or Settings()
    today = today or date.today()
    checks: list[CheckResult] = []
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
    portrait_hash = _surface_checks(checks, evidence, front, back, grays, readers.faces)

    # The MRZ: passports carry it on the front, TD1 cards on the back; the side that should have it is
    # read first, the other only when it gave none. When neither did, the back's reading is reported.
    reading: MrzReading | None = None
    sides = images if evidence.id_class == "pp" else images[::-1]
    for d in sides if evidence.id_class != "dl" else []:  # North American licences carry no MRZ
        side_reading = readers.mrz(d.rgb)
        if side_reading.mrz is not None or reading is None or d is back:
            reading = side_reading
        if side_reading.mrz is not None:
            break
    mrz = reading.mrz if reading else None
    payload, card = None, None
    if evidence.id_class in (None, "dl", "id") or mrz is None:
        # Back first (where cards print it); with the MRZ read, the barcode is only a cross-check: the
        # back alone, and the shipped reader's plain passes only (its retries are for a barcode that is the source).
        for d in reversed(images) if mrz is None or back is None else [back]:
            payload = decode_pdf417(d.rgb, thorough=False) if mrz is not None and readers.barcode is decode_pdf417 else readers.barcode(d.rgb)
            if payload:
                break
    card_error = None
    if payload:
        try:
            card = aamva.parse(payload)
        except aamva.AamvaError as exc:
            card_error = str(exc)

    # The printed front: compared with the MRZ or barcode when they were read, else the only source.
    front_fields: dict[str, Any] = {}
    front_reading = None
    # Not when MRZ rows were found but not read: the verification fails for them whatever the front
    # says (a retake, or check digits that disagree), and reading every box of the front is its dearest work.
    if front is not None and mrz is None and card is None and not (reading and reading.found):
        front_fields = visual_zone.extract(front.rgb, ocr=readers.text)
    entity = mrz is not None or card is not None or bool(reading and reading.found) or len(front_fields) >= 2
    checks.append(check("id_entity_detection", entity, reasons=[] if entity else ["cannot_verify_id"],
                        metadata={"mrz-rows-found": bool(reading and reading.found), "barcode-decoded": payload is not None}))

    if mrz is not None:
        checks.append(check("id_mrz_detection", True, metadata={"format": mrz.format}))
        checks.append(check("id_mrz_inconsistency_detection", mrz.valid, reasons=[f"check_digit_{n}" for n in mrz.failed_checks]))
    elif reading and reading.mismatch_certain:
        # Rows read without doubt whose printed check digits disagree: the document's own inconsistency.
        checks.append(check("id_mrz_detection", True, metadata={"raw": reading.raw}))
        checks.append(check("id_mrz_inconsistency_detection", False, reasons=["check_digit_mismatch"],
                            metadata={"raw": reading.raw, "failed-checks": reading.failed_checks}))
    elif reading and reading.found:
        # Rows that look like an MRZ but could not be read with certainty (a doubtful character may be
        # why check digits disagree): unreadable, a new photo is needed; never a tampering signal.
        checks.append(check("id_mrz_detection", False, reasons=["mrz_unreadable"], metadata={
            "raw": reading.raw, "reader-reason": reading.reasons[0] if reading.reasons else None,
            "failed-checks": reading.failed_checks}))
        checks.append(_na("id_mrz_inconsistency_detection", "mrz_unreadable"))
    else:
        checks.append(check("id_mrz_detection", False, reasons=["mrz_not_found"], required=evidence.id_class == "pp"))

    wants_barcode = evidence.id_class == "dl" or (mrz is None and evidence.back is not None)
    if card is not None:
        checks.append(check("id_barcode_detection", True, required=wants_barcode, metadata={"aamva-version": card.version}))
    elif payload is None and not wants_barcode:
        # Nothing to look for: a passport (or a card read by its MRZ) carries no barcode.
        checks.append(_na("id_barcode_detection", "barcode_not_applicable"))
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
        barcode_attrs["sex"] = {"M": "Male", "F": "Female"}.get(str(barcode_attrs.get("sex") or ""))
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
    for key, value in front_fields.items():  # only when neither was read
        attrs.setdefault(key, value)
    if front is not None and (mrz is not None or card is not None):
        front_reading = visual_zone.confirm(front.rgb, {k: attrs.get(k) for k in FRONT_FIELDS}, ocr=readers.text)

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
    checks.append(_extraction_consistency(disagreements, front_reading, "mrz" if mrz is not None else "barcode"))

    missing = [k for k in REQUIRED_PROPERTIES if not attrs.get(k)]
    checks.append(check("id_extracted_properties_detection", not missing, reasons=["no_required_properties"] if missing else [],
                        metadata={"missing": missing}))

    expiry = attrs.get("expiration-date")
    if expiry is None:
        checks.append(check("id_expired_detection", False, reasons=["no_expiration_date"]))
    else:
        checks.append(check("id_expired_detection", expiry >= today, reasons=[] if expiry >= today else ["expired"],
                            metadata={"expiration-date": expiry.isoformat()}))

    checks.append(_valid_dates(attrs, today))

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
    checks.append(_compromised(attrs, History()))
    checks.append(_na("id_repeat_detection", "not_enabled"))
    return Result(checks, attrs, mrz.lines if mrz else [], payload, portrait_hash)


def apply_history(result: Result, history: History) -> Result:
    """Fold the service's look-ups into the checks (pure): `id_repeat_detection` and the seen-before
    half of `id_compromised_detection`. Without a document number the repeat check cannot apply."""
    repeat = _repeat(result.attributes, history)
    compromised = _compromised(result.attributes, history)
    checks = [repeat if c["name"] == "id_repeat_detection" else compromised if c["name"] == "id_compromised_detection" else c
              for c in result.checks]
    if not any(c["name"] == "id_repeat_detection" for c in checks):  # an early failure (no image) has neither
        checks = checks + [repeat, compromised] if result.attributes else checks
    return Result(checks, result.attributes, result.mrz_lines, result.barcode, result.portrait_hash)


def _repeat(attrs: dict[str, Any], history: History) -> CheckResult:
    if not attrs.get("identification-number"):
        return _na("id_repeat_detection", "missing_identification_number")
    return check("id_repeat_detection", not history.same_number, reasons=["repeat_identification_number"] if history.same_number else [],
                 metadata={"matching-verification-ids": history.same_number[:20], "matches": len(history.same_number)})


def _compromised(attrs: dict[str, Any], history: History) -> CheckResult:
    number = attrs.get("identification-number")
    specimen_number = number is not None and _fold(number) in SPECIMEN_NUMBERS
    last, given = _fold(attrs.get("name-last")), _fold(" ".join(str(attrs.get(k) or "") for k in ("name-first", "name-middle")))
    specimen_name = bool(last) and ((last, given) in SPECIMEN_NAMES or (last, None) in SPECIMEN_NAMES)
    reasons = (["specimen_document"] if specimen_number or specimen_name else []) + (["image_seen_before"] if history.same_portrait else [])
    return check("id_compromised_detection", not reasons, reasons=reasons, metadata={
        "identification-number-is-specimen": specimen_number, "name-is-specimen": specimen_name,
        "portrait-seen-on-verification-ids": [vid for vid, _ in history.same_portrait[:20]],
        "portrait-hash-distances": [d for _, d in history.same_portrait[:20]], "max-hash-distance": image_hash.MAX_DISTANCE})


def _surface_checks(checks: list[CheckResult], evidence: Evidence, front: quality.Decoded | None, back: quality.Decoded | None,
                    grays: list[Image], detector: FaceDetector) -> int | None:
    """Portrait, both sides and screen replica: what the photos show before any text is read.
    Returns the portrait's perceptual hash (None when no face was found)."""
    portrait_hash = None
    if front is not None:
        scale = min(1.0, PORTRAIT_HEIGHT / front.rgb.shape[0])
        small: np.ndarray = cv2.resize(front.rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else front.rgb
        face = find_portrait(small, detector)
        if face is not None:
            x, y, w, h = face.box
            half = int(0.6 * max(w, h))
            cx, cy = x + w // 2, y + h // 2
            crop = quality.gray_of(small)[max(0, cy - half):cy + half, max(0, cx - half):cx + half]
            portrait_hash = image_hash.phash(crop) if crop.size else None
        checks.append(check("id_portrait_detection", face is not None, reasons=[] if face else ["portrait_not_found"],
                            metadata={"portrait-score": round(face.score, 3) if face else None,
                                      "portrait-box": [round(v / scale) for v in face.box] if face else None}))
        score = replica.moire_score(front.rgb)
        replica_seen = score >= replica.THRESHOLD
        checks.append(check("id_electronic_replica_detection", not replica_seen, reasons=["replica_detected"] if replica_seen else [],
                            metadata={"moire-score": round(score, 2), "threshold": replica.THRESHOLD}))
    needs_back = evidence.id_class in TWO_SIDED
    if front is not None and back is not None:
        same_bytes = evidence.front == evidence.back
        distance = image_hash.distance(image_hash.phash(grays[0]), image_hash.phash(grays[1]))
        twice = same_bytes or distance <= image_hash.MAX_DISTANCE
        checks.append(check("id_double_side_detection", not twice, reasons=["side_submitted_twice"] if twice else [],
                            required=needs_back, metadata={"front-back-hash-distance": distance, "identical-files": same_bytes}))
    elif needs_back:
        checks.append(check("id_double_side_detection", False, reasons=["missing_back"] if front is not None else ["missing_front"],
                            metadata={"id-class": evidence.id_class}))
    else:
        checks.append(_na("id_double_side_detection", "single_sided"))
    return portrait_hash


def _extraction_consistency(barcode_vs_mrz: list[str], front: visual_zone.Reading | None, source: str) -> CheckResult:
    """Front (visual zone) vs MRZ vs barcode. A field the MRZ or barcode gave that the front does not
    print is an inconsistency; so is a field on which MRZ and barcode disagree."""
    front_missing = front.missing if front is not None else []
    reasons = ([f"front_{source}_mismatch"] if front_missing else []) + (["barcode_mrz_mismatch"] if barcode_vs_mrz else [])
    return check("id_extraction_inconsistency_detection", not reasons, reasons=reasons, metadata={
        "fields": sorted(set(front_missing + barcode_vs_mrz)), "front-fields-not-printed": front_missing,
        "barcode-mrz-fields": barcode_vs_mrz, "front-fields-compared": sorted(front.found) + front_missing if front else [],
        "front-text-boxes-read": front.boxes_read if front else 0})


def _valid_dates(attrs: dict[str, Any], today: date) -> CheckResult:
    """Born before issue, issued before expiry, nothing issued or born in the future, plausible ages
    and validity periods."""
    birth, issued, expires = attrs.get("birthdate"), attrs.get("issue-date"), attrs.get("expiration-date")
    if not any(isinstance(d, date) for d in (birth, issued, expires)):
        return _na("id_valid_dates_detection", "no_dates")
    bad = []
    if isinstance(birth, date) and (birth > today or today.year - birth.year > 130):
        bad.append("implausible_birthdate")
    if isinstance(birth, date) and isinstance(issued, date) and issued <= birth:
        bad.append("issued_before_birth")
    if isinstance(issued, date) and issued > today:
        bad.append("issued_in_future")
    if isinstance(issued, date) and isinstance(expires, date) and expires <= issued:
        bad.append("expires_before_issue")
    if isinstance(expires, date) and isinstance(birth, date) and expires <= birth:
        bad.append("expires_before_birth")
    if isinstance(expires, date) and expires > today + timedelta(days=365 * MAX_VALIDITY_YEARS + 5):
        bad.append("expiry_too_far")
    return check("id_valid_dates_detection", not bad, reasons=bad, metadata={
        "invalid": bad, "max-validity-years": MAX_VALIDITY_YEARS,
        "dates-checked": [k for k, v in (("birthdate", birth), ("issue-date", issued), ("expiration-date", expires)) if isinstance(v, date)]})


def _inquiry_comparison(attrs: dict[str, Any], fields: dict[str, Any] | None) -> CheckResult:
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
