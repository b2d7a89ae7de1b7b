"""The inquiry page lists the webhook deliveries of its events (once openidv has webhooks)."""

import pytest
from dashboard_support import make_user, new_inquiry, post, signed_in

from openidv.kit.db import session_factory, transaction

models = pytest.importorskip("openidv.models")
WebhookDelivery = getattr(models, "WebhookDelivery", None)
Webhook = getattr(models, "Webhook", None)
pytestmark = pytest.mark.skipif(WebhookDelivery is None, reason="openidv.webhooks has not landed yet")


def test_inquiry_page_lists_deliveries_of_its_events(app, client, engine, world, db):
    from sqlalchemy import select

    from openidv.kit.clock import now
    from openidv.models import Event

    make_user(engine, "reviewer@example.com", "reviewer")
    inquiry_id = new_inquiry(client, world.templates["Government ID"])
    c = signed_in(app, "reviewer@example.com")
    assert "No deliveries." in c.get(f"/dashboard/inquiries/{inquiry_id}").text
    assert post(c, f"/dashboard/inquiries/{inquiry_id}/approve", comment="ok").status_code == 303
    db.rollback()
    event = db.scalars(select(Event).where(Event.object_id == inquiry_id, Event.name == "inquiry.approved")).one()
    with transaction(session_factory(engine, writer=True)) as w:
        hook = Webhook(id="wbh_dash1", environment_id=world.sandbox_id, status="enabled", url="https://example.com/hook", api_version="2025-12-08",
                       created_at=now())
        w.add(hook)
        w.flush()
        w.add(WebhookDelivery(id="whdl_dash1", environment_id=world.sandbox_id, webhook_id=hook.id, event_id=event.id, event_name=event.name,
                              status="succeeded", attempts_made=1, last_status_code=200, created_at=now()))
    page = c.get(f"/dashboard/inquiries/{inquiry_id}").text
    row = page.split("Deliveries of this inquiry")[1]
    assert "inquiry.approved" in row and "wbh_dash1" in row and "succeeded" in row and "200" in row
