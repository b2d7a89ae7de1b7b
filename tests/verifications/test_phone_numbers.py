"""Phone-number verifications end to end: the code travels to a Twilio-shaped HTTP receiver on
loopback (form fields, Basic auth), and the inquiry follows the verification."""

from datetime import timedelta

import pytest

from openidv.kit import clock
from openidv.models import ConfirmationCode

BASE = "/api/v1/verification/phone-numbers"
MOBILE = "+1 415 555 0132"  # valid US numbers are fixed_line_or_mobile


def _create(client, inquiry_id, number=MOBILE, country="US"):
    attributes = {"inquiry-id": inquiry_id, "phone-number": number, "country-code": country}
    return client.post(BASE, json={"data": {"type": "verification/phone-number", "attributes": attributes}})


def _confirm(client, vid, code):
    return client.post(f"{BASE}/{vid}/confirm", json={"data": {"attributes": {"confirmation-code": code}}})


def test_right_code_passes_and_completes_the_inquiry(client, api, world, twilio, run_jobs, valid, db):
    inquiry = api.new_inquiry(world.templates["Phone"])
    made = _create(client, inquiry["id"])
    assert made.status_code == 201, made.text
    verification = made.json()["data"]
    valid(verification, "verification-phone-number")
    assert verification["attributes"]["status"] == "initiated"
    assert verification["attributes"]["phone-number"] == "+14155550132"
    assert api.inquiry(inquiry["id"])["status"] == "pending"

    sent = client.post(f"{BASE}/{verification['id']}/send-confirmation-code")
    assert sent.status_code == 200, sent.text
    assert twilio.requests == []  # never inside the request
    assert run_jobs(verification["id"]) is True
    request = twilio.requests[-1]
    assert request.path == "/2010-04-01/Accounts/AC0123456789/Messages.json"
    assert request.basic_auth() == ("AC0123456789", "tok3n")
    assert request.form["To"] == "+14155550132" and request.form["From"] == "+15005550006"
    code = twilio.last_code()
    stored = db.get(ConfirmationCode, verification["id"])
    assert stored.code_hash and code not in stored.code_hash  # only a keyed hash is kept

    confirmed = _confirm(client, verification["id"], code)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["data"]["attributes"]["status"] == "confirmed"
    assert _confirm(client, verification["id"], code).status_code == 409  # only initiated ones take codes

    submitted = client.post(f"{BASE}/{verification['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()["data"]
    valid(body, "verification-phone-number")
    assert body["attributes"]["status"] == "passed"
    checks = {c["name"]: c for c in body["attributes"]["checks"]}
    assert set(checks) == {
        "phone_number_confirmation_code_comparison", "phone_number_timeout_detection", "phone_number_invalid_number_format_detection",
        "phone_number_disallowed_country_detection", "phone_number_deliverable_detection",
    }
    assert all(c["status"] == "passed" and c["requirement"] == "required" for c in checks.values())
    assert api.inquiry(inquiry["id"])["status"] == "completed"

    polymorphic = client.get(f"/api/v1/verifications/{verification['id']}")
    assert polymorphic.status_code == 200
    valid(polymorphic.json()["data"], "verification-phone-number")
    typed = client.get(f"{BASE}/{verification['id']}")
    assert typed.json()["data"]["attributes"]["status"] == "passed"
    assert client.get(f"/api/v1/verification/email-addresses/{verification['id']}").status_code == 404
    events = [e["attributes"]["name"] for e in client.get(f"/api/v1/events?filter[object-id]={verification['id']}").json()["data"]]
    assert sorted(events) == ["verification.created", "verification.passed", "verification.submitted"]


def test_five_wrong_codes_fail_the_verification_and_the_step_retries(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/send-confirmation-code")
    run_jobs(vid)
    right = twilio.last_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for _ in range(5):
        answer = _confirm(client, vid, wrong)
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"errors": [
            {"title": "Unprocessable entity", "details": "Invalid confirmation code", "source": {"pointer": "/data/attributes/confirmation-code"}},
        ]}
    after = client.get(f"{BASE}/{vid}").json()["data"]["attributes"]
    assert after["status"] == "failed"
    comparison = next(c for c in after["checks"] if c["name"] == "phone_number_confirmation_code_comparison")
    assert comparison["status"] == "failed"
    assert _confirm(client, vid, right).status_code == 409  # too late, even with the right code
    state = api.inquiry(inquiry["id"])
    assert state["status"] == "pending" and state["next-step-name"] == "retry_verification_phone_number"


def test_code_times_out_after_ten_minutes(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/send-confirmation-code")
    run_jobs(vid)
    code = twilio.last_code()
    clock.advance(timedelta(minutes=9, seconds=59))
    assert run_jobs.time_out(vid) is False  # still valid
    clock.advance(timedelta(seconds=2))
    expired = _confirm(client, vid, code)
    assert expired.status_code == 422
    assert expired.json()["errors"][0]["details"] == "Confirmation code has expired"
    checks = {c["name"]: c["status"] for c in client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["checks"]}
    assert checks["phone_number_timeout_detection"] == "failed"
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] == "failed"


def test_time_out_job_fails_an_unconfirmed_verification(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/send-confirmation-code")
    run_jobs(vid)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert run_jobs.time_out(vid) is True
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] == "failed"
    assert api.inquiry(inquiry["id"])["next-step-name"] == "retry_verification_phone_number"


def test_bad_numbers_and_disallowed_countries_are_422_and_write_nothing(client, api, world, db):
    from sqlalchemy import func, select

    from openidv.models import Verification

    inquiry = api.new_inquiry(world.templates["Phone"])
    for number, country in (("12345", "US"), ("not a number", None), ("+1 200 000 0000", None)):
        answer = _create(client, inquiry["id"], number, country)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["details"] == "Invalid phone number"
    missing = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry["id"]}}})
    assert missing.status_code == 400 and "phone-number is missing" in missing.json()["errors"][0]["details"]
    assert db.scalar(select(func.count()).select_from(Verification)) == 0
    assert api.inquiry(inquiry["id"])["status"] == "created"  # not started by a rejected create


