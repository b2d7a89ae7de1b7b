"""The document API (`/document/generics`, `/document/government-ids`, `/documents/{id}`): create with
base64 or multipart files, retrieve, update while initiated, submit, process; answers validate against
Persona's spec; files are sealed on disk and served only through signed URLs."""

import io
from datetime import timedelta

from document_support import b64

from openidv.documents import service
from openidv.kit import clock
from openidv.kit.db import session_factory, transaction
from openidv.models import Document
from openidv.testdata import docgen
from openidv.testdata.idgen import make as make_id

GENERICS = "/api/v1/document/generics"
GOV_IDS = "/api/v1/document/government-ids"


def _process(engine, document_id: str) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        service.process(db, db.get(Document, document_id))


def _local(url: str) -> str:
    return url[url.index("/api/v1"):]


def test_generic_document_create_update_submit_process(client, new_inquiry, engine, settings, conforms, conforms_current) -> None:
    inquiry_id = new_inquiry()
    bill = docgen.make("utility_bill", issued=clock.now().date() - timedelta(days=12)).data
    made = client.post(GENERICS, json={"data": {"attributes": {"kind": "proof_of_address", "inquiry-id": inquiry_id,
                                                                "files": [b64(bill, "bill.pdf")]}}})
    assert made.status_code == 201, made.text
    conforms(made.json()["data"], "document-generic")
    doc = made.json()["data"]
    assert doc["id"].startswith("doc_") and doc["type"] == "document/generic"
    a = doc["attributes"]
    assert (a["status"], a["kind"], a["files"][0]["filename"], a["files"][0]["byte-size"]) == ("initiated", "proof_of_address", "bill.pdf", len(bill))
    file_id = doc["relationships"]["document-files"]["data"][0]["id"]
    assert file_id.startswith("docf_") and doc["relationships"]["inquiry"]["data"]["id"] == inquiry_id
    of_inquiry = client.get(f"/api/v1/inquiries/{inquiry_id}?include=documents").json()
    assert of_inquiry["data"]["relationships"]["documents"]["data"] == [{"type": "document/generic", "id": doc["id"]}]
    assert [d["id"] for d in of_inquiry["included"]] == [doc["id"]]
    stored = (settings.data_dir / "files" / file_id).read_bytes()
    assert bill[:300] not in stored and len(stored) > len(bill)  # sealed on disk

    served = client.get(_local(a["files"][0]["url"]))
    assert served.status_code == 200 and served.content == bill and served.headers["content-type"] == "application/pdf"
    forged = client.get(_local(a["files"][0]["url"]).rsplit("access_token=", 1)[0] + "access_token=9999999999.AAAA")
    assert forged.status_code == 401 and forged.json()["errors"][0]["title"]

    patched = client.patch(f"{GENERICS}/{doc['id']}", json={"data": {"attributes": {"kind": "utility_bill", "fields": {"note": "x"}}}})
    assert patched.status_code == 200, patched.text
    conforms(patched.json()["data"], "document-generic")
    assert patched.json()["data"]["attributes"]["kind"] == "utility_bill"

    with_files = client.get(f"/api/v1/documents/{doc['id']}?include=document-files").json()
    conforms(with_files["data"], "document")
    conforms(with_files["included"], "document-included-objects")
    assert with_files["included"][0]["attributes"]["originals"][0]["byte-size"] == len(bill)

    submitted = client.post(f"{GENERICS}/{doc['id']}/submit")
    assert submitted.status_code == 200 and submitted.json()["data"]["attributes"]["status"] == "submitted"
    assert client.patch(f"{GENERICS}/{doc['id']}", json={"data": {"attributes": {"kind": "x"}}}).status_code == 409
    assert client.post(f"{GENERICS}/{doc['id']}/submit").status_code == 409
    _process(engine, doc["id"])
    done = client.get(f"{GENERICS}/{doc['id']}").json()["data"]
    conforms(done, "document-generic")
    assert done["attributes"]["status"] == "processed" and done["attributes"]["document-type"] == "standard_utility_bill"
    assert done["attributes"]["processed-at"] and isinstance(done["attributes"]["processed-at-ts"], int)
    guided = {r["field-name"]: r for r in done["attributes"]["extraction-responses"]}
    assert guided["address_postal_code"]["results"][0]["value"] == "62704"
    events = client.get(f"/api/v1/events?filter[object-id]={doc['id']}").json()["data"]
    assert {"document.created", "document.submitted", "document.processed"} <= {e["attributes"]["name"] for e in events}
    for event in events:  # the payloads are what webhooks carry: the spec's `document` at the event's moment
        conforms_current(event["attributes"]["payload"]["data"], "document")


