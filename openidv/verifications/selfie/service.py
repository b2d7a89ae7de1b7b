"""Selfie verifications (`verification/selfie`): `center-photo`, `left-photo`, `right-photo` (each a
`{"data": <base64>, "filename"}` object, a list of them for a burst of frames, or multipart parts),
sealed into `<data_dir>/files/` like government-ID photos and served through the same kind of signed
URLs; `submit` enqueues `selfie.process`, which compares the face with the inquiry's government-ID
portrait and the account's earlier selfies (`openidv.checks.selfie`) and concludes the verification.

Biometric data: the face embedding is sealed in `selfie_biometrics` (never rendered). Photos and
embedding go on redaction (any path: the kind's `forget`) and, at the latest, after
`OPENIDV_BIOMETRIC_RETENTION_DAYS` (default 3 years, the Illinois BIPA ceiling; `selfies.purge-expired`).

Step settings (template): `preset` (`strict` | `default` | `lenient`), `kind` (`profile-and-center` |
`center-only`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks.selfie import SelfieEvidence, SelfieSettings, evaluate
from openidv.jobs import enqueue_in_tx, every, session as job_session
from openidv.kit import storage
from openidv.kit.clock import iso, now
from openidv.kit.errors import ApiError, bad_request, conflict
from openidv.kit.file_links import Files
from openidv.kit.jsonapi import get_str
from openidv.lifecycle import VerificationStatus
from openidv.models import Inquiry, SelfieBiometric, Verification
from openidv.verifications import repository, service as verifications
from openidv.verifications.government_id import service as government_ids
from openidv.verifications.photos import decode

KIND = "selfie"
POSES = ("center", "left", "right")
SELFIE_KINDS = ("profile-and-center", "center-only")
PRESETS = ("strict", "default", "lenient")
MAX_FRAMES = 5  # per pose: a short burst
SCORE_KEYS = ("selfie-similarity-score-left", "selfie-similarity-score-right", "center-photo-face-coordinates")


class Retention:
    """How long biometric data may be kept, from `Settings.biometric_retention_days`."""

    days: int = 1095


def configure(settings: Any) -> None:
    Retention.days = settings.biometric_retention_days


def _file(verification_id: str, pose: str, frame: int = 0) -> str:
    """Frame 0 keeps the government-ID naming (`<ver>-<side>`), so its signed URL serves it."""
    return f"{verification_id}-{pose}" if frame == 0 else f"{verification_id}-{pose}-{frame}"


def _frames(attrs: dict[str, Any], pose: str) -> list[bytes]:
    key = f"{pose}-photo"
    value = attrs.get(key)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not items or len(items) > MAX_FRAMES:
        raise bad_request(f"{verifications.ATTR}.{key} takes 1 to {MAX_FRAMES} frames")
    return [decode(item, key) for item in items]


def _missing(pose: str) -> ApiError:
    return ApiError(422, f"{pose}-photo is required", title="Unprocessable entity", pointer=f"/data/attributes/{pose}-photo")


def _selfie_kind(attrs: dict[str, Any], step: Any) -> str:
    """`capture-method` (or `kind`) names the kind; `photo`/absent means the step's setting."""
    given = get_str(attrs, "capture-method", verifications.ATTR, max_length=40) or get_str(attrs, "kind", verifications.ATTR, max_length=40)
    if given in (None, "photo"):
        given = verifications.settings(step).get("kind") or "profile-and-center"
    if given not in SELFIE_KINDS:
        raise bad_request(f"{verifications.ATTR}.capture-method must be one of {', '.join(SELFIE_KINDS)}")
    return given


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    target = verifications.resolve(db, environment_id, attrs, KIND)
    selfie_kind = _selfie_kind(attrs, target.step)
    frames = {pose: _frames(attrs, pose) for pose in POSES}
    poses = POSES if selfie_kind == "profile-and-center" else ("center",)
    for pose in POSES:
        if pose in poses and not frames[pose]:
            raise _missing(pose)
        if pose not in poses and frames[pose]:
            raise bad_request(f"{verifications.ATTR}.{pose}-photo is not taken by a center-only selfie")
    verification = verifications.start(db, environment_id, target, KIND, {"selfie-kind": selfie_kind}, None, actor)
    db.flush()
    db.add(SelfieBiometric(verification_id=verification.id, created_at=now()))
    _store_frames(db, verification, frames)
    return verification


def _store_frames(db: Session, verification: Verification, frames: dict[str, list[bytes]]) -> None:
    """Seal the frames into the data folder (frame 0 of each pose is what its photo URL serves)."""
    storage.put_in_transaction(db, Files.store, {_file(verification.id, pose, index): content
                                                    for pose, pose_frames in frames.items() for index, content in enumerate(pose_frames)})
    verification.data = {**verification.data, "frames": {p: len(f) for p, f in frames.items() if f},
                         "photo-sizes": {p: len(f[0]) for p, f in frames.items() if f}}


def submit(db: Session, verification: Verification, actor: str) -> None:
    if verification.status != VerificationStatus.INITIATED:
        raise conflict(f"Verification is {verification.status}, not initiated")
    if "center" not in verification.data.get("frames", {}):
        raise _missing("center")
    lifecycle.transition(db, verification, "submit", actor=actor)
    enqueue_in_tx(db, process_job, key=f"selfie:{verification.id}", verification_id=verification.id)


# ---------------------------------------------------------------- processing


def _settings(step: Any, selfie_kind: str) -> SelfieSettings:
    preset = verifications.settings(step).get("preset") or "default"
    return SelfieSettings(preset=preset if preset in PRESETS else "default", kind=selfie_kind)


