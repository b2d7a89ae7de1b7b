"""The reviewer's case: every piece of evidence an inquiry holds, gathered once for the dashboard's case page
and for `GET /inquiries/{id}/print` (its PDF), so both show the same facts.

Where each fact lives: photos in the file store (`<ver>-<side>`, `<ver>-<pose>`, document files by `docf_` id),
what was read from an ID in the verification's sealed data (`extracted`, `mrz-lines`, `barcode-text`), scores,
signals and the thresholds they were judged by in the checks' metadata, matches in the reports' results,
who opened the flow on the inquiry sessions, consents in `flow_consents`. A redacted inquiry keeps none of
it: only statuses, check names and the timeline's names and times are gathered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from openidv.auth import repository as auth
from openidv.documents import files as document_files, repository as documents
from openidv.events import repository as events
from openidv.inquiry_sessions import repository as sessions
from openidv.kit import storage
from openidv.kit.file_links import Files
from openidv.models import Document, Event, Inquiry, InquirySession, Report, Verification
from openidv.reports import repository as reports
from openidv.verifications import repository as verifications
from openidv.verifications.government_id import service as government_ids
from openidv.verifications.selfie import service as selfies

# What an ID is read for, in the order a reviewer compares it with what the inquiry holds.
COMPARED = (("name-first", "First name"), ("name-middle", "Middle name"), ("name-last", "Last name"), ("birthdate", "Date of birth"),
            ("identification-number", "ID number"), ("expiration-date", "Expiration date"), ("address-street-1", "Street address"),
            ("address-city", "City"), ("address-subdivision", "State or region"), ("address-postal-code", "Postal code"))
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
PORTRAIT_SIDE = 2000  # the longest side the ID checks read a photo at (checks.quality.decode): their boxes are in that scale


@dataclass
class Picture:
    label: str
    url: str  # a signed link, relative to this server (the dashboard's CSP allows img-src 'self')
    stored_as: str  # its name in the file store, for the PDF
    box: list[int] | None = None  # the face on it (x, y, w, h in the photo shrunk to PORTRAIT_SIDE), to show the ID's portrait


@dataclass
class Comparison:
    label: str
    read: str | None  # from the ID
    given: str | None  # the inquiry's field
    differs: bool


@dataclass
class FaceMatch:
    status: str
    score: float | None  # 0-100, 50 at the threshold
    distance: float | None
    threshold: float | None
    reasons: list[str]


@dataclass
class Liveness:
    status: str
    level: str | None
    signals: dict[str, Any]
    thresholds: dict[str, Any]
    reasons: list[str]


@dataclass
class VerificationCase:
    row: Verification
    pictures: list[Picture] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    other_read: dict[str, Any] = field(default_factory=dict)
    mrz_lines: list[str] = field(default_factory=list)
    barcode_text: str | None = None
    face: FaceMatch | None = None
    liveness: Liveness | None = None
    id_portrait: Picture | None = None  # a selfie's: the ID front its face was compared with
    checks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DocumentFile:
    filename: str
    mime: str
    url: str
    stored_as: str

    @property
    def is_image(self) -> bool:
        return self.mime in IMAGE_TYPES

    @property
    def is_pdf(self) -> bool:
        return self.mime == "application/pdf"


@dataclass
class DocumentCase:
    row: Document
    files: list[DocumentFile]
    fields: dict[str, Any]


@dataclass
class ReportCase:
    row: Report
    hits: list[dict[str, Any]]
    dismissed: list[dict[str, Any]]


@dataclass
class Moment:
    at: datetime
    name: str
    object_id: str
    actor: str | None
    actor_label: str | None  # who, in words: a dashboard user's e-mail address, an API key, the person in the flow
    ip_address: str | None
    user_agent: str | None


@dataclass
class Case:
    inquiry: Inquiry
    redacted: bool
    fields: dict[str, Any]
    verifications: list[VerificationCase]
    documents: list[DocumentCase]
    reports: list[ReportCase]
    timeline: list[Moment]
    consents: list[Any]
    sessions: list[InquirySession]

    @property
    def name(self) -> str:
        return " ".join(str(self.fields[k]) for k in ("name-first", "name-middle", "name-last") if self.fields.get(k))

    @property
    def pictures(self) -> list[Picture]:
        return [p for v in self.verifications for p in v.pictures]


def _local(url: str) -> str:
    """The signed link without this server's base URL: the page that shows it is on the same server."""
    return url[url.index("/api/v1/"):]


