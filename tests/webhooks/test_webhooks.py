"""Webhooks API, signed deliveries to a real loopback receiver, retries, 410, the delivery log, bad input."""

import time
from typing import Any

import pytest
from sqlalchemy import select
from webhook_receiver import signature_ok, validate_response, validate_webhook_body

from openidv.inquiries.progress import expire_due
from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.models import Event, Inquiry, WebhookDelivery
from openidv.webhooks import delivery

API = "/api/v1"


def make_webhook(client, url: str, events: list[str] | None = None, **attrs: Any) -> dict[str, Any]:
    body = {"data": {"attributes": {"name": "test", "url": url, "enabled-events": events or ["*"], **attrs}}}
    answer = client.post(f"{API}/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    validate_response(answer.json(), "/webhooks", "post", 201)
    return answer.json()["data"]


def new_inquiry(client, world) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "fields": {"name-first": "Jane"}}}}
    answer = client.post(f"{API}/inquiries", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["id"]


def assert_error(answer, status: int) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"errors"} and body["errors"][0]["title"] and body["errors"][0]["details"], body


def check_delivery(got, secrets: list[str], made: int, version: str = "2025-12-08") -> dict[str, Any]:
    assert signature_ok(got.headers["persona-signature"], got.raw, secrets), got.headers
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["persona-webhook-attempts-made"] == str(made)
    assert int(got.headers["persona-webhook-attempts-left"]) == 8 - made
    assert abs(int(got.headers["persona-webhook-first-attempted-at"]) - time.time()) < 60
    body = got.body
    name = body["data"]["attributes"]["name"]
    validate_webhook_body(body, name, version)
    return body


