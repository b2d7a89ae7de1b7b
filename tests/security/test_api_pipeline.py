"""Issue 17, the API request pipeline (openidv/api/middleware.py): the key is checked before the body is read,
bodies are cut while they stream, Idempotency-Key replays are bound to their API key, come after the route's
permission check, are sealed, stored before the answer leaves and forgotten on redaction; bad Unicode and
malformed tokens are 400; signed file links work without a key and only in their own environment."""

import asyncio
import base64
import io
import json
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from openidv.auth import service as auth
from openidv.kit import file_links
from openidv.kit.db import session_factory, transaction
from openidv.models import Environment, IdempotencyRecord

API = "/api/v1"
NAME = "Quillonia-Zebedine"
MiB = 1024 * 1024


def _inquiry(world, **attrs: Any) -> dict:
    return {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], **attrs}}}


def _key(engine, world, *granted: str) -> dict[str, str]:
    with transaction(session_factory(engine, writer=True)) as db:
        secret = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="other", granted=list(granted) or None).secret
    return {"Authorization": f"Bearer {secret}"}


def _assert_persona_error(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    errors = answer.json()["errors"]
    assert isinstance(errors, list) and errors[0]["title"]
    return errors[0]


# ---------------------------------------------------------------- driving the ASGI app directly


def _call(app, method: str, path: str, headers: dict[str, str], chunks: list[bytes], *, on_answer=None) -> dict[str, Any]:
    """One request through the real app; counts how many body bytes the server pulled from the client."""
    pulled = {"bytes": 0, "receives": 0}
    answer: dict[str, Any] = {"status": None, "body": b"", "headers": {}}
    pending = list(chunks)

    async def receive() -> dict:
        pulled["receives"] += 1
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        pulled["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")
            if not message.get("more_body") and on_answer is not None:
                await on_answer()

    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "app": app, "state": {},
    }
    asyncio.run(app(scope, receive, send)) if on_answer is None else None
    answer["run"] = lambda: app(scope, receive, send)
    answer["pulled"] = pulled
    return answer


# ---------------------------------------------------------------- resources before authentication


def test_anonymous_large_posts_are_refused_before_their_body_is_read(app, world) -> None:
    """32 anonymous 19 MiB POSTs took the server from 237 to 1,185 MiB: the body was read before the key."""
    for _ in range(32):
        answer = _call(app, "POST", f"{API}/inquiries", {"content-type": "application/json", "content-length": str(19 * MiB)},
                       [b"x" * MiB] * 19)
        assert answer["status"] == 401
        assert json.loads(answer["body"])["errors"][0]["title"] == "Must be authenticated to access this endpoint"
        assert answer["pulled"]["bytes"] == 0  # not one byte of the body was taken in