def _value(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) and "value" in value else value


def _fold(value: Any) -> str:
    return " ".join(str(value).casefold().split())


def _check(check: dict[str, Any], redacted: bool) -> dict[str, Any]:
    kept = {k: check.get(k) for k in ("name", "status", "reasons", "requirement")}
    kept["metadata"] = {} if redacted else (check.get("metadata") or {})
    return kept


def _government_id(case: VerificationCase, fields: dict[str, Any]) -> None:
    row = case.row
    for side in government_ids.SIDES:
        url = government_ids.photo_url(row, side)
        if url:
            case.pictures.append(Picture(f"ID {side}", _local(url), f"{row.id}-{side}"))
    read = row.data.get("extracted") or {}
    for key, label in COMPARED:
        got, given = read.get(key), _value(fields.get(key))
        if got in (None, "") and given in (None, ""):
            continue
        differs = got not in (None, "") and given not in (None, "") and _fold(got) != _fold(given)
        case.comparisons.append(Comparison(label, None if got is None else str(got), None if given is None else str(given), differs))
    compared = {key for key, _ in COMPARED}
    case.other_read = {k: v for k, v in read.items() if k not in compared and v not in (None, "")}
    case.mrz_lines = list(row.data.get("mrz-lines") or [])
    case.barcode_text = row.data.get("barcode-text")


def _selfie(case: VerificationCase) -> None:
    row = case.row
    for pose in selfies.POSES:
        url = selfies.photo_url(row, pose)
        if url:
            case.pictures.append(Picture(f"Selfie {pose}", _local(url), f"{row.id}-{pose}"))
    by_name = {c["name"]: c for c in row.checks}
    comparison = by_name.get("selfie_id_comparison")
    if comparison is not None:
        meta = comparison.get("metadata") or {}
        score = (row.data.get("scores") or {}).get("document-similarity-score")
        case.face = FaceMatch(comparison["status"], score, meta.get("distance"), meta.get("threshold"), comparison.get("reasons") or [])
    live = by_name.get("selfie_liveness_detection")
    if live is not None:
        meta = live.get("metadata") or {}
        case.liveness = Liveness(live["status"], meta.get("level"), meta.get("signals") or {}, meta.get("thresholds") or {}, live.get("reasons") or [])


def _portrait_box(row: Verification) -> list[int] | None:
    """Where the ID's portrait is on its front, as `id_portrait_detection` found it."""
    found = next((c for c in row.checks if c["name"] == "id_portrait_detection"), None)
    box = (found.get("metadata") or {}).get("portrait-box") if found else None
    return [int(v) for v in box] if isinstance(box, list) and len(box) == 4 else None


def _verification(row: Verification, fields: dict[str, Any], redacted: bool) -> VerificationCase:
    case = VerificationCase(row, checks=[_check(c, redacted) for c in row.checks])
    if redacted or row.redacted_at is not None:
        return case
    if row.kind == government_ids.KIND:
        _government_id(case, fields)
    elif row.kind == selfies.KIND:
        _selfie(case)
    return case


def _document(row: Document, redacted: bool) -> DocumentCase:
    if redacted:
        return DocumentCase(row, [], {})
    data = row.data
    found = [DocumentFile(r["filename"], r.get("mime") or "", _local(document_files.url(r, row.id, row.environment_id)), r["id"])
             for r in data.get("files", [])]
    return DocumentCase(row, found, {k: _value(v) for k, v in (data.get("fields") or {}).items()})


