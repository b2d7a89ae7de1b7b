"""The cases and workflows pages in headless Debian Chromium: a reviewer finds a workflow's case in the queue,
assigns it to herself, sets a due time, comments and approves it; an admin writes a workflow, follows an error to
its line, publishes, enables and dry-runs it. Every page passes axe-core (no serious or critical violation) and
fits a phone (390 px) without sideways scrolling. Screenshots go to the test's folder."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from flow_support import BASE_ARGS, CHROMIUM, serious_violations
from flow_support.fixtures import needs_sdk

from openidv.auth import service as auth
from openidv.cases import service as cases
from openidv.kit.db import session_factory, transaction

pytestmark = needs_sdk
PASSWORD = "correct horse battery"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS, headless=True)
        yield launched
        launched.close()


def _look(page, name: str, folder) -> None:
    """At each size: axe-core finds nothing serious, nothing scrolls sideways, and a screenshot is kept."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        violations = serious_violations(page)
        assert violations == [], (name, size, violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, size)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_reviewer_works_a_case(browser, server, client, engine, world, tmp_path) -> None:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "fields": {"name-first": "Ana", "name-last": "Doe"}}}}
    inquiry_id = client.post("/api/v1/inquiries", json=body).json()["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, "reviewer@example.com", PASSWORD, "reviewer")
        cases.create_case(db, world.sandbox_id, objects=[("inquiry", inquiry_id)], actor="wfr_starter", name="WATCHLIST-1",
                          comment="Possible watchlist match: review the list entry.")
        cases.create_case(db, world.sandbox_id, objects=[], actor="wfr_starter", name="WATCHLIST-2")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    page = context.new_page()
    try:
        page.goto("/dashboard")
        page.get_by_label("Email").fill("reviewer@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Inquiries").wait_for()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
        page.get_by_role("heading", name="Cases").wait_for()
        assert page.get_by_role("link", name="WATCHLIST-2").count() == 1
        _look(page, "cases-queue", tmp_path)

        page.get_by_role("link", name="WATCHLIST-1").click()
        page.get_by_role("heading", name=re.compile("Case WATCHLIST-1")).wait_for()
        assert page.get_by_role("link", name=inquiry_id).count() == 1
        page.get_by_role("button", name="Assign to me").click()
        page.wait_for_load_state()
        due = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        page.get_by_label("Due (UTC; empty for none)").fill(due)
        page.get_by_role("button", name="Set due time").click()
        page.wait_for_load_state()
        page.get_by_label("Add a comment").fill("List entry is another person (different birth year).")
        page.get_by_role("button", name="Comment", exact=True).click()
        page.get_by_text("different birth year").wait_for()
        _look(page, "case-open", tmp_path)
        page.get_by_role("button", name="Approve").click()
        page.get_by_role("button", name="Reopen").wait_for()
        details = page.get_by_role("region", name="Details")
        assert details.get_by_text("reviewer@example.com").count() == 1
        assert details.get_by_text("Approved").count() >= 1
        assert page.get_by_text("case.resolved").count() == 1
        _look(page, "case-approved", tmp_path)

        page.goto("/dashboard/cases?assignee=me&status=approved")
        assert page.get_by_role("link", name="WATCHLIST-1").count() == 1 and page.get_by_role("link", name="WATCHLIST-2").count() == 0
    finally:
        context.close()


BROKEN = "trigger:\n  event: inquiry.completed\nsteps:\n  - name: approve\n    action: approve\n  - name: Bad Name\n    action: explode\n"
GOOD = "trigger:\n  event: inquiry.completed\nsteps:\n  - name: approve\n    action: approve\n    with:\n      comment: clean\n"


def test_admin_edits_publishes_and_dry_runs_a_workflow(browser, server, client, engine, world, tmp_path) -> None:
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    inquiry_id = client.post("/api/v1/inquiries", json=body).json()["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, "admin@example.com", PASSWORD, "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    page = context.new_page()
    try:
        page.goto("/dashboard")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Inquiries").wait_for()
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Workflows").click()
        page.get_by_label("Name").fill("Approve completed")
        page.get_by_role("button", name="Create").click()
        page.get_by_role("heading", name=re.compile("Approve completed")).wait_for()
        page.get_by_label("Definition (YAML or JSON)").fill(BROKEN)
        page.get_by_role("button", name="Save draft").click()
        page.get_by_role("alert").wait_for()
        _look(page, "workflow-errors", tmp_path)
        page.get_by_role("button", name="Line 6").click()
        selected = page.evaluate("(() => { const t = document.getElementById('source'); return t.value.slice(t.selectionStart, t.selectionEnd); })()")
        assert selected == "  - name: Bad Name"  # the error's line, selected in the editor
        assert page.get_by_text("Line 6", exact=True).count() >= 1

        page.get_by_label("Definition (YAML or JSON)").fill(GOOD)
        page.get_by_role("button", name="Save draft").click()
        page.get_by_role("button", name="Publish the draft").click()
        page.get_by_role("button", name="Enable").click()
        page.get_by_role("button", name="Disable").wait_for()
        page.get_by_label("Dry run against inquiry").fill(inquiry_id)
        page.get_by_role("button", name="Dry run").click()
        page.get_by_role("heading", name=f"Dry run on {inquiry_id}").wait_for()
        assert page.get_by_role("cell", name="approve").count() >= 1
        _look(page, "workflow-dry-run", tmp_path)
        page.get_by_role("link", name="← Workflows").click()
        assert page.get_by_role("link", name="Approve completed").count() == 1
        _look(page, "workflows", tmp_path)
    finally:
        context.close()
