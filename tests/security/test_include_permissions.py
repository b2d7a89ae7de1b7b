"""Issue 17, "Permissions bypassed": an object a key may not read through its own endpoint (403) is not read
through `include` either. It is left out of `included`; the relationship's identifiers, which carry no
data, stay."""

import base64
import io
import random

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from openidv.auth import service as auth
from openidv.kit.db import session_factory, transaction
from openidv.models import Environment

API = "/api/v1"
NAME = "Zanzibar-Quintessa"


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (640, 400), random.Random(17).randbytes(640 * 400 * 3)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture
def made(client, world) -> dict[str, str]:
    """An inquiry with its account and a government-ID verification holding a photo, made with a full key."""
    answer = client.post(f"{API}/inquiries", json={"data": {"attributes": {
        "inquiry-template-id": world.templates["Government ID"], "name-first": NAME, "reference-id": "ref-include-1"}}})
    assert answer.status_code == 201, answer.text
    inquiry = answer.json()["data"]
    account_id = inquiry["relationships"]["account"]["data"]["id"]
    front = {"data": base64.b64encode(_jpeg()).decode(), "filename": "front.jpg"}
    answer = client.post(f"{API}/verification/government-ids", json={"data": {"type": "verification/government-id", "attributes": {
        "inquiry-id": inquiry["id"], "country-code": "US", "id-class": "pp", "front-photo": front}}})
    assert answer.status_code == 201, answer.text
    return {"inquiry": inquiry["id"], "account": account_id, "verification": answer.json()["data"]["id"]}


def _key(engine, world, *granted: str) -> dict[str, str]:
    with transaction(session_factory(engine, writer=True)) as db:
        secret = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="narrow", granted=list(granted)).secret
    return {"Authorization": f"Bearer {secret}"}


def _types(body: dict) -> set[str]:
    return {item["type"].split("/")[0] for item in body["included"]}


def test_inquiry_read_only_key_gets_no_verification_or_account_through_include(client: TestClient, engine, world, made) -> None:
    headers = _key(engine, world, "inquiry.read")
    assert client.get(f"{API}/verifications/{made['verification']}", headers=headers).status_code == 403
    assert client.get(f"{API}/accounts/{made['account']}", headers=headers).status_code == 403

    answer = client.get(f"{API}/inquiries/{made['inquiry']}?include=verifications,account", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["included"] == []
    # The identifiers stay: they carry no data.
    relationships = body["data"]["relationships"]
    assert relationships["account"]["data"]["id"] == made["account"]
    assert made["verification"] in [v["id"] for v in relationships["verifications"]["data"]]
    # Nothing of the verification (its signed photo link) or the account is in the answer.
    assert "front-photo-url" not in answer.text and "ref-include-1" in answer.text  # the inquiry's own reference stays


def test_each_included_type_needs_its_own_read_permission(client: TestClient, engine, world, made) -> None:
    url = f"{API}/inquiries/{made['inquiry']}?include=verifications,account"
    with_verifications = client.get(url, headers=_key(engine, world, "inquiry.read", "verification.read")).json()
    assert _types(with_verifications) == {"verification"}
    assert with_verifications["included"][0]["attributes"]["front-photo-url"]  # the signed link, for a key that may read it
    with_account = client.get(url, headers=_key(engine, world, "inquiry.read", "account.read")).json()
    assert _types(with_account) == {"account"}
    everything = client.get(url).json()  # the full key
    assert _types(everything) == {"verification", "account"}


def test_verification_read_only_key_gets_no_inquiry_through_include(client: TestClient, engine, world, made) -> None:
    headers = _key(engine, world, "verification.read")
    answer = client.get(f"{API}/verification/government-ids/{made['verification']}?include=inquiry", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["included"] == [] and NAME not in answer.text
    assert client.get(f"{API}/verification/government-ids/{made['verification']}?include=inquiry").json()["included"][0]["id"] == made["inquiry"]


def test_every_include_loader_names_the_permission_that_reads_it() -> None:
    from openidv import wiring
    from openidv.api import included

    assert set(wiring.INCLUDED) <= set(included.READ_PERMISSION)
    with pytest.raises(ValueError, match="read permission"):
        included.install({**wiring.INCLUDED, "secret-thing": wiring.INCLUDED["inquiry"]})
    included.install(wiring.INCLUDED)
