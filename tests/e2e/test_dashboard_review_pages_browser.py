"""The webhook and report pages in headless Debian Chromium, as an admin uses them: create a webhook (its secret shown
once), rotate the secret and disable the webhook through their confirmation pages, then dismiss a report's match with
a reason; each state passes axe-core at desktop and phone sizes (the GET pages themselves: test_dashboard_every_page)."""

import io
import re
from pathlib import Path

import pytest
from flow_support.fixtures import needs_sdk
from test_dashboard_every_page import PASSWORD, SDN, SIZES, _check, browser  # noqa: F401 - browser: the Chromium fixture

pytestmark = needs_sdk


@pytest.fixture
def loopback():
    from openidv.webhooks import delivery

    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True
    yield
    delivery.policy.allow_private_urls = saved


def test_admin_manages_a_webhook_and_dismisses_a_match(browser,  # noqa: F811 - the imported fixture
                                                       server, client, engine, world, loopback):
    from openidv.auth import service as auth
    from openidv.kit.db import session_factory, transaction
    from openidv.reports import lists

    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, "admin@example.com", PASSWORD, "admin")
        lists.load(db, io.BytesIO(Path(SDN).read_bytes()), "ofac-sdn", "OFAC SDN")
    template = client.post("/api/v1/report-templates", json={"data": {"attributes": {"kind": "watchlist", "name": "Sanctions",
                                                                                     "match-preset": "tolerant"}}}).json()["data"]["id"]
    report = client.post("/api/v1/reports", json={"data": {"type": "report/watchlist", "attributes": {
        "report-template-id": template, "query": {"name-first": "Viktor", "name-last": "Petrovsky"}}}, "meta": {"processing-mode": "sync"}}).json()["data"]

    context = browser.new_context(viewport=SIZES[0], bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    page = context.new_page()
    page.goto("/dashboard")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/inquiries")
    problems = []

    page.get_by_role("link", name="Webhooks", exact=True).click()
    page.get_by_label("Name").fill("Ops")
    page.get_by_label("URL (https in production)").fill("http://127.0.0.1:9/hook")
    page.get_by_label("Events, comma separated (* for every event)").fill("inquiry.approved, inquiry.declined")
    page.get_by_role("button", name="Create webhook").click()
    secret = page.get_by_label("Signing secret: copy it now; it is not shown again").input_value()
    assert secret.startswith("wbhsec_")
    problems += _check(page, "webhook-created")
    page.get_by_role("link", name="All webhooks").click()
    page.get_by_role("link", name="Ops").click()  # the webhook's page, read again: the secret is gone
    assert page.get_by_text("not shown again").count() == 0 and secret not in page.content()

    page.get_by_role("button", name="Rotate secret").click()
    page.get_by_role("heading", name="Rotate the signing secret?").wait_for()
    problems += _check(page, "webhook-rotate-confirm")
    page.get_by_role("button", name="Rotate secret").click()
    rotated = page.get_by_label("Signing secret: copy it now; it is not shown again").input_value()
    assert rotated.startswith("wbhsec_") and rotated != secret
    page.get_by_role("button", name="Disable").click()
    page.get_by_role("heading", name="Disable this webhook?").wait_for()
    page.get_by_role("button", name="Disable webhook").click()
    page.get_by_role("status").filter(has_text="Webhook disabled").wait_for()
    assert page.get_by_role("button", name="Enable").count() == 1
    problems += _check(page, "webhook-disabled")

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name=report["id"]).click()
    page.get_by_label(re.compile("Reason for dismissing Viktor")).first.fill("Other person: the passport's birthdate differs")
    page.get_by_role("button", name="Dismiss match").first.click()
    page.get_by_role("status").filter(has_text="Dismissed").wait_for()
    assert page.get_by_text("Other person: the passport's birthdate differs").count() == 1
    problems += _check(page, "report-dismissed")
    context.close()
    assert problems == [], "\n".join(problems)
