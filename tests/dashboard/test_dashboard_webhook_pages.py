"""Webhook pages: an admin creates a webhook (its secret shown once), a real receiver gets signed deliveries, the
delivery log shows each attempt's request and response, redelivery goes through the delivery job; rotation and
disabling ask first; every action is audited; viewers read only; bad input writes nothing."""

import html
import json
import re
import sys
from pathlib import Path

import pytest
from dashboard_support import make_user, new_inquiry, post, signed_in
from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import AuditLog, Webhook
from openidv.webhooks import delivery

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))
from webhook_receiver import Receiver, signature_ok

SECRET = re.compile(r'id="new-secret" class="secret" value="(wbhsec_[A-Za-z0-9]+)"')


@pytest.fixture
def receiver():
    saved = (delivery.policy.allow_private_urls, delivery.policy.schedule)
    delivery.policy.allow_private_urls, delivery.policy.schedule = True, delivery.parse_schedule("0.2,0.2")
    r = Receiver(answers=[500])  # the first attempt fails, the retry succeeds
    yield r
    r.close()
    delivery.policy.allow_private_urls, delivery.policy.schedule = saved


def _audit(engine) -> list[tuple[str, str | None, str | None]]:
    with transaction(session_factory(engine)) as db:
        return [(a.action, a.before_status, a.after_status) for a in db.scalars(select(AuditLog).order_by(AuditLog.created_at, AuditLog.id))]


def _hooks(engine) -> list[Webhook]:
    with transaction(session_factory(engine)) as db:
        return list(db.scalars(select(Webhook)))


def _wait(c, path: str, text: str) -> str:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        page = c.get(path).text
        if text in page:
            return page
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared on {path}")


def test_admin_creates_a_webhook_and_reads_its_delivery_log(app, client, engine, world, receiver, job_worker):
    make_user(engine, "admin@example.com", "admin")
    c = signed_in(app, "admin@example.com")
    created = post(c, "/dashboard/webhooks", name="Ops", url=receiver.url, enabled_events="inquiry.created", api_version="2025-12-08")
    assert created.status_code == 200 and "Webhook created." in created.text
    secret = SECRET.search(created.text).group(1)
    (hook,) = _hooks(engine)
    page = c.get(f"/dashboard/webhooks/{hook.id}").text
    assert secret not in page and "not shown again" not in page  # shown once, never again
    assert hook.id in c.get("/dashboard/webhooks").text

    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    first, second = receiver.wait_for(2)
    assert first.body == second.body and first.body["data"]["attributes"]["payload"]["data"]["id"] == inquiry_id
    assert signature_ok(second.headers["persona-signature"], second.raw, [secret])  # the secret the page showed signs

    log = _wait(c, f"/dashboard/webhooks/{hook.id}", "succeeded")
    (delivery_id,) = set(re.findall(r"/deliveries/(whd_[A-Za-z0-9]+)\"", log))
    detail = c.get(f"/dashboard/webhooks/{hook.id}/deliveries/{delivery_id}").text
    attempts = detail.split('id="h-attempts"')[1].split("</section>")[0]
    assert "Attempt 1" in attempts and "Attempt 2" in attempts and ">500<" in attempts and ">200<" in attempts and " ms<" in attempts
    assert ">ok</pre>" in attempts  # the receiver's answer
    shown = html.unescape(detail.split('aria-label="Request body">')[1].split("</pre>")[0])
    assert json.loads(shown) == second.body  # the request body as signed and sent

    again = post(c, f"/dashboard/webhooks/{hook.id}/deliveries/{delivery_id}/redeliver")
    assert again.status_code == 303
    assert "Redelivery queued" in c.get(again.headers["location"]).text
    receiver.wait_for(3)
    _wait(c, f"/dashboard/webhooks/{hook.id}/deliveries/{delivery_id}", "redelivery round 1")
    assert ("webhook.create", None, "enabled") in _audit(engine) and ("webhook.redeliver", "succeeded", "pending") in _audit(engine)


def test_rotation_and_disabling_ask_first_and_are_audited(app, engine, world, receiver):
    make_user(engine, "admin@example.com", "admin")
    c = signed_in(app, "admin@example.com")
    made = post(c, "/dashboard/webhooks", name="All", url=receiver.url, enabled_events="*")
    assert made.status_code == 200, made.text[-600:]
    first = SECRET.search(made.text).group(1)
    (hook,) = _hooks(engine)

    ask = post(c, f"/dashboard/webhooks/{hook.id}/rotate-secret", old_secret_hours="1")
    assert ask.status_code == 200 and "Rotate the signing secret?" in ask.text and 'name="confirmed" value="yes"' in ask.text
    assert _hooks(engine)[0].secrets[0]["value"] == first  # nothing changed before the confirmation
    rotated = post(c, f"/dashboard/webhooks/{hook.id}/rotate-secret", old_secret_hours="1", confirmed="yes")
    second = SECRET.search(rotated.text).group(1)
    assert second != first and [s["value"] for s in _hooks(engine)[0].secrets] == [second, first]
    assert post(c, f"/dashboard/webhooks/{hook.id}/rotate-secret", old_secret_hours="9999", confirmed="yes").status_code == 400

    assert "Disable this webhook?" in post(c, f"/dashboard/webhooks/{hook.id}/disable").text
    assert _hooks(engine)[0].status == "enabled"
    done = post(c, f"/dashboard/webhooks/{hook.id}/disable", confirmed="yes")
    assert done.status_code == 303 and "Webhook disabled" in c.get(done.headers["location"]).text
    assert _hooks(engine)[0].status == "disabled"
    assert post(c, f"/dashboard/webhooks/{hook.id}/enable").status_code == 303 and _hooks(engine)[0].status == "enabled"

    saved = post(c, f"/dashboard/webhooks/{hook.id}", name="Renamed", url=receiver.url, enabled_events="inquiry.approved, inquiry.declined")
    assert saved.status_code == 303 and "Webhook saved." in c.get(saved.headers["location"]).text
    assert _hooks(engine)[0].enabled_events == ["inquiry.approved", "inquiry.declined"] and _hooks(engine)[0].name == "Renamed"
    actions = [a for a, _, _ in _audit(engine)]
    assert actions == ["webhook.create", "webhook.rotate-secret", "webhook.disable", "webhook.enable", "webhook.update"]
    assert first not in str(_audit(engine)) and second not in str(_audit(engine))