def test_management_round_trip(client, world, policy) -> None:
    made = make_webhook(client, "https://example.com/hook", ["inquiry.created", "inquiry.approved"], description="d")
    attributes = made["attributes"]
    assert made["id"].startswith("wbh_") and attributes["status"] == "enabled"
    assert attributes["secret"].startswith("wbhsec_") and attributes["secrets"] == [{"value": attributes["secret"], "expires-at": None}]
    assert attributes["api-version"] == "2025-12-08" and attributes["api-key-inflection"] == "kebab"

    listed = client.get(f"{API}/webhooks").json()
    validate_response(listed, "/webhooks", "get", 200)
    assert [w["id"] for w in listed["data"]] == [made["id"]] and "secret" not in listed["data"][0]["attributes"]

    got = client.get(f"{API}/webhooks/{made['id']}").json()
    validate_response(got, "/webhooks/{webhook-id}", "get", 200)
    assert got["data"]["attributes"]["secret"] == attributes["secret"]

    patched = client.patch(f"{API}/webhooks/{made['id']}", json={"data": {"attributes": {"enabled-events": ["*"], "api-key-inflection": "camel"}}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["attributes"]["enabled-events"] == ["*"]
    assert "secret" not in patched.json()["data"]["attributes"]

    assert client.post(f"{API}/webhooks/{made['id']}/disable").json()["data"]["attributes"]["status"] == "disabled"
    assert client.post(f"{API}/webhooks/{made['id']}/enable").json()["data"]["attributes"]["status"] == "enabled"

    rotated = client.post(f"{API}/webhooks/{made['id']}/rotate-secret", json={"meta": {"expires-in-seconds": 600}}).json()["data"]["attributes"]
    assert rotated["secret"] != attributes["secret"]
    assert [s["value"] for s in rotated["secrets"]] == [rotated["secret"], attributes["secret"]]
    assert rotated["secrets"][1]["expires-at"] is not None

    cloned = client.post(f"{API}/webhooks/{made['id']}/clone")
    assert cloned.status_code == 201, cloned.text
    copy = cloned.json()["data"]
    assert copy["id"] != made["id"] and copy["attributes"]["secret"] not in (rotated["secret"], attributes["secret"])
    assert copy["attributes"]["enabled-events"] == ["*"] and copy["attributes"]["api-key-inflection"] == "camel"

    archived = client.post(f"{API}/webhooks/{made['id']}/archive").json()["data"]["attributes"]
    assert archived["status"] == "archived"
    assert_error(client.post(f"{API}/webhooks/{made['id']}/enable"), 409)
    assert_error(client.get(f"{API}/webhooks/wbh_missing"), 404)


def test_bad_input(client, world, policy) -> None:
    def post(**attrs: Any):
        base = {"name": "x", "url": "https://example.com/hook", "enabled-events": ["*"]}
        return client.post(f"{API}/webhooks", json={"data": {"attributes": {**base, **attrs}}})

    for url in ("not a url", "ftp://example.com/x", "https:///nohost", 42):
        assert post(url=url).status_code in (400, 422)
        assert_error(post(url=url), post(url=url).status_code)
    assert_error(post(**{"enabled-events": ["inquiry.nope"]}), 422)
    assert_error(post(**{"enabled-events": []}), 422)
    assert_error(post(**{"enabled-events": "inquiry.created"}), 400)
    assert_error(post(**{"api-version": "1999-01-01"}), 422)
    assert_error(post(**{"api-key-inflection": "shouty"}), 422)
    assert_error(client.post(f"{API}/webhooks", json={"data": {"attributes": {"url": "https://example.com"}}}), 400)
    policy.allow_private_urls = False
    for private in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/", "http://[::1]/", "http://localhost/"):
        assert_error(post(url=private), 422)
    production = {"Authorization": f"Bearer {world.production_key}"}
    answer = client.post(f"{API}/webhooks", headers=production,
                         json={"data": {"attributes": {"name": "x", "url": "http://example.com/hook", "enabled-events": ["*"]}}})
    assert_error(answer, 422)
    assert client.get(f"{API}/webhooks").json()["data"] == []  # nothing half-written
    reader = {"Authorization": "Bearer " + world.sandbox_key}
    assert client.get(f"{API}/webhooks", headers=reader).status_code == 200


def test_signed_deliveries_validate_against_the_spec(client, world, worker, receiver, db) -> None:
    kebab = make_webhook(client, receiver.url, ["inquiry.created", "inquiry.approved", "inquiry.expired"])
    secret = kebab["attributes"]["secret"]
    inquiry_id = new_inquiry(client, world)
    assert client.post(f"{API}/inquiries/{inquiry_id}/approve").status_code == 200
    expiring = new_inquiry(client, world)
    assert client.post(f"{API}/inquiries/{expiring}/expire").status_code == 200
    got = receiver.wait_for(4)
    names = sorted(check_delivery(g, [secret], 1)["data"]["attributes"]["name"] for g in got)
    assert names == ["inquiry.approved", "inquiry.created", "inquiry.created", "inquiry.expired"]
    got = [g for g in got if g.body["data"]["attributes"]["payload"]["data"]["id"] == inquiry_id]
    names = sorted(g.body["data"]["attributes"]["name"] for g in got)
    ids = {g.body["data"]["id"] for g in got}
    assert ids == set(db.scalars(select(Event.id).where(Event.object_id == inquiry_id, Event.name.in_(names))))
    assert all(g.body["data"]["attributes"]["payload"]["data"]["id"] == inquiry_id for g in got)


def test_version_inflection_rotation_and_standard_webhooks(client, world, worker, receiver) -> None:
    old = make_webhook(client, receiver.url, ["inquiry.created"], **{"api-version": "2023-01-05", "api-key-inflection": "camel", "standard-webhooks": True})
    first = old["attributes"]["secret"]
    rotated = client.post(f"{API}/webhooks/{old['id']}/rotate-secret").json()["data"]["attributes"]["secret"]
    new_inquiry(client, world)
    (got,) = receiver.wait_for(1)
    header = got.headers["persona-signature"]
    assert len(header.split(" ")) == 2  # both secrets sign during rotation
    assert signature_ok(header, got.raw, [first]) and signature_ok(header, got.raw, [rotated])
    body = got.body
    assert "createdAt" in body["data"]["attributes"] and "nameFirst" in body["data"]["attributes"]["payload"]["data"]["attributes"]
    assert got.headers["webhook-id"] == body["data"]["id"] and got.headers["webhook-signature"].startswith("v1,")


def test_2023_kebab_body_validates(client, world, worker, receiver) -> None:
    hook = make_webhook(client, receiver.url, ["inquiry.created"], **{"api-version": "2023-01-05"})
    new_inquiry(client, world)
    (got,) = receiver.wait_for(1)
    check_delivery(got, [hook["attributes"]["secret"]], 1, "2023-01-05")


def test_fourth_attempt_after_three_failures_and_the_log(client, world, worker, receiver, engine) -> None:
    receiver.answers = [500, 503, 502]
    hook = make_webhook(client, receiver.url, ["inquiry.created"])
    new_inquiry(client, world)
    got = receiver.wait_for(4)
    for made, attempt in enumerate(got, start=1):
        check_delivery(attempt, [hook["attributes"]["secret"]], made)
    assert len({g.headers["persona-webhook-first-attempted-at"] for g in got}) == 1
    assert len({g.raw for g in got}) == 1  # rendered once
    deadline = time.time() + 5
    while time.time() < deadline:
        log = client.get(f"{API}/webhooks/{hook['id']}/deliveries").json()["data"]
        if log and log[0]["attributes"]["status"] == "succeeded":
            break
        time.sleep(0.05)
    attrs = log[0]["attributes"]
    assert attrs["status"] == "succeeded" and attrs["attempts-made"] == 4
    assert [a["status-code"] for a in attrs["attempts"]] == [500, 503, 502, 200]
    assert all(a["duration-ms"] >= 0 and a["response-body"] == "ok" for a in attrs["attempts"])


def test_gives_up_after_eight_then_redelivers(client, world, worker, receiver) -> None:
    receiver.answers = [500] * 8
    hook = make_webhook(client, receiver.url, ["inquiry.created"])
    new_inquiry(client, world)
    got = receiver.wait_for(8)
    assert [g.headers["persona-webhook-attempts-left"] for g in got] == [str(7 - i) for i in range(8)]
    deadline = time.time() + 5
    while client.get(f"{API}/webhooks/{hook['id']}/deliveries").json()["data"][0]["attributes"]["status"] != "failed":
        assert time.time() < deadline
        time.sleep(0.05)
    answer = client.post(f"{API}/webhooks/{hook['id']}/redeliver-failed")
    assert answer.status_code == 200 and answer.json()["meta"]["redelivered"] == 1
    ninth = receiver.wait_for(9)[8]
    assert ninth.headers["persona-webhook-attempts-made"] == "1"
    delivery_id = answer.json()["data"][0]["id"]
    assert client.post(f"{API}/webhook-deliveries/{delivery_id}/redeliver").status_code == 200
    receiver.wait_for(10)
    assert_error(client.post(f"{API}/webhook-deliveries/whd_nope/redeliver"), 404)


def test_410_disables_the_webhook(client, world, worker, receiver) -> None:
    receiver.answers = [410]
    hook = make_webhook(client, receiver.url, ["inquiry.created"])
    new_inquiry(client, world)
    receiver.wait_for(1)
    deadline = time.time() + 5
    while client.get(f"{API}/webhooks/{hook['id']}").json()["data"]["attributes"]["status"] != "disabled":
        assert time.time() < deadline
        time.sleep(0.05)
    new_inquiry(client, world)
    time.sleep(0.5)
    assert len(receiver.received) == 1  # a disabled webhook gets nothing


def test_no_webhook_no_delivery_and_other_environment(client, world, worker, receiver, engine) -> None:
    production = {"Authorization": f"Bearer {world.production_key}"}
    hook = client.post(f"{API}/webhooks", headers=production,
                       json={"data": {"attributes": {"name": "p", "url": receiver.url, "enabled-events": ["*"]}}})
    assert hook.status_code == 201, hook.text
    make_webhook(client, receiver.url, ["inquiry.approved"])  # not subscribed to inquiry.created
    new_inquiry(client, world)
    time.sleep(0.5)
    assert receiver.received == []
    with engine.connect() as conn:
        assert conn.scalar(select(WebhookDelivery.id)) is None


def test_expiry_sweep(client, world, engine) -> None:
    from openidv.jobs import runtime

    runtime.configure(session_factory(engine, writer=True))
    due, later = new_inquiry(client, world), new_inquiry(client, world)
    with transaction(session_factory(engine, writer=True)) as db:
        db.get(Inquiry, due).expires_at = now()
    assert expire_due() == 1
    assert expire_due() == 0  # repeats do nothing
    with transaction(session_factory(engine)) as db:
        assert db.get(Inquiry, due).status == "expired" and db.get(Inquiry, later).status == "created"
        assert db.scalar(select(Event.name).where(Event.object_id == due, Event.name == "inquiry.expired")) == "inquiry.expired"


def test_default_schedule_is_persona_s() -> None:
    assert delivery.DEFAULT_SCHEDULE == (3, 64, 729, 4096, 15625, 46656, 117649)
    assert delivery.parse_schedule(None) == delivery.DEFAULT_SCHEDULE
    assert delivery.parse_schedule("1, 2,3") == (1, 2, 3)
    with pytest.raises(ValueError):
        delivery.parse_schedule("1,-2")
    saved = delivery.policy.schedule
    delivery.policy.schedule = delivery.DEFAULT_SCHEDULE
    try:
        waits = [delivery.next_wait(n, None) for n in range(1, 8)]
        assert all(0.9 * b <= w <= 1.1 * b for w, b in zip(waits, delivery.DEFAULT_SCHEDULE, strict=True))
        assert delivery.next_wait(8, None) is None
        assert delivery.next_wait(1, 120) == 120 and delivery.next_wait(1, 10**9) == delivery.MAX_RETRY_AFTER
    finally:
        delivery.policy.schedule = saved
