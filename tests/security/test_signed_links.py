"""Signed file links carry the environment of the object they point to wherever they are made: a link in a
webhook body or event snapshot (rendered by a job, no API request) opens without an API key, and a
document-file link opens only when signed for its document's real environment."""

import base64
import io
import random
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from openidv.documents import files, service as documents
from openidv.events.schemas import render_event
from openidv.kit import clock
from openidv.kit.db import session_factory, transaction
from openidv.models import Document, Event, Verification
from openidv.testdata import docgen
from openidv.verifications.government_id import service as government_ids

API = "/api/v1"


@pytest.fixture
def anonymous(app) -> TestClient:
    with TestClient(app) as c:
        yield c


def _local(url: str) -> str:
    return API + url.split("/api/v1", 1)[1]


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (640, 400), random.Random(17).randbytes(640 * 400 * 3)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _b64(data: bytes, filename: str) -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": filename}


def _bill() -> bytes:
    return docgen.make("utility_bill", issued=clock.now().date() - timedelta(days=12)).data


def _links(value: Any) -> list[str]:
    """Every signed link in a rendered body."""
    if isinstance(value, dict):
        return [link for item in value.values() for link in _links(item)]
    if isinstance(value, list):
        return [link for item in value for link in _links(item)]
    return [value] if isinstance(value, str) and "access_token=" in value else []


def _job_rendered_links(engine, object_id: str, names: tuple[str, ...]) -> list[str]:
    """The links in the webhook bodies of the events (`names`) a job wrote about `object_id`."""
    with transaction(session_factory(engine)) as db:
        events = db.scalars(select(Event).where(Event.object_id == object_id, Event.name.in_(names))).all()
        assert events, "no event written by the job"
        return [link for event in events for link in _links(render_event(event, with_included=True))]


def test_a_photo_link_in_a_job_rendered_webhook_body_opens_without_an_api_key(client, anonymous, world, engine) -> None:
    inquiry = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}})
    made = client.post(f"{API}/verification/government-ids", json={"data": {"attributes": {
        "inquiry-id": inquiry.json()["data"]["id"], "country-code": "US", "id-class": "pp", "front-photo": _b64(_jpeg(), "front.jpg")}}})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{API}/verification/government-ids/{vid}/submit").status_code == 200
    with transaction(session_factory(engine, writer=True)) as db:  # what `government-id.process` does, outside any request
        government_ids.process_government_id(db, db.get(Verification, vid))

    links = [link for link in _job_rendered_links(engine, vid, ("verification.passed", "verification.failed")) if "-photo?" in link]
    assert links
    for link in links:
        assert f".{world.sandbox_id}." in link  # bound to the verification's environment, not to `-`
        answer = anonymous.get(_local(link))
        assert answer.status_code == 200, answer.text
        assert answer.content[:2] == b"\xff\xd8"


def test_a_document_file_link_in_a_job_rendered_webhook_body_opens_without_an_api_key(client, anonymous, world, engine) -> None:
    bill = _bill()
    made = client.post(f"{API}/document/generics", json={"data": {"attributes": {"kind": "proof_of_address", "files": [_b64(bill, "bill.pdf")]}}})
    assert made.status_code == 201, made.text
    doc_id = made.json()["data"]["id"]
    assert client.post(f"{API}/document/generics/{doc_id}/submit").status_code == 200
    with transaction(session_factory(engine, writer=True)) as db:  # what `document.process` does
        documents.process(db, db.get(Document, doc_id))

    links = [link for link in _job_rendered_links(engine, doc_id, ("document.processed", "document.errored")) if "/document-files/" in link]
    assert links
    for link in links:
        assert f".{world.sandbox_id}." in link
        answer = anonymous.get(_local(link))
        assert answer.status_code == 200, answer.text
        assert answer.content == bill


def _document(client, key: str) -> tuple[str, dict[str, Any]]:
    """A generic document made with `key`: its id and its file's link (as the API rendered it)."""
    made = client.post(f"{API}/document/generics", headers={"Authorization": f"Bearer {key}"},
                       json={"data": {"attributes": {"kind": "proof_of_address", "files": [_b64(_bill(), "bill.pdf")]}}})
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    return data["id"], {"id": data["relationships"]["document-files"]["data"][0]["id"], "url": data["attributes"]["files"][0]["url"]}


def test_a_document_file_link_opens_only_for_its_documents_environment(client, anonymous, world) -> None:
    sandbox_doc, sandbox_file = _document(client, world.sandbox_key)
    production_doc, production_file = _document(client, world.production_key)
    assert f".{world.sandbox_id}." in sandbox_file["url"] and f".{world.production_id}." in production_file["url"]
    assert anonymous.get(_local(sandbox_file["url"])).status_code == 200
    assert anonymous.get(_local(production_file["url"])).status_code == 200

    # A sandbox link with its environment part edited to production's: the MAC no longer matches.
    edited = sandbox_file["url"].replace(f".{world.sandbox_id}.", f".{world.production_id}.")
    assert anonymous.get(_local(edited)).status_code == 401
    # A production document's file signed for the sandbox (validly, with the secret): not its environment.
    for_sandbox = files.url(production_file, production_doc, world.sandbox_id)
    assert anonymous.get(_local(for_sandbox)).status_code == 401
    # The link names the document; pointing it at another one (or at none) does not open the file.
    assert anonymous.get(_local(sandbox_file["url"].replace(sandbox_doc, production_doc))).status_code == 401
    assert anonymous.get(_local(sandbox_file["url"].rsplit("&document=", 1)[0])).status_code == 401
    assert anonymous.get(_local(files.url(sandbox_file, "doc_missing", world.sandbox_id))).status_code == 401
