"""case.* events reach a real receiver, signed, with bodies that match Persona's webhook schemas in both API
versions; after the case's redaction no delivery made from then on carries its fields."""

from test_webhooks import check_delivery, make_webhook, new_inquiry
from webhook_receiver import signature_ok

from openidv.auth import service as auth
from openidv.cases import service as cases
from openidv.kit.db import session_factory, transaction

API = "/api/v1"
EVENTS = ["case.created", "case.assigned", "case.status-updated", "case.resolved", "case.reopened", "case.updated-fields", "case.updated-tags",
          "case.redacted"]


def test_case_events_are_delivered_in_persona_shape(client, world, engine, receiver, worker) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        template_id = cases.ensure_default_templates(db, world.sandbox_id)[0].id
        auth.create_user(db, "rev@example.com", "a long enough password 1", "reviewer")
    hooks = {version: make_webhook(client, receiver.url, EVENTS, **{"api-version": version}) for version in ("2025-12-08", "2023-01-05")}
    inquiry_id = new_inquiry(client, world)
    body = {"data": {"attributes": {"case-template-id": template_id, "fields": {"risk-note": "Jane Secret"}}}, "meta": {"object-ids": [inquiry_id]}}
    case_id = client.post(f"{API}/cases", json=body).json()["data"]["id"]
    steps = [("assign", {"user-email-address": "rev@example.com"}), ("add-tag", {"tag-name": "urgent"}), ("set-status", {"status": "Approved"}),
             ("set-status", {"status": "Open"})]
    for action, meta in steps:
        assert client.post(f"{API}/cases/{case_id}/{action}", json={"meta": meta}).status_code == 200
    assert client.patch(f"{API}/cases/{case_id}", json={"data": {"attributes": {"fields": {"risk-note": "Jane Secret, again"}}}}).status_code == 200
    assert client.delete(f"{API}/cases/{case_id}").status_code == 200

    names = ["case.created", "case.assigned", "case.updated-tags", "case.status-updated", "case.resolved", "case.status-updated", "case.reopened",
             "case.updated-fields", "case.redacted"]
    got = receiver.wait_for(2 * len(names), timeout=60)
    seen: dict[str, list[str]] = {version: [] for version in hooks}
    for delivery in got:
        hook_version = next(v for v, hook in hooks.items() if signature_ok(delivery.headers["persona-signature"], delivery.raw, [hook["attributes"]["secret"]]))
        body = check_delivery(delivery, [hooks[hook_version]["attributes"]["secret"]], 1, hook_version)
        data = body["data"]["attributes"]["payload"]["data"]
        assert data["type"] == "case" and data["id"] == case_id
        assert data["relationships"]["inquiries"]["data"] == [{"type": "inquiry", "id": inquiry_id}]
        seen[hook_version].append(body["data"]["attributes"]["name"])
        if body["data"]["attributes"]["name"] == "case.redacted":
            assert data["attributes"]["fields"] == {} and "Jane Secret" not in delivery.raw.decode()
    for version in hooks:
        assert sorted(seen[version]) == sorted(names), (version, seen[version])