def test_bad_input_writes_nothing_and_viewers_only_read(app, engine, world, receiver):
    make_user(engine, "admin@example.com", "admin")
    make_user(engine, "viewer@example.com", "viewer")
    admin = signed_in(app, "admin@example.com")
    url = "http://127.0.0.1:9/h"  # loopback: allowed by the receiver fixture's policy
    for form, status, says in (
        ({"name": "x", "url": url, "enabled_events": "inquiry.nope"}, 422, "unknown event names: inquiry.nope"),
        ({"url": url, "enabled_events": "*"}, 400, "name is missing"),
        ({"name": "x", "url": "ftp://127.0.0.1/h", "enabled_events": "*"}, 422, "absolute http(s) URL"),
        ({"name": "x", "url": url, "enabled_events": ""}, 422, "at least one event"),
        ({"name": "x", "url": url, "enabled_events": "*", "api_version": "1999-01-01"}, 422, "api-version must be one of"),
    ):
        answer = post(admin, "/dashboard/webhooks", **form)
        assert answer.status_code == status and says in answer.text and 'role="alert"' in answer.text, (form, answer.status_code, answer.text[-300:])
    delivery.policy.allow_private_urls = False  # as in production: the SSRF guard refuses loopback
    refused = post(admin, "/dashboard/webhooks", name="x", url=url, enabled_events="*")
    assert refused.status_code == 422 and "resolves to a private, loopback or link-local address" in refused.text
    delivery.policy.allow_private_urls = True
    assert _hooks(engine) == [] and _audit(engine) == []
    assert post(admin, "/dashboard/webhooks/wbh_missing/disable", confirmed="yes").status_code == 404

    post(admin, "/dashboard/webhooks", name="h", url=url, enabled_events="*")
    (hook,) = _hooks(engine)
    assert post(admin, f"/dashboard/webhooks/{hook.id}", name="h", url=url, enabled_events="bogus.event").status_code == 422
    assert _hooks(engine)[0].enabled_events == ["*"]

    viewer = signed_in(app, "viewer@example.com")
    listing = viewer.get("/dashboard/webhooks").text
    assert hook.id in listing and "Create webhook" not in listing
    assert "Rotate secret" not in viewer.get(f"/dashboard/webhooks/{hook.id}").text
    assert post(viewer, "/dashboard/webhooks", name="v", url=url, enabled_events="*").status_code == 403
    assert post(viewer, f"/dashboard/webhooks/{hook.id}/disable").status_code == 403  # refused before being asked to confirm
    assert len(_hooks(engine)) == 1 and _hooks(engine)[0].status == "enabled"


def test_the_form_sets_the_payload_options_of_persona_and_keeps_them_on_edit(app, engine, world, receiver):
    make_user(engine, "admin@example.com", "admin")
    c = signed_in(app, "admin@example.com")
    wanted = {"data": {"attributes": {"status": "approved"}}}
    created = post(c, "/dashboard/webhooks", name="Filtered", url=receiver.url, enabled_events="inquiry.approved",
                   api_version="2025-12-08", api_key_inflection="camel", blocklist="birthdate,\nname-*", payload_filter=json.dumps(wanted),
                   file_link_seconds="600")
    assert created.status_code == 200, created.text
    (hook,) = _hooks(engine)
    assert hook.api_key_inflection == "camel"
    assert (hook.options["api-attributes-blocklist"], hook.options["payload-filter"], hook.options["file-access-token-expires-in"]) == (
        ["birthdate", "name-*"], wanted, 600)
    page = c.get(f"/dashboard/webhooks/{hook.id}").text
    assert "birthdate, name-*" in page and json.dumps(wanted) in page
    form = page.split('id="wh-filter"')[1].split("</textarea>")[0]
    edited = post(c, f"/dashboard/webhooks/{hook.id}", name="Filtered", url=receiver.url, enabled_events="inquiry.approved",
                  api_version="2025-12-08", api_key_inflection="camel", blocklist="birthdate, name-*",
                  payload_filter=html.unescape(form.split(">", 1)[1]), file_link_seconds="600")
    assert edited.status_code == 303, edited.text
    assert _hooks(engine)[0].options == hook.options  # what the form shows is what it saves back


@pytest.mark.parametrize(("field", "value", "why"), [
    ("payload_filter", "{not json", "Payload filter is not valid JSON"),
    ("payload_filter", '["a"]', "payload-filter"),
    ("file_link_seconds", "ten", "File link lifetime, in seconds, must be a whole number"),
    ("api_key_inflection", "shout", "api-key-inflection must be"),
])
def test_bad_payload_options_are_refused_and_write_nothing(app, engine, world, receiver, field, value, why):
    make_user(engine, "admin@example.com", "admin")
    c = signed_in(app, "admin@example.com")
    answer = post(c, "/dashboard/webhooks", name="Bad", url=receiver.url, enabled_events="inquiry.approved",
                  api_version="2025-12-08", **{field: value})
    assert answer.status_code in (400, 422) and why in html.unescape(answer.text), answer.text
    assert _hooks(engine) == [] and _audit(engine) == []
