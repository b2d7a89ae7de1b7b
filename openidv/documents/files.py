"""A document's files: parsed from a request (`{"data": <base64>, "filename"}`, the spec's
`{"data": [{data, filename}]}`, a list of those, or multipart parts), checked by content
(openidv.checks.document), sealed in the file store as `<docf_ id>`, and served through
expiring signed URLs (the government-ID photos' signer). A file id is only in its document's sealed data,
so a link names the document too (`&document=`, covered by the MAC with the file): the endpoint looks up
that document's environment and opens only a link signed for it."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import pypdfium2
from sqlalchemy.orm import Session

from openidv.checks import document as engine
from openidv.documents import intake
from openidv.kit import file_links, storage
from openidv.kit.errors import ApiError, bad_request
from openidv.kit.file_links import Files
from openidv.kit.ids import new_id

MAX_FILES = 10
SIGNED_AS = "document-file"


def _decode(item: Any, where: str) -> tuple[bytes, str | None]:
    if isinstance(item, tuple):  # multipart: (content, filename)
        return item
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object with data and filename")
    raw, filename = item.get("data"), item.get("filename")
    if not isinstance(raw, str):
        raise bad_request(f"{where}.data must be a base64 string")
    if filename is not None and not isinstance(filename, str):
        raise bad_request(f"{where}.filename must be a string")
    if raw.startswith("data:"):
        raw = raw.partition(",")[2]
    try:
        return base64.b64decode(raw, validate=True), filename
    except (binascii.Error, ValueError):
        raise bad_request(f"{where}.data is not valid base64") from None


def parse(attrs: dict[str, Any], key: str) -> list[tuple[bytes, str | None]] | None:
    """The uploads under `key`, or None when the key is absent or null."""
    value = attrs.get(key)
    where = f"data.attributes.{key}"
    if value is None:
        return None
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        value = value["data"]
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_FILES:
        raise bad_request(f"{where} has {len(items)} files; at most {MAX_FILES} are accepted")
    return [_decode(item, f"{where}[{i}]") for i, item in enumerate(items)]


def check(uploads: list[tuple[bytes, str | None]], key: str, *, allow_pdf: bool) -> list[str]:
    """Each upload's content type; a refused one answers 422 naming the attribute."""
    mimes = []
    for content, filename in uploads:
        try:
            mimes.append(intake.check_upload(content, allow_pdf=allow_pdf))
        except engine.DocumentRejected as exc:
            label = f"{key} ({filename})" if filename else key
            raise ApiError(422, f"{label}: {exc}", title="Unprocessable entity", pointer=f"/data/attributes/{key}") from None
    return mimes


def store(uploads: list[tuple[bytes, str | None]], mimes: list[str], role: str) -> list[dict[str, Any]]:
    """Seal each file; the records kept (sealed) on the document."""
    records = []
    for (content, filename), mime in zip(uploads, mimes, strict=True):
        file_id = new_id("docf")
        storage.put(Files.store, file_id, content)
        extension = {"application/pdf": "pdf", "image/png": "png", "image/webp": "webp", "image/heic": "heic"}.get(mime, "jpg")
        name = (filename or f"{role}.{extension}")[:200]
        records.append({"id": file_id, "role": role, "filename": name, "byte-size": len(content), "mime": mime})
    return records


def delete_after_commit(db: Session, records: list[dict[str, Any]]) -> None:
    """Files go once the caller's transaction commits (a rolled-back redaction keeps what it had)."""
    storage.delete_after_commit(db, Files.store, [r["id"] for r in records if isinstance(r, dict) and "id" in r])


def delete_on_rollback(db: Session, records: list[dict[str, Any]]) -> None:
    """Files sealed during a transaction that then rolls back are deleted; a commit keeps them."""
    def undo() -> None:
        for record in records:
            delete(record)

    if records:
        storage.on_rollback(db, undo)


def content(record: dict[str, Any]) -> bytes | None:
    return storage.get(Files.store, record["id"])


def first_page(record: dict[str, Any], longest: int = 900) -> bytes | None:
    """A PDF file's first page as a PNG at most `longest` pixels on its long side (the reviewer's preview), or
    None for another kind of file or one that will not render."""
    data = content(record)
    if record.get("mime") != "application/pdf" or not data:
        return None
    try:
        doc = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return None
    try:
        if len(doc) == 0:
            return None
        page = doc[0]
        scale = min(2.0, longest / max(*page.get_size(), 1))
        out = io.BytesIO()
        page.render(scale=scale).to_pil().convert("RGB").save(out, "PNG", optimize=True)
        return out.getvalue()
    finally:
        doc.close()


def delete(record: dict[str, Any]) -> None:
    storage.delete(Files.store, record["id"])


def url(record: dict[str, Any], document_id: str, environment_id: str) -> str:
    """The signed link to one file of document `document_id` (in `environment_id`, the document's)."""
    link = file_links.url(f"document-files/{record['id']}", record["id"], f"{SIGNED_AS}/{document_id}", environment_id)
    return f"{link}&document={document_id}"


def valid_token(file_id: str, document_id: str, token: str, environment_id: str) -> bool:
    """Whether `token` opens file `file_id` of document `document_id`, whose environment is `environment_id`."""
    return file_links.verify(file_id, f"{SIGNED_AS}/{document_id}", token, environment_id)


def rendered(record: dict[str, Any] | None, document_id: str, environment_id: str) -> dict[str, Any] | None:
    """The spec's `file` object, for a file of document `document_id` in `environment_id`."""
    if record is None:
        return None
    return {"filename": record["filename"], "url": url(record, document_id, environment_id), "byte-size": record["byte-size"]}
