"""Document verifications (`verification/document`): proof of address and other papers. Created on an
inquiry with a generic document (`document-id`) or with files directly (then a `document/generic` is
made for them); `submit` freezes both and enqueues `document-verification.process`, which reads the
files (openidv.checks.document) and concludes the verification through the lifecycle (the inquiry's
owner moves the inquiry on).

Step settings (template): `recency_days` (default 90), `allowed_document_types`, `required_properties`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.checks import document as engine
from openidv.checks.result import check
from openidv.documents import files, intake, repository, service as documents
from openidv.events import service as events
from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.jobs import enqueue_in_tx
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, conflict, not_found
from openidv.kit.jsonapi import get_str
from openidv.lifecycle import DocumentStatus, VerificationStatus
from openidv.models import Document, Inquiry, Verification
from openidv.verifications import service as verifications, uploads
from openidv.verifications.kinds import Captured

KIND = "document"
log = logging.getLogger("openidv.verifications.documents")


def _document(db: Session, environment_id: str, attrs: dict[str, Any], target: verifications.Target, actor: str) -> Document:
    document_id = get_str(attrs, "document-id", verifications.ATTR, max_length=40)
    if document_id is None:
        return documents.create_generic(db, environment_id, attrs, actor, inquiry=target.inquiry, default_kind="document")
    document = repository.get_for_update(db, environment_id, document_id)
    if document is None or document.kind != documents.GENERIC:
        raise not_found("document/generic", document_id)
    if target.inquiry is not None and document.inquiry_id not in (None, target.inquiry.id):
        raise conflict("The document belongs to another inquiry")
    if document.verification_id is not None:
        raise conflict(f"The document is already read by verification {document.verification_id}")
    if document.data.get("redacted"):
        raise conflict("Document already redacted")
    return document


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    target = verifications.resolve(db, environment_id, attrs, KIND)
    document = _document(db, environment_id, attrs, target, actor)
    if document.inquiry_id is None and target.inquiry is not None:
        document.inquiry_id = target.inquiry.id
    country = get_str(attrs, "country-code", verifications.ATTR, max_length=2)
    verification = verifications.start(db, environment_id, target, KIND, {"document-id": document.id, "files": document.data.get("files", [])},
                               country.upper() if country else None, actor)
    document.verification_id = verification.id
    return verification


def _linked(db: Session, verification: Verification) -> Document | None:
    document_id = verification.data.get("document-id")
    return db.get(Document, document_id, with_for_update=True) if document_id else None


def submit(db: Session, verification: Verification, actor: str) -> None:
    if verification.status != VerificationStatus.INITIATED:
        raise conflict(f"Verification is {verification.status}, not initiated")
    document = _linked(db, verification)
    if document is None or not documents.has_files(document):
        raise ApiError(422, "files must be attached before submitting", title="Unprocessable entity", pointer="/data/attributes/files")
    if document.status == DocumentStatus.INITIATED:
        documents.mark_submitted(db, document, actor)
    verification.data = {**verification.data, "files": document.data.get("files", [])}
    lifecycle.transition(db, verification, "submit", actor=actor)
    enqueue_in_tx(db, process_job, key=f"docver:{verification.id}", verification_id=verification.id)


def evaluate(db: Session, verification: Verification, step: Any, loaded: list[tuple[bytes, str]], *, today: date) -> engine.Result:
    """The engine on (content, mime) pairs, with the step's settings; what it read is kept (sealed) on the
    verification, and the checks get the step's requirements (`not_applicable` is never required)."""
    result = engine.evaluate(loaded, engine.Settings.from_step(verifications.settings(step)),
                             documents.inquiry_fields(db, verification.inquiry_id), today=today)
    verification.data = {**verification.data, "document-type": result.document_type, "extracted": result.extracted,
                         "extraction-responses": result.extraction_responses}
    required = verifications.requirement(step, frozenset(c["name"] for c in result.checks if c["requirement"] == "required"))
    result.checks = [dict(c, requirement="required" if c["name"] in required and c["status"] != "not_applicable" else "not_required")
                     for c in result.checks]
    return result


