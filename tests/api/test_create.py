"""POST /inquiries: every meta option, template keys, versions, typed fields, 2023-01-05 top-level PII."""

from datetime import datetime, timedelta

import jwt
import pytest
from core_support import API, assert_error, counts, create, simulate
from sqlalchemy import select

from openidv.models import OneTimeLink


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _post(client, attrs: dict, meta: dict | None = None, **kw):
    body: dict = {"data": {"attributes": attrs}}
    if meta is not None:
        body["meta"] = meta
    return client.post(f"{API}/inquiries", json=body, **kw)


def _account(client, inquiry: dict) -> dict | None:
    ref = inquiry["relationships"]["account"]["data"]
    return client.get(f"{API}/accounts/{ref['id']}").json()["data"] if ref else None


def test_auto_create_account_by_reference_and_reuse(client, world) -> None:
    tmpl = world.templates["Government ID"]
    first = create(client, tmpl, attrs={"reference-id": "user-1"})["data"]
    account = _account(client, first)
    assert account["attributes"]["reference-id"] == "user-1" and first["attributes"]["reference-id"] == "user-1"
    second = create(client, tmpl, attrs={"reference-id": "user-1"})["data"]
    assert second["relationships"]["account"]["data"]["id"] == account["id"]
    assert len(client.get(f"{API}/accounts", params={"filter[reference-id]": "user-1"}).json()["data"]) == 1


def test_auto_create_account_false(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"], attrs={"reference-id": "user-2"}, meta={"auto-create-account": False})["data"]
    assert inquiry["relationships"]["account"]["data"] is None
    assert inquiry["attributes"]["reference-id"] == "user-2"
    assert client.get(f"{API}/accounts", params={"filter[reference-id]": "user-2"}).json()["data"] == []


def test_auto_create_account_reference_id(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"], meta={"auto-create-account-reference-id": "ext-9"})["data"]
    account = _account(client, inquiry)
    assert account["attributes"]["reference-id"] == "ext-9"
    meta = {"auto-create-account-reference-id": "ext-9", "auto-create-account-type-id": "acttp_x"}
    again = create(client, world.templates["Government ID"], meta=meta)["data"]
    assert again["relationships"]["account"]["data"]["id"] == account["id"]


@pytest.mark.parametrize("meta", [
    {"auto-create-account": False, "auto-create-account-type-id": "acttp_1"},
    {"auto-create-account": False, "auto-create-account-reference-id": "r"},
])
def test_auto_create_options_need_auto_create_account(client, world, engine, meta: dict) -> None:
    before = counts(engine)
    assert_error(_post(client, {"inquiry-template-id": world.templates["Government ID"]}, meta), 400)
    assert counts(engine) == before


def test_explicit_account_id(client, world) -> None:
    account = client.post(f"{API}/accounts", json={"data": {"attributes": {"reference-id": "acc-a"}}}).json()["data"]
    inquiry = create(client, world.templates["Government ID"], attrs={"account-id": account["id"]})["data"]
    assert inquiry["relationships"]["account"]["data"] == {"type": "account", "id": account["id"]}
    assert inquiry["attributes"]["reference-id"] == "acc-a"
    assert_error(_post(client, {"inquiry-template-id": world.templates["Government ID"], "account-id": "act_nope"}), 404)


def test_auto_create_inquiry_session(client, world, settings) -> None:
    doc = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})
    token = doc["meta"]["session-token"]
    assert doc["meta"]["one-time-link"] is None and doc["meta"]["one-time-link-short"] is None
    claims = jwt.decode(token, settings.secrets["session_token_secret"], algorithms=["HS256"], audience="persona-verify")
    sessions = doc["data"]["relationships"]["sessions"]["data"]
    assert [s["id"] for s in sessions] == [claims["sid"]]


def test_auto_create_one_time_link_with_expiry(client, world, db) -> None:
    doc = create(client, world.templates["Government ID"], meta={"auto-create-one-time-link": True, "one-time-link-expiration-seconds": 600})
    link, short = doc["meta"]["one-time-link"], doc["meta"]["one-time-link-short"]
    assert "/verify?code=" in link and "/verify?code=" in short and link != short
    assert doc["meta"]["session-token"] is None
    row = db.scalar(select(OneTimeLink).where(OneTimeLink.inquiry_id == doc["data"]["id"]))
    created = _at(doc["data"]["attributes"]["created-at"])
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=created.tzinfo)
    assert abs((expires - created) - timedelta(seconds=600)) < timedelta(seconds=5)


