"""Rules for documents: create with files, update while `initiated`, submit (files required), and
processing: the files are read (generic: openidv.checks.document; government ID: the ID engines)
and the document moves to `processed`, or `errored` when nothing could be read."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks import document as engine
from openidv.checks.government_id import Evidence, evaluate
from openidv.documents import files, repository
from openidv.events import service as events
from openidv.jobs import enqueue_in_tx
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, conflict, not_found
from openidv.kit.ids import has_prefix, new_id
from openidv.kit.jsonapi import get_str
from openidv.lifecycle import DocumentStatus
from openidv.models import Account, Document, Inquiry

ATTR = "data.attributes"
log = logging.getLogger("openidv.documents")
GENERIC, GOVERNMENT_ID = "generic", "government-id"
SIDES = ("front", "back")
PROCESS_JOB = "document.process"  # openidv.documents.tasks
KIND_PATTERN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _inquiry(db: Session, environment_id: str, attrs: dict[str, Any], *, required: bool) -> Inquiry | None:
    inquiry_id = get_str(attrs, "inquiry-id", ATTR, required=required, max_length=40)
    if not inquiry_id:
        return None
    inquiry = repository.inquiry(db, environment_id, inquiry_id)
    if inquiry is None:
        raise not_found("inquiry", inquiry_id)
    if inquiry.redacted_at is not None:
        raise conflict("Inquiry already redacted")
    return inquiry


def _new(db: Session, environment_id: str, inquiry: Inquiry | None, account_id: str | None, kind: str, data: dict[str, Any],
         actor: str) -> Document:
    document = Document(id=new_id("doc"), environment_id=environment_id, inquiry_id=inquiry.id if inquiry else None,
                        account_id=account_id or (inquiry.account_id if inquiry else None), kind=kind, created_at=now())
    document.data = data
    lifecycle.create(db, document, actor=actor)
    return document


def _account_id(db: Session, environment_id: str, attrs: dict[str, Any]) -> str | None:
    account_id = get_str(attrs, "account-id", ATTR, max_length=40)
    if account_id is None:
        return None
    account = db.get(Account, account_id) if has_prefix(account_id, "act") else None
    if account is None or account.environment_id != environment_id:
        raise not_found("account", account_id)
    return account_id


def _generic_kind(attrs: dict[str, Any], required: bool) -> str | None:
    kind = get_str(attrs, "kind", ATTR, required=required, max_length=100)
    if kind is not None and (not kind or not set(kind) <= KIND_PATTERN):
        raise bad_request(f"{ATTR}.kind must be a snake_case identifier such as proof_of_address")
    return kind


def _fields(attrs: dict[str, Any]) -> dict[str, Any] | None:
    value = attrs.get("fields")
    if value is not None and not isinstance(value, dict):
        raise bad_request(f"{ATTR}.fields must be an object")
    return value


def _uploads(db: Session, attrs: dict[str, Any], keys: dict[str, str], *, allow_pdf: bool) -> dict[str, list[dict[str, Any]]]:
    """Every file under `keys` (attribute -> role) checked first, then sealed: a refused file leaves nothing
    on disk, and a transaction that rolls back takes its new files with it."""
    checked = {}
    for key in keys:
        uploads = files.parse(attrs, key) or []
        checked[key] = (uploads, files.check(uploads, key, allow_pdf=allow_pdf))
    stored = {key: files.store(uploads, mimes, keys[key]) for key, (uploads, mimes) in checked.items()}
    files.delete_on_rollback(db, [r for records in stored.values() for r in records])
    return stored


def create_generic(db: Session, environment_id: str, attrs: dict[str, Any], actor: str, *, inquiry: Inquiry | None = None,
                   default_kind: str | None = None) -> Document:
    """`POST /document/generics`: `kind` required; `files` (images or PDFs), `inquiry-id`, `account-id` optional."""
    kind = _generic_kind(attrs, required=default_kind is None) or default_kind
    inquiry = inquiry or _inquiry(db, environment_id, attrs, required=False)
    account_id, fields = _account_id(db, environment_id, attrs), _fields(attrs) or {}
    records = _uploads(db, attrs, {"files": "file"}, allow_pdf=True)["files"]
    return _new(db, environment_id, inquiry, account_id, GENERIC, {"kind": kind, "files": records, "fields": fields}, actor)


def _id_class(attrs: dict[str, Any]) -> str | None:
    value = attrs.get("selected-id-class")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is not None and (not isinstance(value, str) or len(value) > 10):
        raise bad_request(f"{ATTR}.selected-id-class must be an id class such as dl or pp")
    return value


def create_government_id(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Document:
    """`POST /document/government-ids`: `inquiry-id` and `country-code` required; photos are images only."""
    inquiry = _inquiry(db, environment_id, attrs, required=True)
    country = get_str(attrs, "country-code", ATTR, required=True, max_length=2)
    selected_country = get_str(attrs, "selected-country-code", ATTR, max_length=2)
    data: dict[str, Any] = {"country-code": (country or "").upper(), "selected-country-code": selected_country,
                            "id-class": _id_class(attrs), "files": []}
    account_id = _account_id(db, environment_id, attrs)
    stored = _uploads(db, attrs, {f"{side}-photo": side for side in SIDES}, allow_pdf=False)
    data["files"] = [r for side in SIDES for r in stored[f"{side}-photo"]]
    return _new(db, environment_id, inquiry, account_id, GOVERNMENT_ID, data, actor)


def _editable(document: Document) -> None:
    if document.status != DocumentStatus.INITIATED:
        raise conflict(f"Document is {document.status}; only initiated documents can be changed")


def update(db: Session, document: Document, attrs: dict[str, Any], actor: str) -> None:
    """PATCH while `initiated`: generic `kind`, `fields`, more `files`; government ID photos replace a side."""
    _editable(document)
    data = dict(document.data)
    if document.kind == GENERIC:
        kind, fields = _generic_kind(attrs, required=False), _fields(attrs)
        if len(data.get("files", [])) + len(files.parse(attrs, "files") or []) > files.MAX_FILES:
            raise bad_request(f"a document holds at most {files.MAX_FILES} files")
        added = _uploads(db, attrs, {"files": "file"}, allow_pdf=True)["files"]
        data.update({k: v for k, v in (("kind", kind), ("fields", fields)) if v is not None})
        data["files"] = data.get("files", []) + added
    else:
        stored = _uploads(db, attrs, {f"{side}-photo": side for side in SIDES}, allow_pdf=False)
        for side in SIDES:
            if stored[f"{side}-photo"]:
                replaced = [r for r in data.get("files", []) if r["role"] == side]
                files.delete_after_commit(db, replaced)
                data["files"] = [r for r in data.get("files", []) if r["role"] != side] + stored[f"{side}-photo"]
        selected_country = get_str(attrs, "selected-country-code", ATTR, max_length=2)
        if selected_country is not None:
            data["selected-country-code"] = selected_country
        if "selected-id-class" in attrs:
            data["id-class"] = _id_class(attrs)
    document.data = data
    lifecycle.transition(db, document, "update", actor=actor)


def has_files(document: Document) -> bool:
    roles = {r["role"] for r in document.data.get("files", [])}
    return "front" in roles if document.kind == GOVERNMENT_ID else bool(roles)


def mark_submitted(db: Session, document: Document, actor: str | None) -> None:
    """initiated → submitted, files required (the caller decides what processes it)."""
    if document.status != DocumentStatus.INITIATED:
        raise conflict(f"Document is {document.status}, not initiated")
    if not has_files(document):
        what = "front-photo" if document.kind == GOVERNMENT_ID else "files"
        raise ApiError(422, f"{what} must be attached before submitting", title="Unprocessable entity", pointer=f"/data/attributes/{what}")
    lifecycle.transition(db, document, "submit", actor=actor)


def submit(db: Session, document: Document, actor: str) -> None:
    """`POST …/submit`: submitted, and the processing job enqueued in the same transaction."""
    mark_submitted(db, document, actor)
    enqueue_in_tx(db, PROCESS_JOB, key=f"doc:{document.id}", document_id=document.id)


def inquiry_fields(db: Session, inquiry_id: str | None) -> dict[str, Any]:
    """The inquiry's standard fields as plain values (what the papers are compared with)."""
    inquiry = db.get(Inquiry, inquiry_id) if inquiry_id else None
    out = {}
    for key, value in ((inquiry.fields or {}) if inquiry else {}).items():
        value = value.get("value") if isinstance(value, dict) else value
        if isinstance(value, (str, int)) and value != "":
            out[str(key).replace("_", "-")] = str(value)
    return out


