"""JSON:API rendering of documents (`document/generic`, `document/government-id`) and their files
(`document-file`), in the spec's shapes (folder 2023-01-05-as-of-2025-01)."""

from typing import Any

from sqlalchemy.orm import Session

from openidv.documents import files
from openidv.kit.clock import iso, unix
from openidv.kit.jsonapi import ref, resource
from openidv.models import Document, Inquiry

GOVERNMENT_ID_ATTRIBUTES = (
    "id-class", "name-first", "name-middle", "name-last", "name-suffix", "birthdate", "issuing-authority", "issuing-subdivision",
    "nationality", "document-number", "visa-status", "issue-date", "expiration-date", "birthplace", "height", "sex",
    "endorsements", "restrictions", "vehicle-class", "identification-number", "address-street-1", "address-street-2",
    "address-city", "address-subdivision", "address-postal-code",
)


def _generic(document: Document) -> dict[str, Any]:
    data = document.data
    rendered = [files.rendered(r, document.id, document.environment_id) for r in data.get("files", [])]
    return {"kind": data.get("kind"), "files": rendered, "files-normalized": rendered,
            "extraction-responses": data.get("extraction-responses"), "document-type": data.get("document-type"),
            "fields": data.get("fields") or {}}


def _government_id(document: Document) -> dict[str, Any]:
    data = document.data
    by_role = {r["role"]: r for r in data.get("files", [])}
    read = data.get("extracted") or {}
    out: dict[str, Any] = {"front-photo": files.rendered(by_role.get("front"), document.id, document.environment_id),
                           "back-photo": files.rendered(by_role.get("back"), document.id, document.environment_id),
                           "selfie-photo": None, "designations": []}
    for key in GOVERNMENT_ID_ATTRIBUTES:
        out[key] = read.get(key)
    out["id-class"] = read.get("id-class") or data.get("id-class")
    return out


def type_of(document: Document) -> str:
    return f"document/{document.kind}"


def render_document(session: Session, document: Document) -> dict[str, Any]:
    inquiry = session.get(Inquiry, document.inquiry_id) if document.inquiry_id else None
    attributes = {"status": document.status, "created-at": iso(document.created_at), "processed-at": iso(document.processed_at),
                  "processed-at-ts": unix(document.processed_at)}
    attributes.update(_generic(document) if document.kind == "generic" else _government_id(document))
    return resource(type_of(document), document.id, attributes, {
        "inquiry": ref("inquiry", document.inquiry_id),
        "template": {"data": None},
        "inquiry-template-version": ref("inquiry-template-version", inquiry.template_version_id if inquiry else None),
        "inquiry-template": ref("inquiry-template", inquiry.template_id if inquiry else None),
        "transaction": {"data": None},
        "document-files": {"data": [{"type": "document-file", "id": r["id"]} for r in document.data.get("files", [])]},
    })


def render_files(document: Document) -> list[dict[str, Any]]:
    """The `document-file` objects (for `include=document-files`)."""
    return [resource("document-file", r["id"], {"name": r["filename"], "capture-method": "api",
                                                "originals": [files.rendered(r, document.id, document.environment_id)]})
            for r in document.data.get("files", [])]

