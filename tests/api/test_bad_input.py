"""Bad input answers 4xx in Persona's error shape and writes nothing."""

import pytest
from core_support import API, assert_error, counts, create
from fastapi.testclient import TestClient

from openidv.auth import service as auth
from openidv.inquiries.service import CREATE_ATTRIBUTES
from openidv.kit import versions
from openidv.kit.db import session_factory, transaction
from openidv.models import Environment

STRING_ATTRIBUTES = sorted((CREATE_ATTRIBUTES - {"tags", "fields"}) - set(versions.INQUIRY_PII))
WRONG_STRING_VALUES = [12, True, ["x"], {"a": 1}]


@pytest.fixture
def nothing_written(engine):
    before = counts(engine)
    yield
    assert counts(engine) == before


def _create_body(world, **attrs) -> dict:
    return {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], **attrs}}}


@pytest.mark.parametrize("raw", [b"{nope", b'{"data": ', b"\xff\xfe", b"[1, 2]", b'"text"', b'{"data": []}', b'{"data": {"attributes": "x"}}', b'{"meta": 5}'])
def test_malformed_bodies(client, world, nothing_written, raw: bytes) -> None:
    inquiry_id = "inq_x"
    for method, url in (("POST", f"{API}/inquiries"), ("POST", f"{API}/accounts"), ("POST", f"{API}/inquiry-sessions")):
        answer = client.request(method, url, content=raw, headers={"Content-Type": "application/json"})
        assert_error(answer, 400)
    assert inquiry_id


@pytest.mark.parametrize("attribute", STRING_ATTRIBUTES)
@pytest.mark.parametrize("value", WRONG_STRING_VALUES, ids=["int", "bool", "list", "object"])
def test_wrong_types_on_create(client, world, nothing_written, attribute: str, value) -> None:
    attrs = {"inquiry-template-id": world.templates["Government ID"], attribute: value}
    if attribute in ("inquiry-template-version-id", "template-id"):
        attrs = {attribute: value}
    assert_error(client.post(f"{API}/inquiries", json={"data": {"attributes": attrs}}), 400)


@pytest.mark.parametrize(("attribute", "value"), [
    ("tags", "vip"), ("tags", [1]), ("fields", "x"), ("fields", [1]), ("name-first", 5), ("birthdate", 19900101), ("email-address", ["a"]),
])
def test_wrong_types_on_create_collections(client, world, nothing_written, attribute: str, value) -> None:
    assert_error(client.post(f"{API}/inquiries", json=_create_body(world, **{attribute: value})), 400)


@pytest.mark.parametrize(("attribute", "value"), [
    ("note", 5), ("redirect-uri", []), ("tags", "x"), ("fields", 1), ("status", "approved"), ("name-first", {"a": 1}),
])
def test_wrong_types_on_update(client, world, engine, attribute: str, value) -> None:
    inquiry = create(client, world.templates["Government ID"], attrs={"note": "keep"})["data"]
    before = counts(engine)
    assert_error(client.patch(f"{API}/inquiries/{inquiry['id']}", json={"data": {"attributes": {attribute: value}}}), 400)
    assert counts(engine) == before
    assert client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"] == inquiry["attributes"]


@pytest.mark.parametrize(("attribute", "value"), [("reference-id", 5), ("tags", "x"), ("fields", []), ("account-status", 1), ("bogus", "x"), ("name-first", 1)])
def test_wrong_types_on_account_create(client, world, nothing_written, attribute: str, value) -> None:
    assert_error(client.post(f"{API}/accounts", json={"data": {"attributes": {attribute: value}}}), 400)


@pytest.mark.parametrize(("path", "meta"), [
    ("add-tag", {"tag-name": 5}), ("set-tags", {"tag-name": [1]}), ("approve", {"comment": 5}), ("generate-one-time-link", {"expires-in-seconds": "60"}),
    ("generate-one-time-link", {"expires-in-seconds": 0}), ("perform-simulate-actions", {"simulate-actions": "start_inquiry"}),
    ("perform-simulate-actions", {"simulate-actions": [{"type": 5}]}),
    ("perform-simulate-actions", {"simulate-actions": [{"type": "create_passed_verification"}]}),
])
def test_wrong_meta_on_actions(client, world, engine, path: str, meta: dict) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    before = counts(engine)
    assert_error(client.post(f"{API}/inquiries/{inquiry['id']}/{path}", json={"meta": meta}), 400)
    assert counts(engine) == before
    assert client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]["status"] == "created"


INQUIRY_ROUTES = [
    ("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/approve"), ("POST", "/decline"), ("POST", "/mark-for-review"), ("POST", "/expire"),
    ("POST", "/resume"), ("POST", "/generate-one-time-link"), ("POST", "/add-tag"), ("POST", "/remove-tag"), ("POST", "/set-tags"),
    ("POST", "/perform-simulate-actions"),
]