def _report(row: Report, redacted: bool) -> ReportCase:
    if redacted or row.redacted_at is not None:
        return ReportCase(row, [], [])
    result = row.result or {}
    return ReportCase(row, list(result.get("hits", [])), list(result.get("ignored", [])))


def _client_of(event: Event, by_id: dict[str, InquirySession], started: list[InquirySession]) -> InquirySession | None:
    """The session whose person did this: the session's own events, else for the flow's actions the latest
    session opened before the event (IP address and user agent are known only for the hosted flow)."""
    if event.object_id in by_id:
        return by_id[event.object_id]
    if event.actor != "flow":
        return None
    earlier = [s for s in started if s.started_at is not None and s.started_at <= event.created_at]
    return earlier[-1] if earlier else None


def _actor_labels(db: Session, actors: set[str]) -> dict[str, str]:
    labels = {}
    for actor in actors:
        if actor.startswith("user_"):
            user = auth.user(db, actor)
            labels[actor] = f"{user.email} (dashboard)" if user else actor
        elif actor.startswith("api_"):
            labels[actor] = f"API key {actor}"
        elif actor == "flow":
            labels[actor] = "the person (hosted flow)"
    return labels


def _timeline(db: Session, inquiry: Inquiry, object_ids: list[str], rows: list[InquirySession], redacted: bool) -> list[Moment]:
    by_id = {s.id: s for s in rows}
    started = sorted((s for s in rows if s.started_at is not None), key=lambda s: s.started_at or s.created_at)
    found = events.of_objects(db, inquiry.environment_id, object_ids)
    labels = _actor_labels(db, {e.actor for e in found if e.actor})
    out = []
    for event in found:
        who = None if redacted else _client_of(event, by_id, started)
        out.append(Moment(event.created_at, event.name, event.object_id, event.actor, labels.get(event.actor or "", event.actor),
                          who.ip_address if who else None, who.user_agent if who else None))
    return out


def gather(db: Session, inquiry: Inquiry) -> Case:
    """Everything a reviewer decides on, read in one session (the caller loaded `inquiry` in its environment)."""
    redacted = inquiry.redacted_at is not None
    fields = {} if redacted else {k: _value(v) for k, v in (inquiry.fields or {}).items()}
    found = verifications.of_inquiry(db, inquiry.id)
    papers = documents.of_inquiry(db, inquiry.id)
    screened = reports.of_inquiry(db, inquiry.id)
    rows = sessions.of_inquiry(db, inquiry.id)
    object_ids = [inquiry.id, *(v.id for v in found), *(d.id for d in papers), *(r.id for r in screened), *(s.id for s in rows)]
    gathered = [_verification(v, inquiry.fields or {}, redacted) for v in found]
    fronts = [(p, _portrait_box(v.row)) for v in gathered if v.row.kind == government_ids.KIND for p in v.pictures if p.stored_as.endswith("-front")]
    for v in gathered:
        if v.row.kind == selfies.KIND and v.pictures and fronts:
            front, box = fronts[-1]
            v.id_portrait = Picture("ID portrait", front.url, front.stored_as, box)
    return Case(
        inquiry=inquiry, redacted=redacted, fields=fields,
        verifications=gathered,
        documents=[_document(d, redacted) for d in papers],
        reports=[_report(r, redacted) for r in screened],
        timeline=_timeline(db, inquiry, object_ids, rows, redacted),
        consents=sessions.consents_of(db, inquiry.id),
        sessions=rows,
    )


def document_preview(db: Session, inquiry: Inquiry, file_id: str) -> bytes | None:
    """The first page of one of the inquiry's PDF document files, as a PNG (None once redacted, or not its file)."""
    if inquiry.redacted_at is not None:
        return None
    for document in documents.of_inquiry(db, inquiry.id):
        for record in document.data.get("files", []):
            if record["id"] == file_id:
                return document_files.first_page(record)
    return None


def content(picture_or_file: Picture | DocumentFile) -> bytes | None:
    """The bytes behind a picture or document file (the PDF embeds them)."""
    return storage.get(Files.store, picture_or_file.stored_as)