def test_expiration_intervals(client, world) -> None:
    meta = {"expiration-after-create-interval-seconds": 600, "expiration-after-start-interval-seconds": 1200, "expiration-after-resume-interval-seconds": 1800}
    inquiry = create(client, world.templates["Government ID"], meta=meta)["data"]
    attrs = inquiry["attributes"]
    assert _at(attrs["expires-at"]) - _at(attrs["created-at"]) == timedelta(seconds=600)
    started = simulate(client, inquiry["id"], "start_inquiry").json()["data"]["attributes"]
    assert abs(_at(started["expires-at"]) - _at(started["started-at"]) - timedelta(seconds=1200)) < timedelta(seconds=1)
    client.post(f"{API}/inquiries/{inquiry['id']}/expire")
    resumed = client.post(f"{API}/inquiries/{inquiry['id']}/resume").json()
    assert resumed["meta"]["session-token"]
    attrs = resumed["data"]["attributes"]
    assert attrs["status"] == "pending"
    assert abs(_at(attrs["expires-at"]) - _at(attrs["updated-at"]) - timedelta(seconds=1800)) < timedelta(seconds=1)


def test_start_interval_defaults_to_the_creation_interval(client, world) -> None:
    from openidv.kit import clock

    inquiry = create(client, world.templates["Government ID"], meta={"expiration-after-create-interval-seconds": 600})["data"]
    clock.advance(timedelta(seconds=300))
    started = simulate(client, inquiry["id"], "start_inquiry").json()["data"]["attributes"]
    assert abs(_at(started["expires-at"]) - _at(started["started-at"]) - timedelta(seconds=600)) < timedelta(seconds=1)


def test_default_expiry_is_24_hours(client, world) -> None:
    attrs = create(client, world.templates["Government ID"])["data"]["attributes"]
    assert _at(attrs["expires-at"]) - _at(attrs["created-at"]) == timedelta(hours=24)


@pytest.mark.parametrize("meta", [
    {"expiration-after-create-interval-seconds": 0}, {"expiration-after-create-interval-seconds": "60"}, {"one-time-link-expiration-seconds": -1},
    {"auto-create-inquiry-session": "yes"},
])
def test_bad_meta_values(client, world, engine, meta: dict) -> None:
    before = counts(engine)
    assert_error(_post(client, {"inquiry-template-id": world.templates["Government ID"]}, meta), 400)
    assert counts(engine) == before


def test_exactly_one_template_key(client, world, engine) -> None:
    tmpl = world.templates["Government ID"]
    version_id = client.get(f"{API}/inquiry-templates/{tmpl}").json()["data"]["relationships"]["latest-published-version"]["data"]["id"]
    before = counts(engine)
    assert_error(_post(client, {}), 400)
    assert_error(_post(client, {"inquiry-template-id": tmpl, "inquiry-template-version-id": version_id}), 400)
    assert_error(_post(client, {"inquiry-template-id": tmpl, "template-id": tmpl}), 400)
    assert_error(_post(client, {"inquiry-template-id": "inq_wrongprefix"}), 400)
    assert_error(_post(client, {"inquiry-template-id": "itmpl_unknown"}), 404)
    assert counts(engine) == before
    by_template_id = create(client, None, attrs={"inquiry-template-id": None, "template-id": tmpl})["data"]
    assert by_template_id["relationships"]["inquiry-template"]["data"]["id"] == tmpl


