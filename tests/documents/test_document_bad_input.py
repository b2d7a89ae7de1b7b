"""Bad uploads get Persona-shaped 4xx at intake (PDFs with JavaScript or Launch actions, encrypted,
malformed, too many pages, 0-byte, oversize, a PNG decompression bomb); a file that passes intake but
cannot be read fails a check instead of crashing or leaving the job stuck."""

import io
import struct
import zlib
from datetime import timedelta

import pytest
from document_support import b64
from pypdf import PdfReader, PdfWriter

from openidv.kit import clock
from openidv.kit.db import session_factory, transaction
from openidv.models import Verification
from openidv.testdata import docgen
from openidv.verifications.document import service as documents

GENERICS = "/api/v1/document/generics"
VERIFICATIONS = "/api/v1/verification/documents"


def _bill(variant: str | None = None) -> bytes:
    return docgen.make("utility_bill", issued=clock.now().date() - timedelta(days=5), variant=variant).data


def _many_pages(count: int) -> bytes:
    writer = PdfWriter()
    page = PdfReader(io.BytesIO(_bill())).pages[0]
    for _ in range(count):
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _png_bomb() -> bytes:
    """A valid PNG header claiming 50,000 x 50,000 pixels, with compressed zeros: small file, huge image."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = zlib.compress(b"\x00" * (1 + 50_000 // 8) * 2000, 9)
    ihdr = struct.pack(">IIBBBBB", 50_000, 50_000, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows * 4) + chunk(b"IEND", b"")


CASES = {
    "javascript": (lambda: _bill("javascript"), "active content"),
    "launch": (lambda: _bill("launch"), "active content"),
    "encrypted": (lambda: _bill("encrypted"), "password-protected"),
    "malformed": (lambda: _bill("malformed"), "malformed"),
    "too-many-pages": (lambda: _many_pages(21), "pages"),
    "empty": (lambda: b"", "at least"),
    "not-a-document": (lambda: b"hello world, not a file type we take " * 400, "not a JPEG"),
    "png-bomb": (_png_bomb, "too large"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_files_are_refused_with_422(client, new_inquiry, case) -> None:
    content, words = CASES[case]
    data = content()
    answer = client.post(GENERICS, json={"data": {"attributes": {"kind": "proof_of_address", "files": [b64(data)]}}})
    assert answer.status_code == 422, answer.text
    error = answer.json()["errors"][0]
    assert error["title"] == "Unprocessable entity" and words in error["details"] and error["source"]["pointer"] == "/data/attributes/files"
    if case == "javascript":  # the verification endpoint refuses it the same way, and nothing is left half-written
        refused = client.post(VERIFICATIONS, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "files": [b64(data)]}}})
        assert refused.status_code == 422 and "JavaScript" in refused.json()["errors"][0]["details"]


def test_oversize_multipart_and_bad_base64(client) -> None:
    big = _bill() + b"%" + b"0" * (15 * 1024 * 1024)
    answer = client.post(GENERICS, data={"kind": "bank_statement"}, files=[("files", ("big.pdf", io.BytesIO(big), "application/pdf"))])
    assert answer.status_code == 422 and "larger than 15 MB" in answer.json()["errors"][0]["details"]
    bad = client.post(GENERICS, json={"data": {"attributes": {"kind": "lease", "files": [{"data": "@@@", "filename": "x.pdf"}]}}})
    assert bad.status_code == 400 and "base64" in bad.json()["errors"][0]["details"]
    assert client.post(GENERICS, json={"data": {"attributes": {"kind": "Not A Kind!"}}}).status_code == 400


def test_an_unreadable_image_fails_a_check_and_the_job_finishes(client, new_inquiry, engine) -> None:
    """A JPEG header over noise passes intake (the header is fine) but cannot be read: a failed check."""
    from PIL import Image

    noise = Image.frombytes("L", (300, 300), bytes((i * 7919) % 251 for i in range(90_000)))
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=95)
    made = client.post(VERIFICATIONS, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "files": [b64(buf.getvalue(), "x.jpg")]}}})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    client.post(f"{VERIFICATIONS}/{vid}/submit")
    with transaction(session_factory(engine, writer=True)) as db:
        documents.process_document(db, db.get(Verification, vid))
    done = client.get(f"{VERIFICATIONS}/{vid}").json()["data"]["attributes"]
    assert done["status"] == "failed"
    failed = {c["name"]: c["reasons"] for c in done["checks"] if c["status"] == "failed"}
    assert failed["document_unprocessable_submission_detection"] == ["no_text_found"]
    document_id = client.get(f"{VERIFICATIONS}/{vid}").json()["data"]["relationships"]["document"]["data"]["id"]
    assert client.get(f"/api/v1/documents/{document_id}").json()["data"]["attributes"]["status"] == "errored"


def test_a_reader_crash_fails_the_verification_instead_of_leaving_it_submitted(client, new_inquiry, engine, monkeypatch) -> None:
    from openidv.checks import document as reader

    made = client.post(VERIFICATIONS, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "files": [b64(_bill())]}}})
    vid = made.json()["data"]["id"]
    client.post(f"{VERIFICATIONS}/{vid}/submit")

    def broken(*args, **kwargs):
        raise MemoryError("reader blew up")

    monkeypatch.setattr(reader, "evaluate", broken)
    with transaction(session_factory(engine, writer=True)) as db:
        documents.process_document(db, db.get(Verification, vid))
    done = client.get(f"{VERIFICATIONS}/{vid}").json()["data"]
    assert done["attributes"]["status"] == "failed"
    assert done["attributes"]["checks"][0]["reasons"] == ["processing_error"]
    document_id = done["relationships"]["document"]["data"]["id"]
    assert client.get(f"/api/v1/documents/{document_id}").json()["data"]["attributes"]["status"] == "errored"


def test_jobs_that_run_out_of_attempts_leave_nothing_submitted(client, new_inquiry, engine) -> None:
    """The port calls `on_give_up` after the last attempt; standalone workers know both jobs."""
    from openidv.documents import service, tasks
    from openidv.jobs.port import registry
    from openidv.models import Document

    assert registry["document.process"].on_give_up is service.give_up
    assert registry["document-verification.process"].on_give_up is documents.give_up
    made = client.post(VERIFICATIONS, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "files": [b64(_bill())]}}}).json()["data"]
    client.post(f"{VERIFICATIONS}/{made['id']}/submit")
    generic = client.post(GENERICS, json={"data": {"attributes": {"kind": "lease", "files": [b64(_bill())]}}}).json()["data"]["id"]
    client.post(f"{GENERICS}/{generic}/submit")
    with transaction(session_factory(engine, writer=True)) as db:
        registry["document-verification.process"].on_give_up(db, verification_id=made["id"])
        registry["document.process"].on_give_up(db, document_id=generic)
    done = client.get(f"{VERIFICATIONS}/{made['id']}").json()["data"]
    assert done["attributes"]["status"] == "failed" and done["attributes"]["checks"][0]["reasons"] == ["processing_error"]
    with transaction(session_factory(engine)) as db:
        assert db.get(Document, done["relationships"]["document"]["data"]["id"]).status == "errored"
        assert db.get(Document, generic).status == "errored"
    assert tasks.process_job.job_name == "document.process"


def test_refused_or_rolled_back_uploads_leave_no_files(client, engine, settings) -> None:
    from openidv.documents import files

    folder = settings.data_dir / "files"
    before = set(folder.glob("docf_*")) if folder.exists() else set()
    mixed = client.post(GENERICS, json={"data": {"attributes": {"kind": "lease", "files": [b64(_bill()), b64(_bill("javascript"))]}}})
    assert mixed.status_code == 422 and set(folder.glob("docf_*")) == before  # the good file was not written either

    for end in ("rollback", "commit"):
        session = session_factory(engine, writer=True)()
        [record] = files.store([(_bill(), "a.pdf")], ["application/pdf"], "file")
        files.delete_on_rollback(session, [record])
        session.connection()  # a transaction is open, as in a request
        getattr(session, end)()
        session.close()
        assert (folder / record["id"]).exists() is (end == "commit")
        files.delete(record)
