"""Document verifications through the API: a recent utility bill matching the inquiry passes (through the
real job worker) and completes the inquiry; an old one fails recency; a wrong name fails the inquiry
comparison; tampering and expiry fail their checks; answers validate against the spec."""

from datetime import timedelta

import pytest
from document_support import b64

from openidv.kit import clock
from openidv.kit.db import session_factory, transaction
from openidv.models import Verification
from openidv.testdata import docgen
from openidv.verifications.document import service as documents

BASE = "/api/v1/verification/documents"


def _today():
    return clock.now().date()


def _create(client, inquiry_id: str, data: bytes):
    body = {"data": {"type": "verification/document", "attributes": {"inquiry-id": inquiry_id, "files": [b64(data, "paper.pdf")]}}}
    made = client.post(BASE, json=body)
    assert made.status_code == 201, made.text
    return made.json()["data"]


def _run(client, engine, inquiry_id: str, data: bytes) -> dict:
    vid = _create(client, inquiry_id, data)["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    with transaction(session_factory(engine, writer=True)) as db:
        documents.process_document(db, db.get(Verification, vid))
    return client.get(f"{BASE}/{vid}").json()["data"]


def _failed(verification: dict) -> dict[str, list[str]]:
    return {c["name"]: c["reasons"] for c in verification["attributes"]["checks"] if c["status"] == "failed" and c["requirement"] == "required"}


def test_recent_bill_matching_the_inquiry_passes_through_the_job_worker(client, new_inquiry, job_worker, conforms_current) -> None:
    import time

    inquiry_id = new_inquiry()
    made = _create(client, inquiry_id, docgen.make("utility_bill", issued=_today() - timedelta(days=20)).data)
    conforms_current(made, "verification-document")
    assert made["relationships"]["document"]["data"]["id"].startswith("doc_")
    submitted = client.post(f"{BASE}/{made['id']}/submit").json()["data"]
    assert submitted["attributes"]["status"] == "submitted"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = client.get(f"{BASE}/{made['id']}").json()["data"]
        if done["attributes"]["status"] not in ("initiated", "submitted"):
            break
        time.sleep(0.1)
    conforms_current(done, "verification-document")
    a = done["attributes"]
    assert a["status"] == "passed", _failed(done)
    assert a["document-type"] == "standard_utility_bill"
    names = {c["name"] for c in a["checks"]}
    assert {"document_type_detection", "document_extracted_properties_detection", "document_recency_detection",
            "document_inquiry_comparison", "document_tamper_detection", "document_expired_detection"} <= names
    assert client.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["attributes"]["status"] == "completed"
    doc = client.get(f"/api/v1/documents/{made['relationships']['document']['data']['id']}").json()["data"]
    assert doc["attributes"]["status"] == "processed"


@pytest.mark.parametrize(("paper", "check", "reason"), [
    ({"kind": "utility_bill", "days": 200}, "document_recency_detection", "document_too_old"),
    ({"kind": "bank_statement", "days": 5, "name": "John Smith"}, "document_inquiry_comparison", "name_mismatch"),
    ({"kind": "pay_stub", "days": 5, "variant": "mixed_fonts"}, "document_tamper_detection", "mixed_fonts_in_field"),
    ({"kind": "tax_form", "days": 5, "variant": "edited"}, "document_tamper_detection", "edited_after_creation"),
    ({"kind": "lease", "days": 400}, "document_expired_detection", "document_expired"),
], ids=["old", "wrong-name", "mixed-fonts", "edited", "expired-lease"])
def test_defects_fail_with_their_check(client, new_inquiry, engine, paper, check, reason) -> None:
    data = docgen.make(paper["kind"], issued=_today() - timedelta(days=paper["days"]), name=paper.get("name", "Jane Doe"),
                       variant=paper.get("variant")).data
    done = _run(client, engine, new_inquiry(), data)
    assert done["attributes"]["status"] == "failed"
    assert reason in _failed(done)[check]


def test_verification_of_an_existing_generic_document(client, new_inquiry, engine, conforms_current) -> None:
    inquiry_id = new_inquiry()
    bill = docgen.make("bank_statement", issued=_today() - timedelta(days=3)).data
    doc_id = client.post("/api/v1/document/generics", json={"data": {"attributes": {"kind": "proof_of_address",
                                                                                    "files": [b64(bill)]}}}).json()["data"]["id"]
    made = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry_id, "document-id": doc_id}}})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert made.json()["data"]["relationships"]["document"]["data"] == {"type": "document/generic", "id": doc_id}
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    assert client.post(f"{BASE}/{vid}/submit").status_code == 409
    with transaction(session_factory(engine, writer=True)) as db:
        documents.process_document(db, db.get(Verification, vid))
        documents.process_document(db, db.get(Verification, vid))  # at-least-once jobs: a repeat changes nothing
    done = client.get(f"{BASE}/{vid}?include=document").json()
    conforms_current(done["data"], "verification-document")
    assert done["data"]["attributes"]["status"] == "passed", _failed(done["data"])
    assert done["included"][0]["attributes"]["document-type"] == "bank_statement"
    missing = client.post(BASE, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "document-id": "doc_missing"}}})
    assert missing.status_code == 404