def test_template_allowed_countries_and_number_types(client, api, world):
    config = {"steps": [{"kind": "phone-number", "settings": {"allowed_countries": ["GB"], "allowed_number_types": ["mobile"]}}]}
    made = client.post("/api/v1/inquiry-templates", json={"data": {"attributes": {"name": "UK mobile", "configuration": config}}})
    assert made.status_code == 201, made.text
    inquiry = api.new_inquiry(made.json()["data"]["id"])
    us = _create(client, inquiry["id"])
    assert us.status_code == 422 and us.json()["errors"][0]["details"] == "Phone numbers from US are not allowed"
    landline = _create(client, inquiry["id"], "+44 20 7946 0018")
    assert landline.status_code == 422 and "fixed_line" in landline.json()["errors"][0]["details"]
    mobile = _create(client, inquiry["id"], "07400 123456", "GB")
    assert mobile.status_code == 201, mobile.text
    assert mobile.json()["data"]["attributes"]["country-code"] == "GB"


def test_canceled_verification_takes_no_codes(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/send-confirmation-code")
    run_jobs(vid)
    assert client.post(f"/api/v1/inquiries/{inquiry['id']}/expire").status_code == 200  # cancels pending verifications
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] == "canceled"
    for path in ("confirm", "send-confirmation-code", "submit"):
        answer = client.post(f"{BASE}/{vid}/{path}", json={"data": {"attributes": {"confirmation-code": twilio.last_code()}}})
        assert answer.status_code == 409, (path, answer.text)
        assert set(answer.json()["errors"][0]) == {"title", "details"}


def test_resend_cooldown_and_cap(client, api, world, twilio, run_jobs):
    inquiry = api.new_inquiry(world.templates["Phone"])
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/send-confirmation-code").status_code == 200
    again = client.post(f"{BASE}/{vid}/send-confirmation-code")
    assert again.status_code == 429 and again.json()["errors"][0]["title"] == "Rate limit exceeded"
    for _ in range(4):
        clock.advance(timedelta(seconds=31))
        assert client.post(f"{BASE}/{vid}/send-confirmation-code").status_code == 200
    clock.advance(timedelta(seconds=31))
    capped = client.post(f"{BASE}/{vid}/send-confirmation-code")
    assert capped.status_code == 429 and "Too many" in capped.json()["errors"][0]["details"]
    run_jobs(vid)
    first = twilio.last_code()
    run_jobs(vid)  # a later send replaces the earlier code
    assert _confirm(client, vid, first).status_code in (200, 422)
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] in ("confirmed", "initiated")


def test_permissions(client, api, world):
    from openidv.auth import service as auth
    from openidv.kit.db import session_factory, transaction
    from openidv.models import Environment

    with transaction(session_factory(client.app.state.engine, writer=True)) as session:
        env = session.get(Environment, world.sandbox_id)
        secret = auth.create_api_key(session, env, name="ro", granted=["verification.read"]).secret
    inquiry = api.new_inquiry(world.templates["Phone"])
    body = {"data": {"attributes": {"inquiry-id": inquiry["id"], "phone-number": MOBILE}}}
    answer = client.post(BASE, json=body, headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 403


def test_older_version_and_snake_case_clients(client, api, world, twilio, run_jobs):
    import json

    import jsonschema
    from persona_spec import spec_path

    inquiry = api.new_inquiry(world.templates["Phone"])
    headers = {"Persona-Version": "2023-01-05", "Key-Inflection": "snake"}
    made = client.post(BASE, json={"data": {"attributes": {"inquiry_id": inquiry["id"], "phone_number": MOBILE}}}, headers=headers)
    assert made.status_code == 201, made.text
    data = made.json()["data"]
    assert data["attributes"]["phone_number"] == "+14155550132" and "created_at_ts" in data["attributes"]
    client.post(f"{BASE}/{data['id']}/send-confirmation-code", headers=headers)
    run_jobs(data["id"])
    code = {"data": {"attributes": {"confirmation_code": twilio.last_code()}}}
    confirmed = client.post(f"{BASE}/{data['id']}/confirm", json=code, headers={"Persona-Version": "2023-01-05"})
    assert confirmed.status_code == 200, confirmed.text
    with open(spec_path("2023-01-05")) as f:
        spec = json.load(f)
    schema = {"$ref": "#/components/schemas/verification-phone-number", "components": spec["components"]}
    jsonschema.validate(confirmed.json()["data"], schema, cls=jsonschema.Draft202012Validator)


def test_send_job_runs_on_the_job_worker(client, api, world, twilio, engine):
    import time

    from openidv.kit.db import session_factory

    runtime = pytest.importorskip("openidv.jobs.runtime")
    worker = runtime.Worker(session_factory(engine, writer=True), threads=1, poll_seconds=0.05)
    worker.start()
    try:
        inquiry = api.new_inquiry(world.templates["Phone"])
        vid = _create(client, inquiry["id"]).json()["data"]["id"]
        assert client.post(f"{BASE}/{vid}/send-confirmation-code").status_code == 200
        deadline = time.monotonic() + 15
        while not twilio.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        assert twilio.requests, "the worker did not deliver the code"
        assert _confirm(client, vid, twilio.last_code()).json()["data"]["attributes"]["status"] == "confirmed"
    finally:
        worker.stop()