def test_a_chunked_body_over_the_limit_is_cut_with_413_as_it_streams(app, world) -> None:
    limit = app.state.settings.max_body_bytes
    chunks = [b"x" * MiB] * (limit // MiB + 8)  # no Content-Length: chunked
    answer = _call(app, "POST", f"{API}/inquiries", {"content-type": "application/json", "authorization": f"Bearer {world.sandbox_key}"}, chunks)
    assert answer["status"] == 413
    assert json.loads(answer["body"])["errors"][0]["title"] == "Payload Too Large"
    assert limit < answer["pulled"]["bytes"] <= limit + MiB  # reading stopped at the limit, the rest never came in
    # Anonymous, the same chunked body costs nothing: 401 before any of it is read.
    anonymous = _call(app, "POST", f"{API}/inquiries", {"content-type": "application/json"}, chunks)
    assert anonymous["status"] == 401 and anonymous["pulled"]["bytes"] == 0
    # A Content-Length over the limit is refused before reading.
    declared = _call(app, "POST", f"{API}/documents/generics", {"content-type": "multipart/form-data; boundary=b",
                     "content-length": str(limit + 1), "authorization": f"Bearer {world.sandbox_key}"}, chunks)
    assert declared["status"] == 413 and declared["pulled"]["bytes"] == 0


# ---------------------------------------------------------------- bad input


def test_a_lone_surrogate_in_a_string_field_is_400(app, world) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {world.sandbox_key}"
        template = world.templates["Government ID"]
        raw = '{"data": {"attributes": {"inquiry-template-id": "' + template + '", "name-first": "A\\ud800B"}}}'
        error = _assert_persona_error(client.post(f"{API}/inquiries", content=raw, headers={"Content-Type": "application/json"}), 400)
        assert "surrogate" in error["details"] and "name-first" in error["details"]
        raw = '{"data": {"attributes": {"inquiry-template-id": "' + template + '", "fields": {"\\udfff": "x"}}}}'
        _assert_persona_error(client.post(f"{API}/inquiries", content=raw, headers={"Content-Type": "application/json"}), 400)


def test_arabic_indic_digits_in_access_token_are_400(app, world) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {world.sandbox_key}"
        token = "\u0669" * 10 + ".AAAA"  # ٩٩٩٩٩٩٩٩٩٩ : str.isdigit() says yes
        for path in ("verification/government-ids/ver_x/front-photo", "document-files/docf_x"):
            error = _assert_persona_error(client.get(f"{API}/{path}", params={"access_token": token}), 400)
            assert "access_token" in error["details"]
    assert not file_links.verify("ver_x", "front", token)


# ---------------------------------------------------------------- Idempotency-Key


def test_replay_after_redaction_returns_no_pii_and_the_stored_answer_is_sealed(client, world, engine) -> None:
    body = _inquiry(world, **{"name-first": NAME, "birthdate": "1977-03-14"})
    first = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-redact"})
    assert first.status_code == 201 and NAME in first.text
    inquiry_id = first.json()["data"]["id"]
    with engine.connect() as conn:
        stored = conn.execute(select(IdempotencyRecord.__table__)).mappings().one()
    assert stored["object_id"] == inquiry_id
    assert NAME.encode() not in bytes(stored["body_sealed"]) and inquiry_id.encode() not in bytes(stored["body_sealed"])

    assert client.delete(f"{API}/inquiries/{inquiry_id}").status_code == 200
    with engine.connect() as conn:
        assert conn.execute(select(IdempotencyRecord.key)).all() == []
    again = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-redact"})
    assert "Idempotent-Replayed" not in again.headers  # processed afresh: nothing of the redacted inquiry
    assert again.json()["data"]["id"] != inquiry_id and inquiry_id not in again.text


def test_account_redaction_forgets_the_answer_that_created_it(client, world, engine) -> None:
    body = {"data": {"attributes": {"name-first": NAME}}}
    first = client.post(f"{API}/accounts", json=body, headers={"Idempotency-Key": "k-account"})
    assert first.status_code == 201
    assert client.delete(f"{API}/accounts/{first.json()['data']['id']}").status_code == 200
    again = client.post(f"{API}/accounts", json=body, headers={"Idempotency-Key": "k-account"})
    assert "Idempotent-Replayed" not in again.headers and again.json()["data"]["id"] != first.json()["data"]["id"]


def test_another_keys_idempotency_key_gets_no_replay(client, world, engine) -> None:
    body = _inquiry(world, **{"name-first": NAME})
    first = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-shared"})
    assert first.status_code == 201
    # A key with only event.read: the route's permission check comes first, 403, nothing replayed.
    narrow = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-shared", **_key(engine, world, "event.read")})
    _assert_persona_error(narrow, 403)
    assert NAME not in narrow.text and "Idempotent-Replayed" not in narrow.headers
    # Another key that may create inquiries: 409, the key belongs to the one that made the original.
    other = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-shared", **_key(engine, world)})
    error = _assert_persona_error(other, 409)
    assert "another API key" in error["details"] and NAME not in other.text
    # The key that made it still gets its replay.
    replay = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-shared"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.content == first.content


def test_an_immediate_retry_after_the_first_answer_gets_the_replay(app, world) -> None:
    """The answer used to be stored after it was sent: a retry sent the moment it arrived got 409 "in progress"."""
    raw = json.dumps(_inquiry(world, **{"name-first": NAME})).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {world.sandbox_key}", "idempotency-key": "k-fast"}
    retries: list[dict] = []

    async def retry_now() -> None:  # runs inside the first request's last send, before the app returns
        retry = _call(app, "POST", f"{API}/inquiries", headers, [raw], on_answer=lambda: asyncio.sleep(0))
        await retry["run"]()
        retries.append(retry)

    first = _call(app, "POST", f"{API}/inquiries", headers, [raw], on_answer=retry_now)

    asyncio.run(first["run"]())
    assert first["status"] == 201
    assert retries[0]["status"] == 201 and retries[0]["headers"].get("idempotent-replayed") == "true"
    assert retries[0]["body"] == first["body"]


# ---------------------------------------------------------------- signed links


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (640, 400), random.Random(17).randbytes(640 * 400 * 3)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _verification_with_photo(client, templates: dict[str, str], key: str) -> dict:
    auth_header = {"Authorization": f"Bearer {key}"}
    inquiry = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": templates["Government ID"]}}}, headers=auth_header)
    assert inquiry.status_code == 201, inquiry.text
    front = {"data": base64.b64encode(_jpeg()).decode(), "filename": "front.jpg"}
    answer = client.post(f"{API}/verification/government-ids", headers=auth_header, json={"data": {"attributes": {
        "inquiry-id": inquiry.json()["data"]["id"], "country-code": "US", "id-class": "pp", "front-photo": front}}})
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def _local(url: str) -> str:
    return API + url.split("/api/v1", 1)[1]


@pytest.fixture
def anonymous(app) -> TestClient:
    with TestClient(app) as c:
        yield c


def test_a_signed_link_works_without_an_api_key(client, anonymous, world) -> None:
    verification = _verification_with_photo(client, world.templates, world.sandbox_key)
    link = verification["attributes"]["front-photo-url"]
    answer = anonymous.get(_local(link))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/jpeg" and answer.content[:2] == b"\xff\xd8"
    _assert_persona_error(anonymous.get(_local(link).rsplit("access_token=", 1)[0] + "access_token=1.x.y"), 401)


def test_a_signed_link_does_not_cross_environments(client, anonymous, world) -> None:
    production = _verification_with_photo(client, world.production_templates, world.production_key)
    path = f"verification/government-ids/{production['id']}/front-photo"
    assert anonymous.get(_local(file_links.url(path, production["id"], "front", world.production_id))).status_code == 200
    made_in_sandbox = file_links.url(path, production["id"], "front", world.sandbox_id)
    _assert_persona_error(anonymous.get(_local(made_in_sandbox)), 401)
    # The environment is covered by the signature: rewriting it in the token breaks it.
    forged = made_in_sandbox.replace(f".{world.sandbox_id}.", f".{world.production_id}.")
    _assert_persona_error(anonymous.get(_local(forged)), 401)
    # The link the production API rendered is bound to production.
    assert f".{world.production_id}." in production["attributes"]["front-photo-url"]


def test_verification_redaction_forgets_the_answer_that_created_it(client, world) -> None:
    made = {"data": {"attributes": {"inquiry-template-id": world.templates["Email"]}}}
    inquiry = client.post(f"{API}/inquiries", json=made).json()["data"]["id"]
    body = {"data": {"attributes": {"inquiry-id": inquiry, "email-address": "jane.doe@example.com"}}}
    first = client.post(f"{API}/verification/email-addresses", json=body, headers={"Idempotency-Key": "k-verification"})
    assert first.status_code == 201, first.text
    assert client.delete(f"{API}/verifications/{first.json()['data']['id']}").status_code == 200
    again = client.post(f"{API}/verification/email-addresses", json=body, headers={"Idempotency-Key": "k-verification"})
    assert "Idempotent-Replayed" not in again.headers  # the stored answer, with the address, went with the redaction