def test_version_ids_published_and_draft(client, world, engine) -> None:
    tmpl = world.templates["Government ID"]
    published = client.get(f"{API}/inquiry-templates/{tmpl}").json()["data"]["relationships"]["latest-published-version"]["data"]["id"]
    pinned = create(client, None, attrs={"inquiry-template-id": None, "inquiry-template-version-id": published})["data"]
    assert pinned["relationships"]["inquiry-template-version"]["data"]["id"] == published
    assert pinned["relationships"]["inquiry-template"]["data"]["id"] == tmpl
    draft = client.post(f"{API}/inquiry-templates/{tmpl}/versions", json={"data": {"attributes": {"configuration": {"steps": [{"kind": "selfie"}]}}}})
    assert draft.status_code == 201, draft.text
    draft_id = draft.json()["data"]["id"]
    before = counts(engine)
    assert_error(_post(client, {"inquiry-template-version-id": draft_id}), 422)
    assert counts(engine) == before
    # Publishing makes the draft the version `itmpl_` means; older inquiries stay pinned.
    assert client.post(f"{API}/inquiry-template-versions/{draft_id}/publish").status_code == 200
    newer = create(client, tmpl)["data"]
    assert newer["relationships"]["inquiry-template-version"]["data"]["id"] == draft_id
    again = client.get(f"{API}/inquiries/{pinned['id']}").json()["data"]
    assert again["relationships"]["inquiry-template-version"]["data"]["id"] == published


def test_fields_are_typed(client, world) -> None:
    attrs = {"fields": {"name-first": "Jane", "birthdate": "1990-02-28", "custom_score": 7, "flag": True}}
    fields = create(client, world.templates["Government ID"], attrs=attrs)["data"]["attributes"]["fields"]
    assert fields["name-first"] == {"type": "string", "value": "Jane"}
    assert fields["birthdate"] == {"type": "date", "value": "1990-02-28"}
    assert fields["custom_score"] == {"type": "integer", "value": 7}
    assert fields["flag"] == {"type": "boolean", "value": True}


@pytest.mark.parametrize("value", ["1990-13-01", "1990-02-30", "28/02/1990", 19900228, ""])
def test_bad_dates_are_refused(client, world, engine, value) -> None:
    before = counts(engine)
    error = assert_error(_post(client, {"inquiry-template-id": world.templates["Government ID"], "fields": {"birthdate": value}}), 400)
    assert "birthdate" in error["details"]
    assert counts(engine) == before


def test_template_field_schema_types(client, world, engine) -> None:
    config = {"steps": [{"kind": "selfie"}], "field_schema": [{"key": "age", "type": "integer"}, {"key": "plan", "type": "choices", "choices": ["a", "b"]}]}
    tmpl = client.post(f"{API}/inquiry-templates", json={"data": {"attributes": {"name": "Typed", "configuration": config}}}).json()["data"]["id"]
    ok = create(client, tmpl, attrs={"fields": {"age": 41, "plan": "b"}})["data"]["attributes"]["fields"]
    assert ok["age"] == {"type": "integer", "value": 41} and ok["plan"]["value"] == "b"
    before = counts(engine)
    assert_error(_post(client, {"inquiry-template-id": tmpl, "fields": {"age": "41"}}), 400)
    assert_error(_post(client, {"inquiry-template-id": tmpl, "fields": {"plan": "c"}}), 400)
    assert counts(engine) == before


def test_2023_top_level_pii_on_write_and_read(client, world) -> None:
    headers = {"Persona-Version": "2023-01-05"}
    doc = create(client, world.templates["Government ID"], attrs={"name-first": "Jane", "name-last": "Doe", "birthdate": "1990-01-02"}, headers=headers)
    attrs = doc["data"]["attributes"]
    assert (attrs["name-first"], attrs["name-last"], attrs["birthdate"]) == ("Jane", "Doe", "1990-01-02")
    assert attrs["name-middle"] is None and "address-street-1" in attrs
    assert attrs["fields"]["name-first"]["value"] == "Jane"
    patched = client.patch(f"{API}/inquiries/{doc['data']['id']}", json={"data": {"attributes": {"name-first": "Janet"}}}, headers=headers).json()
    assert patched["data"]["attributes"]["name-first"] == "Janet"
    modern = client.get(f"{API}/inquiries/{doc['data']['id']}").json()["data"]["attributes"]
    assert "name-first" not in modern and modern["fields"]["name-first"]["value"] == "Janet"


def test_optional_attributes_round_trip(client, world) -> None:
    attrs = {"note": "n1", "tags": ["t1", "t2"], "redirect-uri": "https://example.com/done", "creator-email-address": "ops@example.com"}
    got = create(client, world.templates["Government ID"], attrs=attrs)["data"]["attributes"]
    assert (got["note"], got["tags"], got["creator"]) == ("n1", ["t1", "t2"], "ops@example.com")
    assert_error(_post(client, {"inquiry-template-id": world.templates["Government ID"], "status": "approved"}), 400)
