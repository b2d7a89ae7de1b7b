"""Issue 17, "Redaction leaks": redelivering a delivery of a redacted inquiry sends the inquiry as it is now,
redacted, never the payload the first delivery carried; and no copy of that payload stays in the database."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import WebhookDelivery
from openidv.webhooks import delivery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))
from webhook_receiver import Receiver, signature_ok

API = "/api/v1"
NAME, SURNAME, BIRTHDATE = "Zanzibar", "Quintessa-Oyelaran", "1971-03-14"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True  # the receiver is on loopback
    r = Receiver()
    yield r
    r.close()
    delivery.policy.allow_private_urls = saved


def test_redelivery_after_redaction_sends_the_redacted_inquiry(client, world, job_worker, receiver, engine) -> None:
    hook = client.post(f"{API}/webhooks", json={"data": {"attributes": {
        "name": "redaction", "url": receiver.url, "enabled-events": ["inquiry.created"],
        "included-allowlist": {"state": "include_all"}}}})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["data"]["attributes"]["secret"]
    made = client.post(f"{API}/inquiries", json={"data": {"attributes": {
        "inquiry-template-id": world.templates["Government ID"],
        "fields": {"name-first": NAME, "name-last": SURNAME, "birthdate": BIRTHDATE}}}})
    assert made.status_code == 201, made.text
    inquiry_id = made.json()["data"]["id"]

    (first,) = receiver.wait_for(1)  # the first delivery carries the event's payload, as Persona's does
    assert first.body["data"]["attributes"]["payload"]["data"]["id"] == inquiry_id
    assert NAME.encode() in first.raw and SURNAME.encode() in first.raw and BIRTHDATE.encode() in first.raw

    assert client.delete(f"{API}/inquiries/{inquiry_id}").status_code == 200
    with transaction(session_factory(engine)) as db:  # nothing of the payload is kept with the delivery
        (stored,) = db.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.json()["data"]["id"]))
        assert stored.body_sealed is None  # no copy of the body is kept

    assert client.post(f"{API}/webhook-deliveries/{stored.id}/redeliver").status_code == 200
    _, again = receiver.wait_for(2)
    assert signature_ok(again.headers["persona-signature"], again.raw, [secret])
    assert again.body["data"]["id"] == first.body["data"]["id"]  # the same event
    payload = again.body["data"]["attributes"]["payload"]
    assert payload["data"]["id"] == inquiry_id and payload["data"]["attributes"]["status"] == "created"
    for value in (NAME, SURNAME, BIRTHDATE):
        assert value.encode() not in again.raw, value
