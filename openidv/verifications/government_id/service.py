"""Government ID verifications (`verification/government-id`): photos in (`front-photo`,
`back-photo` as `{"data": <base64>, "filename"}`, or raw bytes from a multipart part or the hosted
flow's capture), sealed into `<data_dir>/files/`, served through expiring signed URLs; `submit`
enqueues the `government-id.process` job, which runs the engines in `openidv.checks.government_id`
and concludes the verification through the lifecycle. The hosted flow makes its verifications with
the same `create` and `submit`; a passed one fills its inquiry's empty fields (`inquiry_fields`).

Step settings (template): `min_age`, `max_age`, `allowed_countries`, `allowed_id_classes`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks import image_hash
from openidv.checks.government_id import Evidence, History, Result, Settings, apply_history, evaluate
from openidv.inquiry_templates.config import ID_CLASSES as TEMPLATE_ID_CLASSES, Step, TemplateConfig
from openidv.jobs import enqueue_in_tx
from openidv.kit import crypto, file_links, storage
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict
from openidv.kit.file_links import Files
from openidv.kit.ids import new_id
from openidv.kit.jsonapi import get_str
from openidv.lifecycle import VerificationStatus
from openidv.models import GovernmentIdFingerprint, Inquiry, Verification
from openidv.verifications import repository, service as verifications, uploads
from openidv.verifications.government_id import choices
from openidv.verifications.kinds import Captured
from openidv.verifications.photos import photo as read_photo

KIND = "government-id"
SIDES = ("front", "back")
ID_CLASSES = frozenset(TEMPLATE_ID_CLASSES)  # the classes a template may allow, the flow offers and the API takes


def _file(verification_id: str, side: str) -> str:
    return f"{verification_id}-{side}"


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    target = verifications.resolve(db, environment_id, attrs, KIND)
    country = get_str(attrs, "country-code", verifications.ATTR, max_length=2)
    id_class = get_str(attrs, "id-class", verifications.ATTR, max_length=10)
    if id_class is not None and id_class not in ID_CLASSES:
        raise bad_request(f"{verifications.ATTR}.id-class must be one of {', '.join(sorted(ID_CLASSES))}")
    photos = {side: read_photo(attrs, f"{side}-photo") for side in SIDES}
    data: dict[str, Any] = {"id-class": id_class, "photos": [s for s, p in photos.items() if p],
                            "photo-sizes": {s: len(p) for s, p in photos.items() if p}}
    verification = verifications.start(db, environment_id, target, KIND, data, country.upper() if country else None, actor)
    db.flush()
    storage.put_in_transaction(db, Files.store, {_file(verification.id, side): content for side, content in photos.items() if content})
    return verification


def submit(db: Session, verification: Verification, actor: str) -> None:
    if verification.status != VerificationStatus.INITIATED:
        raise conflict(f"Verification is {verification.status}, not initiated")
    if "front" not in verification.data.get("photos", []):
        raise ApiError(422, "front-photo is required before submitting", title="Unprocessable entity", pointer="/data/attributes/front-photo")
    lifecycle.transition(db, verification, "submit", actor=actor)
    enqueue_in_tx(db, process_job, key=f"gid:{verification.id}", verification_id=verification.id)


def _settings(db: Session, verification: Verification, step: Any) -> Settings:
    """The step's settings; country and id-class lists fall back to the template's own."""
    raw = verifications.settings(step)
    try:
        config, _ = verifications.config_for(db, verification)
    except ApiError:  # a verification made outside a template version (the flow's engine test)
        config = None
    return Settings(min_age=raw.get("min_age"), max_age=raw.get("max_age"),
                    allowed_countries=raw.get("allowed_countries") or (config.allowed_countries if config else None) or None,
                    allowed_id_classes=raw.get("allowed_id_classes") or (config.allowed_id_classes if config else None) or None)


def run_checks(db: Session, verification: Verification, step: Any, photos: dict[str, bytes | None], id_class: str | None,
               *, today: date | None = None) -> list[dict[str, Any]]:
    """The engines on the photos; the extracted attributes are kept (sealed) on the verification."""
    inquiry = db.get(Inquiry, verification.inquiry_id) if verification.inquiry_id else None
    result = evaluate(Evidence(photos.get("front"), photos.get("back"), verification.country_code, id_class),
                      _settings(db, verification, step), inquiry_fields=_inquiry_fields(inquiry), today=today)
    result = apply_history(result, _history_and_remember(db, verification, inquiry, result, id_class))
    required = verifications.requirement(step, frozenset(c["name"] for c in result.checks if c["requirement"] == "required"))
    extracted = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in result.attributes.items()}
    # What the MRZ and barcode said, word for word: the reviewer's case page shows it (sealed like the rest).
    verification.data = {**verification.data, "extracted": extracted, "mrz-lines": list(result.mrz_lines), "barcode-text": result.barcode}
    return [dict(c, requirement="required" if c["name"] in required else "not_required") for c in result.checks]


def number_index(country: str | None, id_class: str | None, number: str) -> str:
    """Blind index of a document number: HMAC-SHA256 under the key ring's index key, the number
    folded to letters and digits and scoped by issuing country and id class."""
    folded = "".join(ch for ch in number.upper() if ch.isalnum())
    return crypto.ring().blind_index("government-id-number", f"{(country or '').upper()}|{id_class or ''}|{folded}")


def _history_and_remember(db: Session, verification: Verification, inquiry: Inquiry | None, result: Result,
                          id_class: str | None) -> History:
    """Earlier verifications of OTHER owners (the account, else the inquiry) with the same document
    number or a portrait within `image_hash.MAX_DISTANCE` bits; then this verification's own
    fingerprints are stored (replacing any from an earlier run of the job)."""
    owner = (inquiry.account_id if inquiry else None) or verification.inquiry_id or verification.id

    def other(row: GovernmentIdFingerprint) -> bool:
        return (row.account_id or row.inquiry_id or row.verification_id) != owner

    env = verification.environment_id
    attrs = result.attributes
    rows: list[GovernmentIdFingerprint] = []
    history = History()
    number = attrs.get("identification-number")
    if number:
        index = number_index(attrs.get("issuing-country") or verification.country_code, attrs.get("id-class") or id_class, str(number))
        seen = repository.fingerprint_owners(db, env, "number", [index], verification.id)
        history.same_number = sorted({r.verification_id for r in seen if other(r)})
        rows.append(_fingerprint(verification, inquiry, "number", index))
    if result.portrait_hash is not None:
        bands = image_hash.bands(result.portrait_hash)
        candidates = {r.verification_id for r in repository.fingerprint_owners(db, env, "portrait-band", bands, verification.id) if other(r)}
        for row in repository.portrait_hashes(db, candidates):
            distance = image_hash.distance(result.portrait_hash, int(row.value, 16))
            if distance <= image_hash.MAX_DISTANCE:
                history.same_portrait.append((row.verification_id, distance))
        history.same_portrait.sort(key=lambda pair: pair[1])
        rows.append(_fingerprint(verification, inquiry, "portrait", image_hash.to_hex(result.portrait_hash)))
        rows += [_fingerprint(verification, inquiry, "portrait-band", band) for band in bands]
    repository.replace_fingerprints(db, verification.id, rows)
    return history


def _fingerprint(verification: Verification, inquiry: Inquiry | None, kind: str, value: str) -> GovernmentIdFingerprint:
    return GovernmentIdFingerprint(id=new_id("gidfp"), environment_id=verification.environment_id, verification_id=verification.id,
                                   account_id=inquiry.account_id if inquiry else None, inquiry_id=verification.inquiry_id,
                                   kind=kind, value=value, created_at=now())


def stored_checks(db: Session, verification: Verification, *, today: date | None = None) -> list[dict[str, Any]]:
    """The engines on the verification's stored photos, with its step's settings."""
    _, step = verifications.config_for(db, verification)
    data = verification.data
    photos = {s: storage.get(Files.store, _file(verification.id, s)) for s in data.get("photos", [])}
    return run_checks(db, verification, step, photos, data.get("id-class"), today=today)


def process_government_id(db: Session, verification: Verification, *, today: date | None = None) -> None:
    """Run the engines and conclude a submitted verification (idempotent: only from `submitted`)."""
    if verification.status != VerificationStatus.SUBMITTED:
        return
    verifications.finish(db, verification, stored_checks(db, verification, today=today), None)


def _inquiry_fields(inquiry: Inquiry | None) -> dict[str, Any] | None:
    if inquiry is None:
        return None
    fields = inquiry.fields or {}
    out = {}
    for key in ("name-first", "name-last", "birthdate", "identification-number"):
        value = fields.get(key)
        if isinstance(value, dict):
            value = value.get("value")
        if value not in (None, ""):
            out[key] = value
    return out or None


process_job = verifications.processing_job("government-id.process", process_government_id, unprocessable_check="id_unprocessable_submission_detection")


# ---------------------------------------------------------------- signed photo URLs


def photo_url(verification: Verification, side: str) -> str | None:
    if side not in verification.data.get("photos", []) or verification.redacted_at is not None:
        return None
    return signed_url(verification, "government-ids", side)


def signed_url(verification: Verification, plural: str, side: str) -> str:
    """An expiring link to one photo of a verification (`/verification/<plural>/<id>/<side>-photo`), bound to
    the verification's environment wherever it is rendered (an API answer, a job's webhook payload)."""
    return file_links.url(f"verification/{plural}/{verification.id}/{side}-photo", verification.id, side, verification.environment_id)


def attributes(verification: Verification) -> dict[str, Any]:
    data = verification.data
    x = data.get("extracted", {})
    front, back = photo_url(verification, "front"), photo_url(verification, "back")
    return {
        "front-photo-url": front, "back-photo-url": back, "selfie-photo-url": None,
        "photo-urls": [{"page": side, "url": url, "normalized-url": url, "original-urls": [url],
                        "byte-size": int(data.get("photo-sizes", {}).get(side, 0)), "filename": f"{side}.jpg"}
                       for side, url in (("front", front), ("back", back)) if url],
        "video-url": None, "id-class": x.get("id-class") or data.get("id-class"), "capture-method": "upload",
        "entity-confidence-score": 100 if x else None, "entity-confidence-reasons": [],
        "name-first": x.get("name-first"), "name-middle": x.get("name-middle"), "name-last": x.get("name-last"),
        "name-suffix": None, "birthdate": x.get("birthdate"), "address-street-1": x.get("address-street-1"),
        "address-street-2": None, "address-city": x.get("address-city"), "address-subdivision": x.get("address-subdivision"),
        "address-postal-code": x.get("address-postal-code"), "issuing-authority": None,
        "issuing-subdivision": x.get("issuing-subdivision"), "nationality": x.get("nationality"), "document-number": None,
        "visa-status": None, "issue-date": x.get("issue-date"), "expiration-date": x.get("expiration-date"),
        "designations": [], "birthplace": None, "endorsements": None, "height": None, "sex": x.get("sex"),
        "restrictions": None, "vehicle-class": None, "identification-number": x.get("identification-number"),
    }


def forget_photos(db: Session, verification: Verification) -> None:
    """A redacted government ID loses its photos (the sealed files, and the flow uploads that earlier
    versions kept apart) and its fingerprints (number blind index, portrait hash): it no longer counts for repeats."""
    repository.delete_flow_uploads(db, verification.id)
    repository.replace_fingerprints(db, verification.id, [])
    storage.delete_after_commit(db, Files.store, [_file(verification.id, side) for side in SIDES])


# ---------------------------------------------------------------- the hosted flow's intake

TWO_SIDED = {"dl", "id", "rp", "pr", "wp", "cid", "nric", "umid", "hic", "munid", "myn"}


def capture(_inquiry: Inquiry, _step: Step, config: TemplateConfig, form: dict[str, str], files: dict[str, bytes]) -> Captured:
    """Country and ID class chosen from the template's lists, then one photo per side the class has:
    the attributes `create` takes."""
    country = (form.get("country") or "").upper()
    id_class = form.get("id-class") or ""
    wrong = choices.problem(country, id_class, config.allowed_countries, config.allowed_id_classes or TEMPLATE_ID_CLASSES)
    if wrong is not None:  # a country that exists and is allowed, and an ID type that country issues
        raise uploads.InputProblem(*wrong)
    sides = ("front", "back") if id_class in TWO_SIDED else ("front",)
    checked = {side: uploads.check(side, files.get(side)) for side in sides}
    return Captured({"country-code": country, "id-class": id_class, **{f"{side}-photo": c.content for side, c in checked.items()}})


# What a passed government ID tells its inquiry (Persona's inquiry field keys), from what was read.
READ_FIELDS = ("name-first", "name-middle", "name-last", "birthdate", "address-street-1", "address-street-2", "address-city",
               "address-subdivision", "address-postal-code", "identification-number")
EXPIRATION_FIELDS = ("expiration-date", "identification-expiration-date")  # filled when the template has such a field


def inquiry_fields(verification: Verification) -> dict[str, Any]:
    """The inquiry fields a passed verification fills: the name, birthdate, address and number read from
    the ID, its class and country (read, else chosen), and its expiration date."""
    data = verification.data
    read = data.get("extracted") or {}
    out: dict[str, Any] = {key: read.get(key) for key in READ_FIELDS}
    country = read.get("address-country-code") or read.get("issuing-country") or verification.country_code
    id_class = read.get("id-class") or data.get("id-class")
    out.update({"address-country-code": country, "identification-class": id_class,
                "selected-country-code": verification.country_code, "selected-id-class": data.get("id-class")})
    out.update({key: read.get("expiration-date") for key in EXPIRATION_FIELDS})
    return {key: value for key, value in out.items() if value not in (None, "")}
