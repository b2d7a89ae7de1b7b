"""The dashboard in headless Debian Chromium: a reviewer signs in, filters, opens an inquiry, approves it with a
comment and sees the `inquiry.approved` event and the audit row; a viewer cannot decide. axe-core on every
page at 1280 and 768 px."""

import re

import pytest
from flow_support import BASE_ARGS, CHROMIUM, serious_violations
from flow_support.fixtures import needs_sdk

pytestmark = needs_sdk
PASSWORD = "correct horse battery"
WIDTHS = (1280, 768)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    yield context.new_page()
    context.close()


def _user(engine, email: str, role: str) -> None:
    from openidv.auth import service as auth
    from openidv.kit.db import session_factory, transaction

    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, email, PASSWORD, role)


def _inquiry(client, template_id: str, name: str, *actions: str) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": {"name-first": name, "name-last": "Doe"}}}}
    inquiry_id = client.post("/api/v1/inquiries", json=body).json()["data"]["id"]
    if actions:
        answer = client.post(f"/api/v1/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": a} for a in actions]}})
        assert answer.status_code == 200, answer.text
    return inquiry_id


def check_screen(page) -> None:
    """No serious or critical axe-core violation and no sideways scrolling, at each width."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        violations = serious_violations(page)
        assert violations == [], (width, violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.set_viewport_size({"width": 1280, "height": 900})


def _sign_in(page, email: str) -> None:
    page.goto("/dashboard")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inquiries").wait_for()


def test_reviewer_filters_opens_approves_and_the_audit_log_shows_it(page, client, engine, world):
    _user(engine, "reviewer@example.com", "reviewer")
    template = world.templates["Government ID"]
    waiting = _inquiry(client, template, "Alice", "start_inquiry", "mark_for_review_inquiry")
    other = _inquiry(client, template, "Bob")
    page.goto("/dashboard")
    check_screen(page)
    _sign_in(page, "reviewer@example.com")
    check_screen(page)
    page.get_by_label("Status").select_option("needs_review")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"status=needs_review"))
    assert page.get_by_role("link", name=other).count() == 0
    page.get_by_role("link", name=waiting).click()
    page.get_by_role("heading", name=f"Inquiry {waiting}").wait_for()
    assert page.get_by_text("Alice").count() >= 1
    check_screen(page)
    page.get_by_label("Comment").fill("ID matches the selfie")
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("inquiry.approved").wait_for()
    assert page.locator(".status").first.inner_text() == "approved"
    assert page.get_by_text("ID matches the selfie").count() == 1
    assert client.get(f"/api/v1/inquiries/{waiting}").json()["data"]["attributes"]["status"] == "approved"

    page.get_by_role("link", name="Audit log").click()
    row = page.locator("tr", has_text=waiting)
    assert "reviewer@example.com" in row.inner_text() and "needs_review" in row.inner_text() and "approved" in row.inner_text()
    check_screen(page)
    page.get_by_role("link", name="Review queue").click()
    assert page.get_by_role("link", name=waiting).count() == 0
    check_screen(page)
    page.get_by_role("link", name="Analytics").click()
    funnel = page.locator("#funnel-table")
    assert funnel.get_by_role("row", name="created").locator("td").first.inner_text() == "2"  # the two inquiries made above
    assert funnel.get_by_role("row", name="started").locator("td").first.inner_text() == "1"
    assert funnel.get_by_role("row", name="approved").locator("td").first.inner_text() == "1"
    assert page.locator("figure.chart").count() == 2  # the funnel and the checks
    check_screen(page)


def test_viewer_has_no_decision_buttons_and_a_forged_post_is_refused(page, client, engine, world):
    _user(engine, "viewer@example.com", "viewer")
    inquiry_id = _inquiry(client, world.templates["Government ID"], "Carol", "start_inquiry", "mark_for_review_inquiry")
    _sign_in(page, "viewer@example.com")
    page.goto(f"/dashboard/inquiries/{inquiry_id}")
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_role("button", name="Decline").count() == 0
    csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
    answer = page.request.post(f"/dashboard/inquiries/{inquiry_id}/approve", form={"csrf": csrf, "comment": "sneaky"})
    assert answer.status == 403
    assert client.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["attributes"]["status"] == "needs_review"
    page.get_by_role("link", name="viewer@example.com (viewer)").click()
    page.get_by_role("heading", name="Sign-in security").wait_for()
    check_screen(page)


def test_admin_versions_a_template_end_to_end(page, client, engine, world):
    _user(engine, "admin@example.com", "admin")
    template_id = world.templates["Government ID"]
    _sign_in(page, "admin@example.com")
    page.get_by_role("link", name="Templates").click()
    check_screen(page)
    page.get_by_role("link", name="Government ID", exact=True).click()
    check_screen(page)
    page.get_by_label("Verifications, in order").fill("government-id, selfie")
    page.get_by_label("Attempts").fill("2")
    page.get_by_role("button", name="Create version").click()
    draft = page.locator("tr", has_text="draft")
    version_id = draft.locator("td").first.inner_text().strip()
    assert "government-id, selfie" in draft.inner_text()
    draft.get_by_role("button", name="Publish").click()
    page.locator("tr", has_text=f"{version_id} (live)").wait_for()
    inquiry_id = _inquiry(client, template_id, "Dora")
    page.goto(f"/dashboard/inquiries/{inquiry_id}")
    assert page.get_by_text(version_id).count() == 1
    steps = client.get(f"/api/v1/inquiry-template-versions/{version_id}").json()["meta"]["configuration"]["steps"]
    assert [s["kind"] for s in steps] == ["government-id", "selfie"]
    for link in ("Accounts", "API keys"):  # the remaining pages pass axe-core too
        page.get_by_role("link", name=link, exact=True).click()
        page.get_by_role("heading", name=re.compile(link)).wait_for()
        check_screen(page)
    page.get_by_role("button", name="Create key").click()
    assert page.get_by_label(re.compile("copy the secret now")).input_value().startswith("persona_sandbox_")
    check_screen(page)


def test_admin_retries_and_cancels_jobs_from_the_jobs_page(page, engine, world):
    from datetime import timedelta

    from openidv.kit.clock import now
    from openidv.kit.db import session_factory, transaction
    from openidv.models import Job

    _user(engine, "admin@example.com", "admin")
    at = now()
    with transaction(session_factory(engine, writer=True)) as db:
        db.add(Job(id="job_browser_failed", name="reports.run", queue="default", kwargs={"report_id": "rep_x"}, state="failed",
                   run_at=at - timedelta(minutes=9), attempts=5, max_attempts=5, last_error="LookupError: no report rep_x", finished_at=at))
        db.add(Job(id="job_browser_overdue", name="webhooks.deliver", queue="deliveries", kwargs={"delivery_id": "whd_x"}, state="queued",
                   run_at=at - timedelta(minutes=5), attempts=1, max_attempts=3))
    _sign_in(page, "admin@example.com")
    page.get_by_role("link", name="Jobs", exact=True).click()
    page.get_by_role("heading", name="Jobs").wait_for()
    assert "LookupError: no report rep_x" in page.get_by_role("row", name=re.compile("job_browser_failed")).inner_text()
    check_screen(page)
    page.get_by_role("button", name="Retry job_browser_failed").click()
    page.get_by_role("heading", name="Jobs").wait_for()
    assert page.get_by_role("row", name=re.compile("job_browser_failed")).count() == 0
    page.get_by_role("button", name="Cancel job_browser_overdue").click()
    page.get_by_text("No jobs.").wait_for()
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("row", name=re.compile("job_browser_overdue")).wait_for()
    check_screen(page)