def test_redaction_takes_the_document_files_and_readings(client, new_inquiry, engine, settings, conforms, conforms_current) -> None:
    inquiry_id = new_inquiry()
    done = _run(client, engine, inquiry_id, docgen.make("utility_bill", issued=_today() - timedelta(days=2)).data)
    doc_id = done["relationships"]["document"]["data"]["id"]
    file_id = client.get(f"/api/v1/documents/{doc_id}?include=document-files").json()["included"][0]["id"]
    assert (settings.data_dir / "files" / file_id).exists()
    again = client.post(BASE, json={"data": {"attributes": {"inquiry-id": new_inquiry(), "document-id": doc_id}}})
    assert again.status_code == 409  # one verification reads a document

    redacted = client.delete(f"/api/v1/verifications/{done['id']}")
    assert redacted.status_code == 200
    conforms_current(redacted.json()["data"], "verification-document")
    conforms(client.get(f"/api/v1/documents/{doc_id}").json()["data"], "document")
    assert not (settings.data_dir / "files" / file_id).exists()
    doc = client.get(f"/api/v1/documents/{doc_id}").json()["data"]["attributes"]
    assert doc["files"] == [] and doc["extraction-responses"] is None and doc["status"] == "processed"
    events = client.get(f"/api/v1/events?filter[object-id]={doc_id},{done['id']}&page[size]=50").json()["data"]
    assert {"document.processed", "verification.passed"} <= {e["attributes"]["name"] for e in events}
    for event in events:
        attributes = event["attributes"]["payload"]["data"]["attributes"]
        assert not attributes.get("files") and not attributes.get("extraction-responses"), event["attributes"]["name"]


def test_inquiry_redaction_takes_documents_no_verification_read(client, new_inquiry, settings) -> None:
    inquiry_id = new_inquiry()
    bill = docgen.make("utility_bill", issued=_today() - timedelta(days=2)).data
    made = client.post("/api/v1/document/generics", json={"data": {"attributes": {"kind": "proof_of_address", "inquiry-id": inquiry_id,
                                                                                  "files": [b64(bill, "bill.pdf")]}}})
    assert made.status_code == 201, made.text
    doc_id = made.json()["data"]["id"]
    file_id = made.json()["data"]["relationships"]["document-files"]["data"][0]["id"]
    assert (settings.data_dir / "files" / file_id).exists()
    assert client.delete(f"/api/v1/inquiries/{inquiry_id}").status_code == 200
    assert not (settings.data_dir / "files" / file_id).exists()
    assert client.get(f"/api/v1/documents/{doc_id}").json()["data"]["attributes"]["files"] == []