def id_portrait(db: Session, inquiry_id: str | None) -> bytes | None:
    """The front photo of the inquiry's latest submitted or passed government ID (API or flow)."""
    if not inquiry_id:
        return None
    candidates = [v for v in repository.of_inquiry(db, inquiry_id)
                  if v.kind == government_ids.KIND and v.status in (VerificationStatus.SUBMITTED, VerificationStatus.PASSED) and v.redacted_at is None]
    for verification in reversed(candidates):
        front = storage.get(Files.store, _file(verification.id, "front")) if "front" in verification.data.get("photos", []) else None
        if front:
            return front
    return None


def account_embeddings(db: Session, inquiry: Inquiry | None, verification_id: str) -> list[list[float]]:
    if inquiry is None or not inquiry.account_id:
        return []
    rows = repository.account_selfie_embeddings(db, inquiry.account_id, verification_id)
    return [e for e in (row.embedding for row in rows) if e]


def run_checks(db: Session, verification: Verification, step: Any, frames: dict[str, list[bytes]], selfie_kind: str) -> list[dict[str, Any]]:
    """The engines on the frames; the embedding is sealed apart, the scores kept on the verification."""
    inquiry = db.get(Inquiry, verification.inquiry_id) if verification.inquiry_id else None
    evidence = SelfieEvidence(center=frames.get("center", []), left=frames.get("left", []), right=frames.get("right", []),
                              id_portrait=id_portrait(db, verification.inquiry_id),
                              account_embeddings=account_embeddings(db, inquiry, verification.id))
    result = evaluate(evidence, _settings(step, selfie_kind))
    row = db.get(SelfieBiometric, verification.id)
    if row is None:
        row = SelfieBiometric(verification_id=verification.id, created_at=now())
        db.add(row)
    row.embedding = [float(x) for x in result.embedding] if result.embedding is not None else None
    scores = {k: v for k, v in (result.attributes or {}).items() if k in SCORE_KEYS}
    if result.document_similarity_score is not None:
        scores["document-similarity-score"] = float(result.document_similarity_score)
    engine = {k: v for k, v in (result.attributes or {}).items() if k in ("preset", "liveness-level")}  # for reviewers
    verification.data = {**verification.data, "scores": scores, "engine": engine}
    required = verifications.requirement(step, frozenset(c["name"] for c in result.checks if c["requirement"] == "required"))
    return [dict(c, requirement="required" if c["name"] in required else "not_required") for c in result.checks]


def stored_checks(db: Session, verification: Verification) -> list[dict[str, Any]]:
    """The engines on the selfie's stored frames, with its step's settings."""
    _, step = verifications.config_for(db, verification)
    data = verification.data
    frames = {pose: [storage.get(Files.store, _file(verification.id, pose, i)) or b"" for i in range(count)]
              for pose, count in data.get("frames", {}).items()}
    return run_checks(db, verification, step, frames, data.get("selfie-kind", "profile-and-center"))


def process_selfie(db: Session, verification: Verification) -> None:
    """Run the engines and conclude a submitted selfie (idempotent: only from `submitted`)."""
    if verification.status != VerificationStatus.SUBMITTED or verification.redacted_at is not None:
        return
    verifications.finish(db, verification, stored_checks(db, verification), None)


process_job = verifications.processing_job("selfie.process", process_selfie, unprocessable_check="selfie_unprocessable_submission_detection")


# ---------------------------------------------------------------- biometric data: redaction and retention


def forget(db: Session, verification: Verification) -> None:
    """Delete a selfie's photos (stored files, and the flow uploads that earlier versions kept apart) and its embedding."""
    row = db.get(SelfieBiometric, verification.id)
    if row is not None:
        db.delete(row)
    repository.delete_flow_uploads(db, verification.id)
    names = [_file(verification.id, pose, i) for pose in POSES for i in range(MAX_FRAMES)]
    storage.delete_after_commit(db, Files.store, names)


def purge_expired(db: Session, *, limit: int = 500) -> int:
    """Forget the biometric data of selfies older than the retention period; the verification stays."""
    purged = repository.selfie_biometrics_before(db, now() - timedelta(days=Retention.days), limit)
    for verification_id in purged:
        verification = db.get(Verification, verification_id)
        if verification is None:
            continue
        forget(db, verification)
        data = verification.data
        data.pop("frames", None)
        data.pop("files", None)
        verification.data = {**data, "biometrics-purged-at": iso(now())}
    return len(purged)


@every(3600, "selfies.purge-expired")
def purge_expired_job() -> None:
    with job_session() as db:
        purge_expired(db)


# ---------------------------------------------------------------- rendering


def photo_url(verification: Verification, pose: str) -> str | None:
    if pose not in verification.data.get("frames", {}) or verification.redacted_at is not None:
        return None
    return government_ids.signed_url(verification, "selfies", pose)


def attributes(verification: Verification) -> dict[str, Any]:
    data = verification.data
    scores = data.get("scores", {})
    urls = {pose: photo_url(verification, pose) for pose in POSES}
    return {
        "capture-method": "photo",
        "center-photo-url": urls["center"], "left-photo-url": urls["left"], "right-photo-url": urls["right"],
        "photo-urls": [{"page": f"{pose}_photo", "url": url, "byte-size": int(data.get("photo-sizes", {}).get(pose, 0)),
                        "filename": f"selfie_{pose}.jpg"} for pose, url in urls.items() if url],
        "video-url": None,
        "center-photo-face-coordinates": scores.get("center-photo-face-coordinates"),
        "document-similarity-score": scores.get("document-similarity-score"),
        "selfie-similarity-score-left": scores.get("selfie-similarity-score-left"),
        "selfie-similarity-score-right": scores.get("selfie-similarity-score-right"),
        "entity-confidence-reasons": [],
        "from-reusable-persona": False,
    }