def apply_reading(db: Session, document: Document, result: engine.Result, actor: str | None = None) -> None:
    """Keep what was read on the document and conclude it: processed, or errored when nothing was readable."""
    if document.status != DocumentStatus.SUBMITTED:
        return
    document.data = {**document.data, "document-type": result.document_type, "extraction-responses": result.extraction_responses,
                     "extracted": result.extracted, "source": result.source}
    readable = result.source != "none"
    lifecycle.transition(db, document, "process" if readable else "error", actor=actor)


def give_up(db: Session, document_id: str) -> None:
    """The processing job ran out of attempts: the document is errored rather than `submitted` for ever."""
    document = db.get(Document, document_id, with_for_update=True)
    if document is not None and document.status == DocumentStatus.SUBMITTED:
        lifecycle.transition(db, document, "error")


def process(db: Session, document: Document, *, today: date | None = None) -> None:
    """The job's work: read the files and conclude a submitted document (idempotent: only from `submitted`).
    A reader that breaks leaves the document `errored`, never `submitted` for good."""
    if document.status != DocumentStatus.SUBMITTED:
        return
    try:
        with db.begin_nested():
            _read(db, document, today or now().date())
    except Exception:
        log.exception("document %s: reading failed", document.id)
        lifecycle.transition(db, document, "error")


def _read(db: Session, document: Document, today: date) -> None:
    records = document.data.get("files", [])
    if document.kind == GENERIC:
        loaded = [(files.content(r) or b"", r["mime"]) for r in records]
        result = engine.evaluate(loaded, engine.Settings(), inquiry_fields(db, document.inquiry_id), today=today)
        apply_reading(db, document, result)
        return
    photos = {r["role"]: files.content(r) for r in records}
    data = document.data
    read = evaluate(Evidence(photos.get("front"), photos.get("back"), data.get("country-code"), data.get("id-class")),
                    today=today)
    extracted = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in read.attributes.items()}
    document.data = {**data, "extracted": extracted}
    lifecycle.transition(db, document, "process" if extracted else "error")


KEPT_ON_REDACTION = frozenset({"status", "created-at", "processed-at", "processed-at-ts", "kind", "document-type", "id-class"})


def forget_inquiry_documents(db: Session, inquiry: Inquiry) -> None:
    """An inquiry's redaction takes the documents attached to it, read by a verification or not."""
    for document in repository.of_inquiry(db, inquiry.id):
        if not document.data.get("redacted"):
            redact(db, document)


def redact(db: Session, document: Document) -> None:
    """Forget the files (deleted once the caller commits) and everything read from them; keep status and kind."""
    data = document.data
    files.delete_after_commit(db, data.get("files", []))
    document.data = {"kind": data.get("kind"), "id-class": data.get("id-class"), "files": [], "redacted": True}
    events.scrub_object(db, document.id, KEPT_ON_REDACTION)