def _call(client, method: str, url: str, **kw):
    body = {"data": {"attributes": {"note": "x"}}, "meta": {"tag-name": "t", "simulate-actions": [{"type": "start_inquiry"}]}}
    return client.request(method, url, json=body if method != "GET" else None, **kw)


@pytest.mark.parametrize(("method", "suffix"), INQUIRY_ROUTES)
def test_unknown_and_other_environment_inquiries(client, world, engine, method: str, suffix: str) -> None:
    production = {"Authorization": f"Bearer {world.production_key}"}
    body = {"data": {"attributes": {"inquiry-template-id": world.production_templates["Government ID"]}}}
    theirs = client.post(f"{API}/inquiries", json=body, headers=production)
    theirs_id = theirs.json()["data"]["id"]
    before = counts(engine)
    for inquiry_id in ("inq_doesnotexist", theirs_id):
        assert_error(_call(client, method, f"{API}/inquiries/{inquiry_id}{suffix}"), 404)
    assert counts(engine) == before
    assert client.get(f"{API}/inquiries/{theirs_id}", headers=production).json()["data"]["attributes"]["note"] is None


def test_other_environment_ids_everywhere(client, world, engine) -> None:
    production = {"Authorization": f"Bearer {world.production_key}"}
    prod_tmpl = world.production_templates["Government ID"]
    body = {"data": {"attributes": {"inquiry-template-id": prod_tmpl, "reference-id": "p1"}}, "meta": {"auto-create-inquiry-session": True}}
    doc = client.post(f"{API}/inquiries", json=body, headers=production).json()
    account_id = doc["data"]["relationships"]["account"]["data"]["id"]
    session_id = doc["data"]["relationships"]["sessions"]["data"][0]["id"]
    event_id = client.get(f"{API}/events", headers=production).json()["data"][0]["id"]
    template = client.get(f"{API}/inquiry-templates/{prod_tmpl}", headers=production).json()["data"]
    version_id = template["relationships"]["latest-published-version"]["data"]["id"]
    before = counts(engine)
    for url in (f"{API}/accounts/{account_id}", f"{API}/inquiry-sessions/{session_id}", f"{API}/events/{event_id}", f"{API}/inquiry-templates/{prod_tmpl}",
                f"{API}/inquiry-template-versions/{version_id}"):
        assert_error(client.get(url), 404)
    assert_error(client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": prod_tmpl}}}), 404)
    assert_error(client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-version-id": version_id}}}), 404)
    assert_error(client.post(f"{API}/inquiries", json=_create_body(world, **{"account-id": account_id})), 404)
    assert_error(client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": doc["data"]["id"]}}}), 404)
    assert_error(client.post(f"{API}/inquiry-sessions/{session_id}/expire"), 404)
    assert_error(client.post(f"{API}/inquiry-sessions/expire-all", json={"meta": {"inquiry-ids": [doc["data"]["id"]]}}), 422)
    assert_error(client.patch(f"{API}/accounts/{account_id}", json={"data": {"attributes": {"reference-id": "mine"}}}), 404)
    assert_error(client.delete(f"{API}/accounts/{account_id}"), 404)
    assert client.get(f"{API}/accounts", params={"filter[reference-id]": "p1"}).json()["data"] == []
    assert client.get(f"{API}/events", params={"filter[id]": event_id}).json()["data"] == []
    assert client.get(f"{API}/inquiries", params={"filter[inquiry-id]": doc["data"]["id"]}).json()["data"] == []
    assert counts(engine) == before


def test_oversized_body_is_413(settings, world, engine) -> None:
    from openidv.app import create_app

    app = create_app(settings.model_copy(update={"max_body_bytes": 2000}))
    before = counts(engine)
    with TestClient(app) as small:
        small.headers["Authorization"] = f"Bearer {world.sandbox_key}"
        answer = small.post(f"{API}/inquiries", json=_create_body(world, note="x" * 3000))
        error = assert_error(answer, 413)
        assert error["title"] == "Payload Too Large" and answer.headers["Request-Id"].startswith("req_")
        assert small.post(f"{API}/inquiries", json=_create_body(world, note="x" * 100)).status_code == 201
    assert counts(engine)["inquiries"] == before["inquiries"] + 1


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer persona_sandbox_wrong", "persona_sandbox_x"])
def test_missing_or_invalid_keys_are_401_title_only(client, world, nothing_written, authorization) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    if authorization is None:
        del client.headers["Authorization"]
    for answer in (client.get(f"{API}/inquiries", headers=headers), client.post(f"{API}/inquiries", json=_create_body(world), headers=headers)):
        assert_error(answer, 401)
        assert "Persona-Environment-Id" not in answer.headers


def test_revoked_key_is_401(client, world, engine) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        made = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="soon revoked")
    headers = {"Authorization": f"Bearer {made.secret}"}
    assert client.get(f"{API}/inquiries", headers=headers).status_code == 200
    with transaction(session_factory(engine, writer=True)) as db:
        auth.revoke_api_key(db, db.get(type(made.key), made.key.id))
    before = counts(engine)
    error = assert_error(client.post(f"{API}/inquiries", json=_create_body(world), headers=headers), 401)
    assert error == {"title": "Token is invalid"}
    assert counts(engine) == before


def test_missing_permission_is_403(client, world, engine) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        reader = auth.create_api_key(db, db.get(Environment, world.sandbox_id), name="reader", granted=["inquiry.read"]).secret
    headers = {"Authorization": f"Bearer {reader}"}
    inquiry = create(client, world.templates["Government ID"])["data"]
    before = counts(engine)
    assert client.get(f"{API}/inquiries/{inquiry['id']}", headers=headers).status_code == 200
    for answer in (
        client.post(f"{API}/inquiries", json=_create_body(world), headers=headers),
        client.post(f"{API}/inquiries/{inquiry['id']}/approve", headers=headers),
        client.delete(f"{API}/inquiries/{inquiry['id']}", headers=headers),
        client.get(f"{API}/accounts", headers=headers),
        client.post(f"{API}/accounts", json={"data": {"attributes": {}}}, headers=headers),
        client.get(f"{API}/events", headers=headers),
    ):
        error = assert_error(answer, 403)
        assert error["title"] == "Forbidden" and "permission" in error["details"]
        assert answer.headers["Persona-Environment-Id"] == world.sandbox_id
    assert counts(engine) == before


def test_simulate_in_production_is_403(client, world, engine) -> None:
    production = {"Authorization": f"Bearer {world.production_key}"}
    body = {"data": {"attributes": {"inquiry-template-id": world.production_templates["Government ID"]}}}
    inquiry = client.post(f"{API}/inquiries", json=body, headers=production).json()["data"]
    before = counts(engine)
    simulate = {"meta": {"simulate-actions": [{"type": "approve_inquiry"}]}}
    answer = client.post(f"{API}/inquiries/{inquiry['id']}/perform-simulate-actions", json=simulate, headers=production)
    assert_error(answer, 403)
    assert counts(engine) == before
    assert client.get(f"{API}/inquiries/{inquiry['id']}", headers=production).json()["data"]["attributes"]["status"] == "created"


def test_failure_mid_request_rolls_back(client, world, engine) -> None:
    """An error after rows were flushed (here: the 26th session) leaves none of the request's writes."""
    inquiry = create(client, world.templates["Government ID"])["data"]
    before = counts(engine)
    actions = [{"type": "start_inquiry"}, {"type": "no_such_action"}]
    assert_error(client.post(f"{API}/inquiries/{inquiry['id']}/perform-simulate-actions", json={"meta": {"simulate-actions": actions}}), 400)
    assert counts(engine) == before
    assert client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]["status"] == "created"


def _raw_create(world, fields_json: str) -> bytes:
    template_id = world.templates["Government ID"]
    return ('{"data":{"attributes":{"inquiry-template-id":"' + template_id + '","fields":{"x":' + fields_json + "}}}}").encode()


@pytest.mark.parametrize("raw", [b"[" * 100_000, b"[" * 40 + b"]" * 40, "NaN", "Infinity", "-Infinity", "1e999"])
def test_bodies_json_allows_but_we_cannot_store(client, world, nothing_written, raw) -> None:
    content = raw if isinstance(raw, bytes) else _raw_create(world, raw)
    assert_error(client.post(f"{API}/inquiries", content=content, headers={"Content-Type": "application/json"}), 400)


@pytest.mark.parametrize("attrs", [{"note": "a\u0000b"}, {"fields": {"k\u0000": "v"}}, {"fields": {"name-first": "x\u0000"}}])
def test_nul_characters_are_refused(client, world, nothing_written, attrs: dict) -> None:
    assert_error(client.post(f"{API}/inquiries", json=_create_body(world, **attrs)), 400)


@pytest.mark.parametrize("meta", [{"expiration-after-create-interval-seconds": 10**15}, {"expiration-after-start-interval-seconds": 10**12},
                                  {"auto-create-one-time-link": True, "one-time-link-expiration-seconds": 10**15}])
def test_huge_intervals_are_400(client, world, nothing_written, meta: dict) -> None:
    assert_error(client.post(f"{API}/inquiries", json={**_create_body(world), "meta": meta}), 400)


def test_huge_link_expiry_is_400(client, world, engine) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    before = counts(engine)
    assert_error(client.post(f"{API}/inquiries/{inquiry['id']}/generate-one-time-link", json={"meta": {"expires-in-seconds": 10**15}}), 400)
    assert counts(engine) == before


@pytest.mark.parametrize("attrs", [{"account-status": "x" * 21}, {"account-type-id": 5}])
def test_account_attribute_limits(client, world, nothing_written, attrs: dict) -> None:
    assert_error(client.post(f"{API}/accounts", json={"data": {"attributes": attrs}}), 400)
