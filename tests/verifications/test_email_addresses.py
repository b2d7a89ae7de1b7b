"""E-mail-address verifications end to end: the code travels over SMTP (with AUTH) to an aiosmtpd
server on loopback, and the test reads it from the received message."""

from datetime import timedelta

from sqlalchemy import func, select

from openidv.kit import clock
from openidv.models import Verification

BASE = "/api/v1/verification/email-addresses"


def _create(client, inquiry_id, address="Jane.Doe@Example.COM", **extra):
    attributes = {"inquiry-id": inquiry_id, "email-address": address, **extra}
    return client.post(BASE, json={"data": {"type": "verification/email-address", "attributes": attributes}})


def _confirm(client, vid, code):
    return client.post(f"{BASE}/{vid}/confirm", json={"data": {"attributes": {"confirmation-code": code}}})


def test_code_by_smtp_passes_and_completes_the_inquiry(client, api, world, smtp_server, run_jobs, valid):
    inquiry = api.new_inquiry(world.templates["Email"])
    made = _create(client, inquiry["id"])
    assert made.status_code == 201, made.text
    verification = made.json()["data"]
    valid(verification, "verification-email-address")
    assert verification["attributes"]["email-address"] == "Jane.Doe@example.com"  # domain normalised

    assert client.post(f"{BASE}/{verification['id']}/send-confirmation-code", json={"meta": {"locale": "es"}}).status_code == 200
    assert smtp_server.messages == []
    assert run_jobs(verification["id"]) is True
    mail = smtp_server.messages[-1]
    assert mail["To"] == "Jane.Doe@example.com" and mail["From"] == "Verify <verify@example.test>"
    assert "verificación" in mail["Subject"]  # Spanish template
    assert smtp_server.logins == [("mailer", "s3cret")]

    assert _confirm(client, verification["id"], smtp_server.last_code()).json()["data"]["attributes"]["status"] == "confirmed"
    done = client.post(f"{BASE}/{verification['id']}/submit").json()["data"]
    valid(done, "verification-email-address")
    assert done["attributes"]["status"] == "passed"
    assert {c["name"] for c in done["attributes"]["checks"]} == {
        "email_address_confirmation_code_comparison", "email_address_timeout_detection", "email_address_invalid_email_format_detection",
    }
    assert api.inquiry(inquiry["id"])["status"] == "completed"


def test_submit_without_confirmation_fails(client, api, world):
    inquiry = api.new_inquiry(world.templates["Email"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    done = client.post(f"{BASE}/{vid}/submit").json()["data"]["attributes"]
    assert done["status"] == "failed"
    checks = {c["name"]: c["status"] for c in done["checks"]}
    assert checks["email_address_confirmation_code_comparison"] == "failed"
    assert checks["email_address_timeout_detection"] == "passed"


def test_email_codes_may_live_a_day(client, api, world, smtp_server, run_jobs):
    config = {"steps": [{"kind": "email-address", "settings": {"code_validity_seconds": 86400}}]}
    made = client.post("/api/v1/inquiry-templates", json={"data": {"attributes": {"name": "Day-long codes", "configuration": config}}})
    inquiry = api.new_inquiry(made.json()["data"]["id"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/send-confirmation-code")
    run_jobs(vid)
    clock.advance(timedelta(hours=23))
    assert _confirm(client, vid, smtp_server.last_code()).status_code == 200


def test_malformed_addresses_are_422_and_write_nothing(client, api, world, db):
    inquiry = api.new_inquiry(world.templates["Email"])
    for address in ("no-at-sign", "two@@example.com", "jane@", "jane@localhost", "a b@example.com"):
        answer = _create(client, inquiry["id"], address)
        assert answer.status_code == 422, (address, answer.text)
        assert answer.json()["errors"][0]["details"].startswith("Invalid email address")
    assert _create(client, inquiry["id"], 42).status_code == 400
    assert db.scalar(select(func.count()).select_from(Verification)) == 0


def test_without_inquiry_by_verification_template_id(client, world, db):
    from openidv.inquiry_templates.repository import get_template, get_version
    from openidv.inquiry_templates.service import config_of

    template = get_template(db, world.sandbox_id, world.templates["Email"])
    step_id = config_of(get_version(db, world.sandbox_id, template.latest_published_version_id)).steps[0].id
    made = client.post(BASE, json={"data": {"attributes": {"verification-template-id": step_id, "email-address": "x@example.org"}}})
    assert made.status_code == 201, made.text
    assert made.json()["data"]["relationships"]["inquiry"]["data"] is None
    assert made.json()["data"]["relationships"]["verification-template"]["data"]["id"] == step_id
    assert client.post(BASE, json={"data": {"attributes": {"verification-template-id": "vtmpl_nope", "email-address": "x@example.org"}}}).status_code == 404
    assert client.post(BASE, json={"data": {"attributes": {"email-address": "x@example.org"}}}).status_code == 400


def test_redaction_removes_the_address(client, api, world, valid):
    inquiry = api.new_inquiry(world.templates["Email"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    redacted = client.delete(f"/api/v1/verifications/{vid}")
    assert redacted.status_code == 200, redacted.text
    attributes = redacted.json()["data"]["attributes"]
    assert attributes["email-address"] is None and attributes["redacted-at"]
    valid(redacted.json()["data"], "verification-email-address")
    events = client.get(f"/api/v1/events?filter[object-id]={vid}").json()["data"]
    assert all(e["attributes"]["payload"]["data"]["attributes"]["email-address"] is None for e in events)
    assert client.delete(f"/api/v1/verifications/{vid}").status_code == 409
    assert client.post(f"{BASE}/{vid}/submit").status_code == 409