def test_multipart_upload_and_submit_rules(client, new_inquiry) -> None:
    lease = docgen.make("lease", issued=clock.now().date()).data
    made = client.post(GENERICS, data={"kind": "lease"}, files=[("files[]", ("lease.pdf", io.BytesIO(lease), "application/pdf"))])
    assert made.status_code == 201, made.text
    assert made.json()["data"]["attributes"]["files"][0]["filename"] == "lease.pdf"
    empty = client.post(GENERICS, json={"data": {"attributes": {"kind": "bank_statement"}}}).json()["data"]["id"]
    refused = client.post(f"{GENERICS}/{empty}/submit")
    assert refused.status_code == 422 and refused.json()["errors"][0]["source"]["pointer"] == "/data/attributes/files"
    added = client.patch(f"{GENERICS}/{empty}", json={"data": {"attributes": {"files": [b64(lease)]}}})
    assert added.status_code == 200 and len(added.json()["data"]["attributes"]["files"]) == 1
    assert client.post(GENERICS, json={"data": {"attributes": {}}}).status_code == 400  # kind is required
    assert client.post(GENERICS, json={"data": {"attributes": {"kind": "lease", "account-id": "act_nothere"}}}).status_code == 404
    assert client.get(f"{GENERICS}/doc_nothere").status_code == 404
    assert client.get(f"{GOV_IDS}/{empty}").status_code == 404  # a generic is not a government ID


def test_government_id_document(client, new_inquiry, engine, conforms) -> None:
    sample = make_id("passport", 31)
    buf = io.BytesIO()
    sample.front.convert("RGB").save(buf, "JPEG", quality=90)
    inquiry_id = new_inquiry("Government ID", fields={})
    missing = client.post(GOV_IDS, json={"data": {"attributes": {"inquiry-id": inquiry_id}}})
    assert missing.status_code == 400  # country-code is required
    pdf_front = client.post(GOV_IDS, json={"data": {"attributes": {"inquiry-id": inquiry_id, "country-code": "US",
                                                                    "front-photo": {"data": [b64(docgen.make("lease", issued=clock.now().date()).data)]}}}})
    assert pdf_front.status_code == 422  # photos must be images
    made = client.post(GOV_IDS, json={"data": {"attributes": {"inquiry-id": inquiry_id, "country-code": "ut", "selected-id-class": "pp"}}})
    assert made.status_code == 201, made.text
    conforms(made.json()["data"], "document-government-id")
    doc_id = made.json()["data"]["id"]
    assert client.post(f"{GOV_IDS}/{doc_id}/submit").status_code == 422  # no front photo yet
    patched = client.patch(f"{GOV_IDS}/{doc_id}", json={"data": {"attributes": {"front-photo": {"data": [b64(buf.getvalue(), "front.jpg")]}}}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["attributes"]["front-photo"]["filename"] == "front.jpg"
    assert client.post(f"{GOV_IDS}/{doc_id}/submit").json()["data"]["attributes"]["status"] == "submitted"
    _process(engine, doc_id)
    done = client.get(f"{GOV_IDS}/{doc_id}").json()["data"]
    conforms(done, "document-government-id")
    a = done["attributes"]
    assert a["status"] == "processed" and a["id-class"] == "pp"
    assert (a["name-last"], a["identification-number"]) == (sample.truth["name-last"], sample.truth["identification-number"])


def test_idempotent_create_and_key_inflection(client) -> None:
    bill = docgen.make("bank_statement", issued=clock.now().date()).data
    body = {"data": {"attributes": {"kind": "bank_statement", "files": [b64(bill)]}}}
    first = client.post(GENERICS, json=body, headers={"Idempotency-Key": "doc-1"})
    again = client.post(GENERICS, json=body, headers={"Idempotency-Key": "doc-1"})
    assert first.status_code == again.status_code == 201 and first.json()["data"]["id"] == again.json()["data"]["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    snake = client.get(f"/api/v1/documents/{first.json()['data']['id']}", headers={"Key-Inflection": "snake"}).json()["data"]
    assert "files_normalized" in snake["attributes"] and "document_files" in snake["relationships"]
    old = client.get(f"/api/v1/documents/{first.json()['data']['id']}", headers={"Persona-Version": "2023-01-05"})
    assert old.status_code == 200 and old.json()["data"]["type"] == "document/generic"
