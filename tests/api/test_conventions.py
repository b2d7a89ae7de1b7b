"""Cross-cutting API behaviour: Idempotency-Key, Key-Inflection, Persona-Version, include, sparse fieldsets, headers."""

import pytest
from core_support import API, assert_error, counts, create, simulate
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from openidv.models import IdempotencyRecord


def _body(world, **attrs) -> dict:
    return {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], **attrs}}}


# ---------------------------------------------------------------- Idempotency-Key


def test_replay_returns_the_first_answer_without_a_second_inquiry(client, world, engine) -> None:
    before = counts(engine)["inquiries"]
    first = client.post(f"{API}/inquiries", json=_body(world, note="once"), headers={"Idempotency-Key": "k-1"})
    again = client.post(f"{API}/inquiries", json=_body(world, note="once"), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Request-Id"] != first.headers["Request-Id"]
    assert counts(engine)["inquiries"] == before + 1
    other = client.post(f"{API}/inquiries", json=_body(world, note="once"), headers={"Idempotency-Key": "k-2"})
    assert other.json()["data"]["id"] != first.json()["data"]["id"]


def test_same_key_other_body_is_409(client, world, engine) -> None:
    client.post(f"{API}/inquiries", json=_body(world, note="a"), headers={"Idempotency-Key": "k-x"})
    before = counts(engine)
    assert_error(client.post(f"{API}/inquiries", json=_body(world, note="b"), headers={"Idempotency-Key": "k-x"}), 409)
    assert_error(client.post(f"{API}/accounts", json=_body(world, note="a"), headers={"Idempotency-Key": "k-x"}), 409)
    assert counts(engine) == before


def test_errors_are_replayed_too(client, world, engine) -> None:
    bad = {"data": {"attributes": {"inquiry-template-id": "itmpl_missing"}}}
    first = client.post(f"{API}/inquiries", json=bad, headers={"Idempotency-Key": "k-err"})
    again = client.post(f"{API}/inquiries", json=bad, headers={"Idempotency-Key": "k-err"})
    assert first.status_code == again.status_code == 404 and first.content == again.content


def test_a_key_in_flight_is_not_run_twice(client, world, engine) -> None:
    """A retry that arrives while the first request still runs gets 409 instead of a second inquiry."""
    from datetime import timedelta

    from openidv.api import idempotency
    from openidv.kit import clock
    from openidv.kit.db import session_factory, transaction

    body = _body(world, note="slow")
    raw = client.build_request("POST", f"{API}/inquiries", json=body).content
    digest = idempotency.request_hash("POST", f"{API}/inquiries", "", raw)
    with transaction(session_factory(engine, writer=True)) as db:
        assert idempotency.reserve(db, world.sandbox_id, "k-busy", digest) is None
    before = counts(engine)
    error = assert_error(client.post(f"{API}/inquiries", content=raw, headers={"Idempotency-Key": "k-busy", "Content-Type": "application/json"}), 409)
    assert "in progress" in error["details"]
    assert counts(engine) == before
    # A claim left by a process that died is taken over after a while.
    clock.advance(timedelta(minutes=6))
    taken_over = client.post(f"{API}/inquiries", content=raw, headers={"Idempotency-Key": "k-busy", "Content-Type": "application/json"})
    assert taken_over.status_code == 201
    replay = client.post(f"{API}/inquiries", content=raw, headers={"Idempotency-Key": "k-busy", "Content-Type": "application/json"})
    assert replay.content == taken_over.content


def test_concurrent_retries_make_one_inquiry(client, world, engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    before = counts(engine)["inquiries"]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k-race"}), range(6)))
    assert counts(engine)["inquiries"] == before + 1
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.content == created[0].content for a in created)
    assert all(a.status_code in (201, 409) for a in answers)


def test_overlong_key_is_400(client, world, engine) -> None:
    before = counts(engine)
    assert_error(client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k" * 256}), 400)
    assert counts(engine) == before
    assert client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k" * 255}).status_code == 201


def test_get_ignores_the_key(client, world, engine) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    one = client.get(f"{API}/inquiries/{inquiry['id']}", headers={"Idempotency-Key": "k-get"})
    simulate(client, inquiry["id"], "start_inquiry")
    two = client.get(f"{API}/inquiries/{inquiry['id']}", headers={"Idempotency-Key": "k-get"})
    assert one.json()["data"]["attributes"]["status"] == "created" and two.json()["data"]["attributes"]["status"] == "pending"
    assert "Idempotent-Replayed" not in two.headers
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_401_is_not_stored(client, world, engine) -> None:
    denied = client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k-auth", "Authorization": "Bearer persona_sandbox_wrong"})
    assert_error(denied, 401)
    ok = client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k-auth"})
    assert ok.status_code == 201


def test_keys_are_per_environment(client, world) -> None:
    client.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k-env"})
    body = {"data": {"attributes": {"inquiry-template-id": world.production_templates["Government ID"]}}}
    prod = client.post(f"{API}/inquiries", json=body, headers={"Idempotency-Key": "k-env", "Authorization": f"Bearer {world.production_key}"})
    assert prod.status_code == 201 and "Idempotent-Replayed" not in prod.headers


# ---------------------------------------------------------------- Key-Inflection and Persona-Version


@pytest.mark.parametrize(("header", "key"), [
    ("kebab", "reference-id"), ("camel", "referenceId"), ("snake", "reference_id"), ("snake_case", "reference_id"), (None, "reference-id"),
])
def test_key_inflection(client, world, header, key: str) -> None:
    headers = {"Key-Inflection": header} if header else {}
    doc = client.post(f"{API}/inquiries", json=_body(world, **{"reference-id": "r", "fields": {"name-first": "Ann"}}), headers=headers).json()
    assert doc["data"]["attributes"][key] == "r"
    # From 2025-10-27 the keys inside `fields` keep their spelling; values never change.
    assert doc["data"]["attributes"]["fields"]["name-first"]["value"] == "Ann"
    assert doc["data"]["attributes"]["status"] == "created"
    listed = client.get(f"{API}/inquiries", headers=headers).json()
    assert listed["data"][0]["attributes"][key] == "r"
    next_key = {"camel": "next", "snake": "next"}.get(header or "kebab", "next")
    assert next_key in listed["links"]


def test_fields_keys_inflected_in_2023(client, world) -> None:
    headers = {"Key-Inflection": "camel", "Persona-Version": "2023-01-05"}
    doc = client.post(f"{API}/inquiries", json=_body(world, fields={"name-first": "Ann"}), headers=headers).json()
    attrs = doc["data"]["attributes"]
    assert attrs["fields"]["nameFirst"]["value"] == "Ann" and attrs["nameFirst"] == "Ann"


@pytest.mark.parametrize("casing", ["snake", "camel"])
def test_request_bodies_in_any_casing(client, world, casing: str) -> None:
    tmpl = world.templates["Government ID"]
    if casing == "snake":
        body = {"data": {"attributes": {"inquiry_template_id": tmpl, "reference_id": "s"}}, "meta": {"auto_create_inquiry_session": True}}
    else:
        body = {"data": {"attributes": {"inquiryTemplateId": tmpl, "referenceId": "s"}}, "meta": {"autoCreateInquirySession": True}}
    doc = client.post(f"{API}/inquiries", json=body).json()
    assert doc["data"]["attributes"]["reference-id"] == "s" and doc["meta"]["session-token"]
    tagged = client.post(f"{API}/inquiries/{doc['data']['id']}/add-tag", json={"meta": {"tag_name" if casing == "snake" else "tagName": "gold"}})
    assert tagged.json()["data"]["attributes"]["tags"] == ["gold"]


@pytest.mark.parametrize(("version", "old_shape"), [("2021-07-05", True), ("2023-01-05", True), ("2025-10-27", False), ("2025-12-08", False), (None, False)])
def test_persona_versions(client, world, version, old_shape: bool) -> None:
    headers = {"Persona-Version": version} if version else {}
    attrs = client.post(f"{API}/inquiries", json=_body(world, fields={"name-last": "Lee"}), headers=headers).json()["data"]["attributes"]
    assert ("name-last" in attrs) is old_shape
    if old_shape:
        assert attrs["name-last"] == "Lee" and attrs["email-address"] is None


def test_unknown_version_is_400(client, world, engine) -> None:
    before = counts(engine)
    answer = client.post(f"{API}/inquiries", json=_body(world), headers={"Persona-Version": "2024-99-99"})
    assert_error(answer, 400)
    assert answer.headers["Request-Id"].startswith("req_")
    assert counts(engine) == before


# ---------------------------------------------------------------- include and sparse fieldsets


def test_include_every_relationship(client, world) -> None:
    from core_support import steps, verification

    doc = create(client, world.templates["Government ID and Selfie"], attrs={"reference-id": "inc"}, meta={"auto-create-inquiry-session": True})
    inquiry = doc["data"]
    simulate(client, inquiry["id"], verification(steps(client, inquiry)[0]["id"], True))
    url = f"{API}/inquiries/{inquiry['id']}"
    everything = client.get(url, params={"include": "account,inquiry-template,inquiry-template-version,sessions,verifications"}).json()
    types = sorted(item["type"] for item in everything["included"])
    assert types == ["account", "inquiry-session", "inquiry-template", "inquiry-template-version", "verification/government-id"]
    relationships = everything["data"]["relationships"]
    included_ids = {item["id"] for item in everything["included"]}
    assert relationships["account"]["data"]["id"] in included_ids and relationships["sessions"]["data"][0]["id"] in included_ids
    only = client.get(url, params={"include": "account"}).json()["included"]
    assert [item["type"] for item in only] == ["account"]
    assert client.get(url, params={"include": ""}).json().get("included", []) == []
    assert_error(client.get(url, params={"include": "nonsense"}), 400)


def test_sparse_fieldsets(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"], attrs={"fields": {"name-first": "Jo", "name-last": "X"}, "note": "n"})["data"]
    got = client.get(f"{API}/inquiries/{inquiry['id']}", params={"fields[inquiry]": "status,fields.name-first"}).json()["data"]
    assert got["attributes"] == {"status": "created", "fields": {"name-first": {"type": "string", "value": "Jo"}}}
    assert got["id"] == inquiry["id"] and "relationships" in got
    listed = client.get(f"{API}/inquiries", params={"fields[inquiry]": "note"}).json()["data"]
    assert listed[0]["attributes"] == {"note": "n"}


# ---------------------------------------------------------------- headers


def test_headers_on_every_authenticated_answer(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    client.post(f"{API}/inquiries/{inquiry['id']}/approve")
    answers = [
        client.get(f"{API}/inquiries/{inquiry['id']}"),
        client.post(f"{API}/inquiries", json=_body(world)),
        client.get(f"{API}/inquiries/inq_missing"),
        client.post(f"{API}/inquiries", content=b"{nope", headers={"Content-Type": "application/json"}),
        client.post(f"{API}/inquiries/{inquiry['id']}/approve"),
        client.get(f"{API}/inquiries", headers={"Persona-Version": "1999-01-01"}),
        client.get(f"{API}/events"),
        client.get(f"{API}/inquiry-templates"),
    ]
    assert [a.status_code for a in answers] == [200, 201, 404, 400, 409, 400, 200, 200]
    ids = set()
    for answer in answers:
        assert answer.headers["Request-Id"].startswith("req_")
        ids.add(answer.headers["Request-Id"])
        assert answer.headers["Persona-Environment-Id"] == world.sandbox_id
        assert answer.headers["Persona-Organization-Id"].startswith("org_")
        assert int(answer.headers["RateLimit-Limit"]) > 0
        assert int(answer.headers["RateLimit-Remaining"]) >= 0 and int(answer.headers["RateLimit-Reset"]) >= 0
    assert len(ids) == len(answers)
    denied = client.get(f"{API}/inquiries", headers={"Authorization": "Bearer nope"})
    assert denied.headers["Request-Id"].startswith("req_")


def test_rate_limit(settings, world, engine) -> None:
    from openidv.app import create_app

    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    with TestClient(app) as limited:
        limited.headers["Authorization"] = f"Bearer {world.sandbox_key}"
        remaining = [int(limited.get(f"{API}/inquiry-templates").headers["RateLimit-Remaining"]) for _ in range(3)]
        assert remaining == [2, 1, 0]
        before = counts(engine)
        refused = limited.post(f"{API}/inquiries", json=_body(world), headers={"Idempotency-Key": "k-429"})
        error = assert_error(refused, 429)
        assert error["title"] == "Rate limit exceeded"
        assert refused.headers["RateLimit-Remaining"] == "0" and refused.headers["RateLimit-Limit"] == "3"
        assert int(refused.headers["Retry-After"]) >= 0 and refused.headers["Request-Id"].startswith("req_")
        assert counts(engine) == before
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
        # The limit is per environment: production still answers.
        prod = limited.get(f"{API}/inquiry-templates", headers={"Authorization": f"Bearer {world.production_key}"})
        assert prod.status_code == 200
