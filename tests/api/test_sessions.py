"""Inquiry sessions: JWT claims, the 25-session limit, expire, expire-all, one-time links."""

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from core_support import API, assert_error, counts, create, event_names

from openidv.inquiry_sessions import service as sessions
from openidv.kit import clock
from openidv.kit.db import session_factory, transaction


def _claims(settings, token: str) -> dict:
    return jwt.decode(token, settings.secrets["session_token_secret"], algorithms=["HS256"], audience="persona-verify")


def _code(link: str) -> str:
    return parse_qs(urlsplit(link).query)["code"][0]


def _redeem(engine, code: str):
    with transaction(session_factory(engine, writer=True)) as db:
        link = sessions.redeem_one_time_link(db, code)
        return link.session_id if link else None


def test_token_claims(client, world, settings) -> None:
    doc = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})
    token = doc["meta"]["session-token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = _claims(settings, token)
    session_id = doc["data"]["relationships"]["sessions"]["data"][0]["id"]
    assert claims["sub"] == claims["sid"] == session_id and session_id.startswith("iqse_")
    assert claims["aud"] == "persona-verify"
    assert claims["iss"] == urlsplit(settings.base_url).netloc
    assert claims["nbf"] == claims["iat"] and claims["exp"] == claims["iat"] + 86400
    assert uuid.UUID(claims["jti"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another secret of enough length 123", algorithms=["HS256"], audience="persona-verify")
    # resume (of a pending inquiry) hands out the unused session again, under a new token
    client.post(f"{API}/inquiries/{doc['data']['id']}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": "start_inquiry"}]}})
    resumed = client.post(f"{API}/inquiries/{doc['data']['id']}/resume").json()
    again = _claims(settings, resumed["meta"]["session-token"])
    assert again["sid"] == session_id and again["jti"] != claims["jti"]


def test_session_resource_and_expiry(client, world) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    made = client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": inquiry["id"]}}})
    assert made.status_code == 201, made.text
    row = made.json()["data"]
    assert row["type"] == "inquiry-session" and row["attributes"]["status"] == "new"
    assert row["relationships"]["inquiry"]["data"] == {"type": "inquiry", "id": inquiry["id"]}
    assert client.get(f"{API}/inquiry-sessions/{row['id']}").json()["data"] == row
    assert_error(client.get(f"{API}/inquiry-sessions/iqse_missing"), 404)
    assert_error(client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {}}}), 400)
    assert_error(client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": "inq_missing"}}}), 404)


def test_at_most_25_sessions(client, world, engine) -> None:
    inquiry = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})["data"]
    body = {"data": {"attributes": {"inquiry-id": inquiry["id"]}}}
    for _ in range(24):
        assert client.post(f"{API}/inquiry-sessions", json=body).status_code == 201
    before = counts(engine)
    assert_error(client.post(f"{API}/inquiry-sessions", json=body), 422)
    assert_error(client.post(f"{API}/inquiries/{inquiry['id']}/generate-one-time-link", json={}), 422)
    assert counts(engine) == before


def test_expire_one_and_all(client, world, db) -> None:
    a = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})["data"]
    b = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})["data"]
    first = a["relationships"]["sessions"]["data"][0]["id"]
    expired = client.post(f"{API}/inquiry-sessions/{first}/expire")
    assert expired.status_code == 200 and expired.json()["data"]["attributes"]["status"] == "expired"
    assert expired.json()["data"]["attributes"]["expired-at"] is not None
    assert event_names(db, first) == ["inquiry-session.expired"]
    assert_error(client.post(f"{API}/inquiry-sessions/{first}/expire"), 409)
    extra = client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": a["id"]}}}).json()["data"]["id"]
    answer = client.post(f"{API}/inquiry-sessions/expire-all", json={"meta": {"inquiry-ids": [a["id"], b["id"]]}})
    assert answer.status_code == 200
    assert sorted(s["id"] for s in answer.json()["data"]) == sorted([extra, b["relationships"]["sessions"]["data"][0]["id"]])
    listed = client.get(f"{API}/inquiry-sessions").json()["data"]
    assert {s["attributes"]["status"] for s in listed} == {"expired"}
    assert_error(client.post(f"{API}/inquiry-sessions/expire-all", json={"meta": {"inquiry-ids": []}}), 400)
    assert_error(client.post(f"{API}/inquiry-sessions/expire-all", json={"meta": {"inquiry-ids": ["inq_missing"]}}), 422)


def test_session_expiry_follows_the_inquiry_and_resume_keeps_it(client, world, db) -> None:
    from openidv.models import InquirySession

    doc = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True, "expiration-after-create-interval-seconds": 3600})
    session_id = doc["data"]["relationships"]["sessions"]["data"][0]["id"]
    row = db.get(InquirySession, session_id)
    expires = clock.as_utc(row.expires_at)
    assert expires.isoformat(timespec="milliseconds").replace("+00:00", "Z") == doc["data"]["attributes"]["expires-at"]
    client.post(f"{API}/inquiries/{doc['data']['id']}/resume")
    db.rollback()
    assert clock.as_utc(db.get(InquirySession, session_id).expires_at) == expires


def test_one_time_link_single_use_with_grace(client, world, engine) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    answer = client.post(f"{API}/inquiries/{inquiry['id']}/generate-one-time-link", json={"meta": {"expires-in-seconds": 3600}})
    assert answer.status_code == 200
    meta = answer.json()["meta"]
    code, short = _code(meta["one-time-link"]), _code(meta["one-time-link-short"])
    session_id = _redeem(engine, code)
    assert session_id and session_id in [s["id"] for s in answer.json()["data"]["relationships"]["sessions"]["data"]]
    clock.advance(timedelta(minutes=4))
    assert _redeem(engine, code) == session_id  # within the grace
    assert _redeem(engine, short) == session_id  # the short form opens the same link
    clock.advance(timedelta(minutes=2))
    assert _redeem(engine, code) is None and _redeem(engine, short) is None
    assert _redeem(engine, "not-a-code") is None


def test_one_time_link_expiry(client, world, engine) -> None:
    doc = create(client, world.templates["Government ID"], meta={"auto-create-one-time-link": True, "one-time-link-expiration-seconds": 60})
    code = _code(doc["meta"]["one-time-link"])
    clock.advance(timedelta(seconds=61))
    assert _redeem(engine, code) is None


def test_one_time_links_revoked_when_the_inquiry_expires(client, world, engine) -> None:
    inquiry = create(client, world.templates["Government ID"])["data"]
    by_inquiry = client.post(f"{API}/inquiries/{inquiry['id']}/generate-one-time-link", json={}).json()["meta"]["one-time-link"]
    session_id = client.get(f"{API}/inquiry-sessions", params={"filter[inquiry-id]": inquiry["id"]}).json()["data"][0]["id"]
    by_session = client.post(f"{API}/inquiry-sessions/{session_id}/generate-one-time-link", json={"meta": {"expires-in-seconds": 600}})
    assert by_session.status_code == 200 and by_session.json()["data"]["id"] == session_id
    second = by_session.json()["meta"]["one-time-link"]
    assert client.post(f"{API}/inquiries/{inquiry['id']}/expire").status_code == 200
    assert _redeem(engine, _code(by_inquiry)) is None and _redeem(engine, _code(second)) is None
    # resumed: old links stay dead
    client.post(f"{API}/inquiries/{inquiry['id']}/resume")
    assert _redeem(engine, _code(by_inquiry)) is None
