"""Inquiry redaction: PII gone from the inquiry, its verifications and its earlier events; status and timestamps kept."""

from core_support import API, assert_error, counts, create, event_names, simulate, steps, verification
from sqlalchemy import select

from openidv.models import Event, Inquiry, Verification


def test_redact(client, world, db, engine) -> None:
    attrs = {"fields": {"name-first": "Zelda", "email-address": "z@example.com"}, "note": "private"}
    doc = create(client, world.templates["Government ID and Selfie"], attrs=attrs)
    inquiry = doc["data"]
    gov, selfie = steps(client, inquiry)
    simulate(client, inquiry["id"], verification(gov["id"], True), verification(selfie["id"], True))
    client.post(f"{API}/inquiries/{inquiry['id']}/approve", json={"meta": {"comment": "reviewer-secret"}})
    before = client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]

    answer = client.delete(f"{API}/inquiries/{inquiry['id']}")
    assert answer.status_code == 200
    after = answer.json()["data"]["attributes"]
    assert after["fields"] == {} and after["note"] is None and after["reviewer-comment"] is None and after["redacted-at"] is not None
    for key in ("status", "created-at", "started-at", "completed-at", "decisioned-at", "expires-at"):
        assert after[key] == before[key], key
    assert after["status"] == "approved"

    db.rollback()
    row = db.get(Inquiry, inquiry["id"])
    assert row.fields == {} and row.email_index is None
    for ver in db.scalars(select(Verification).where(Verification.inquiry_id == inquiry["id"])):
        assert ver.data == {} and ver.redacted_at is not None and ver.status == "passed"
    payloads = [str(e.payload) for e in db.scalars(select(Event).where(Event.object_id.in_([inquiry["id"], gov["id"], selfie["id"]])))]
    assert len(payloads) > 4 and not any(secret in p for p in payloads for secret in ("Zelda", "z@example.com", "private", "reviewer-secret"))
    assert all("'status'" in p for p in payloads)  # the shape and the statuses stay
    assert event_names(db, inquiry["id"])[-1] == "inquiry.redacted"
    listed = client.get(f"{API}/events", params={"filter[object-id]": inquiry["id"], "page[size]": "100"}).json()["data"]
    assert "Zelda" not in str(listed)

    before_counts = counts(engine)
    assert_error(client.delete(f"{API}/inquiries/{inquiry['id']}"), 409)
    for path, body in (("", {"data": {"attributes": {"note": "x"}}}),):
        assert_error(client.patch(f"{API}/inquiries/{inquiry['id']}{path}", json=body), 409)
    assert_error(client.post(f"{API}/inquiries/{inquiry['id']}/resume"), 409)
    assert_error(client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": inquiry["id"]}}}), 409)
    assert counts(engine) == before_counts
    # A redacted inquiry no longer matches its old blind index.
    assert client.get(f"{API}/inquiries/{inquiry['id']}").json()["data"]["attributes"]["fields"] == {}


def test_redacted_verification_hides_its_data(client, world, db) -> None:
    inquiry = create(client, world.templates["Government ID"], attrs={"fields": {"name-first": "Q"}})["data"]
    (gov,) = steps(client, inquiry)
    done = simulate(client, inquiry["id"], verification(gov["id"], False)).json()["data"]
    ver_id = done["relationships"]["verifications"]["data"][0]["id"]
    client.delete(f"{API}/inquiries/{inquiry['id']}")
    got = client.get(f"{API}/verifications/{ver_id}")
    assert got.status_code == 200 and got.json()["data"]["attributes"]["redacted-at"] is not None
    assert got.json()["data"]["attributes"]["status"] == "failed"