def run_checks(db: Session, verification: Verification, step: Any, document: Document | None, *, today: date) -> list[dict[str, Any]]:
    """The document's files through `evaluate`; the document is concluded with what was read."""
    records = document.data.get("files", []) if document else []
    result = evaluate(db, verification, step, [(files.content(r) or b"", r["mime"]) for r in records], today=today)
    if document is not None:
        documents.apply_reading(db, document, result)
    return result.checks


UNPROCESSABLE = "document_unprocessable_submission_detection"


def process_document(db: Session, verification: Verification, *, today: date | None = None) -> None:
    """Run the checks and conclude a submitted verification (idempotent: only from `submitted`)."""
    if verification.status != VerificationStatus.SUBMITTED:
        return
    _, step = verifications.config_for(db, verification)
    checks: Sequence[Mapping[str, Any]]
    try:
        with db.begin_nested():
            checks = run_checks(db, verification, step, _linked(db, verification), today=today or now().date())
    except Exception:  # a file that breaks the readers fails a check; the job must not retry forever
        log.exception("document verification %s: reading failed", verification.id)
        _error_document(db, verification)
        checks = [check(UNPROCESSABLE, False, reasons=["processing_error"])]
    verifications.finish(db, verification, checks, None)


def give_up(db: Session, verification_id: str) -> None:
    """The job ran out of attempts: the verification fails as unprocessable and the document is errored,
    so neither waits in `submitted` for ever."""
    verification = db.get(Verification, verification_id, with_for_update=True)
    if verification is not None and verification.status == VerificationStatus.SUBMITTED:
        _error_document(db, verification)
        verifications.give_up(db, verification_id, UNPROCESSABLE)


def _error_document(db: Session, verification: Verification) -> None:
    document = _linked(db, verification)
    if document is not None and document.status == DocumentStatus.SUBMITTED:
        lifecycle.transition(db, document, "error")


process_job = verifications.processing_job("document-verification.process", process_document, on_give_up=give_up)


def capture(_inquiry: Inquiry, _step: Step, _config: TemplateConfig, _form: dict[str, str], files: dict[str, bytes]) -> Captured:
    """The flow's intake: one paper, an image or a PDF; `create` makes its document as the API's does."""
    checked = uploads.check("document", files.get("document"), allow_pdf=True)
    if checked.mime_type == engine.PDF:  # the API's PDF intake (pages, decompressed size, no active content)
        try:
            intake.inspect_pdf(checked.content)
        except intake.Refused as exc:
            raise uploads.InputProblem("document", f"upload.{exc.reason}", **exc.values) from None
    return Captured({"files": [(checked.content, "document.pdf" if checked.mime_type == "application/pdf" else None)]})


def attributes(verification: Verification) -> dict[str, Any]:
    data = verification.data
    kept = data.get("files")
    records: list[Any] = kept if isinstance(kept, list) else []  # earlier flow versions kept {role: upload id} there
    document_id = data.get("document-id")  # the files' document (same environment as the verification)
    rendered = ([files.rendered(r, document_id, verification.environment_id) for r in records if isinstance(r, dict)]
                if verification.redacted_at is None and isinstance(document_id, str) else [])
    return {"fields": {}, "files": rendered, "files-normalized": rendered,
            "extraction-responses": data.get("extraction-responses") or [], "document-type": data.get("document-type")}


def relationships(verification: Verification) -> dict[str, Any]:
    """`document` when there is one (the spec's linkage is an object, never null: a flow-made or
    redacted verification leaves the key out)."""
    document_id = verification.data.get("document-id")
    return {"document": {"data": {"type": "document/generic", "id": document_id}}} if document_id else {}


def forget(db: Session, verification: Verification) -> None:
    """Redaction (of the verification, its inquiry or account) takes the document's files and readings with it."""
    for document in repository.of_verification(db, verification.id):
        documents.redact(db, document)
    events.scrub_object(db, verification.id, REDACTION_KEPT)


REDACTION_KEPT = frozenset({"status", "created-at", "created-at-ts", "submitted-at", "submitted-at-ts", "completed-at",
                            "completed-at-ts", "redacted-at", "country-code", "tags", "checks", "document-type"})
