"""The review queue in headless Debian Chromium (issue 15, item 3): names, template names and local times in the
lists, partial-name search, bulk tags, the keyboard (a approves, n opens the next), the message after a decision
and the confirmation before a decision reverses another. axe-core finds no serious or critical violation on these
pages at desktop and phone sizes; screenshots go to docs/screenshots/queue (OPENIDV_SCREENSHOTS=1 keeps them there)."""

import os
import re
from pathlib import Path

import pytest
import test_dashboard_browser as dashboard
from flow_support import serious_violations
from flow_support.fixtures import needs_sdk

pytestmark = needs_sdk
browser = dashboard.browser  # the dashboard tests' module-wide Chromium (a fixture)
_user, _sign_in = dashboard._user, dashboard._sign_in
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "queue"


@pytest.fixture
def page(browser, server):
    # A zone far from UTC, so that local times visibly differ; bypass_csp only for axe's injection.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True, base_url=server.url, timezone_id="Asia/Kolkata")
    yield context.new_page()
    context.close()


def _inquiry(client, template_id: str, first: str, last: str, *actions: str) -> str:
    body = {"data": {"attributes": {"inquiry-template-id": template_id, "fields": {"name-first": first, "name-last": last}}}}
    inquiry_id = client.post("/api/v1/inquiries", json=body).json()["data"]["id"]
    if actions:
        answer = client.post(f"/api/v1/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": a} for a in actions]}})
        assert answer.status_code == 200, answer.text
    return inquiry_id


def look(page, name: str, tmp_path: Path, *, axe: bool = True) -> None:
    """axe-core at each size (on the pages this feature makes), no sideways scrolling, and a screenshot of each."""
    folder = SHOTS if os.environ.get("OPENIDV_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        if not axe:  # another area's page (the case page has axe runs of its own): only the picture
            page.screenshot(path=str(folder / f"{name}-{size}.png"))
            continue
        violations = serious_violations(page)
        assert violations == [], (name, size, violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, size)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_reviewer_works_through_the_queue(page, client, engine, world, tmp_path):
    _user(engine, "reviewer@example.com", "reviewer")
    gov, phone = world.templates["Government ID"], world.templates["Phone"]
    first = _inquiry(client, gov, "Bulk7", "Tester", "start_inquiry", "mark_for_review_inquiry")
    second = _inquiry(client, phone, "Zoë", "Testa", "start_inquiry", "mark_for_review_inquiry")
    other = _inquiry(client, gov, "Ada", "Lovelace")
    _sign_in(page, "reviewer@example.com")

    # The list: names, template names, local times with their zone (the browser is in India: IST, not UTC).
    row = page.get_by_role("row", name=re.compile(first))
    assert "Bulk7 Tester" in row.inner_text() and "Government ID" in row.inner_text()
    created = row.locator("time").inner_text()
    assert "UTC" not in created and re.search(r"GMT\+5:30|IST", created), created
    look(page, "list", tmp_path)

    # Partial-name search, then bulk tags on the found rows.
    page.get_by_label("Name (or its start) or e-mail").fill("test")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"search=test"))
    assert page.get_by_role("link", name=other).count() == 0 and page.get_by_role("link", name=second).count() == 1
    page.get_by_label("Choose every inquiry on this page").check()
    page.get_by_label("Tag to add to the chosen inquiries").fill("second-look")
    page.get_by_role("button", name="Add tag").click()
    page.get_by_text("Tagged 2 of 2 inquiries with “second-look”.").wait_for()
    assert "search=test" in page.url
    look(page, "list-tagged", tmp_path)

    # The queue: open the first, press a (approve), land on the next with a message; n walks on.
    page.get_by_role("link", name="Review queue").click()
    look(page, "queue", tmp_path)
    page.get_by_role("link", name="Start reviewing").click()
    page.get_by_role("heading", name=f"Inquiry {first}").wait_for()
    page.locator("#shortcuts").wait_for()
    page.get_by_label("Comment").focus()
    page.keyboard.press("a")  # typing in a field never decides
    assert page.get_by_label("Comment").input_value() == "a" and first in page.url
    page.get_by_label("Comment").fill("")
    page.locator("h1").click()
    page.keyboard.press("a")
    page.get_by_text(f"Approved {first}. Next in the queue: {second}.").wait_for()
    assert page.url.endswith(f"/dashboard/inquiries/{second}")
    assert client.get(f"/api/v1/inquiries/{first}").json()["data"]["attributes"]["status"] == "approved"
    look(page, "next-with-message", tmp_path, axe=False)
    # The only one left comes round again: the page ends at the URL it started from, so wait for the navigation
    # itself (waiting for the URL returns before the key's navigation begins, which then races the next goto).
    with page.expect_navigation(url=re.compile(f"/dashboard/inquiries/{second}$")):
        page.keyboard.press("n")
    page.get_by_text("No other inquiry waits in the review queue.").wait_for()

    # Declining the approved one asks first; cancelling keeps it approved.
    page.goto(f"/dashboard/inquiries/{first}")
    page.get_by_role("button", name="Decline").click()
    page.get_by_role("heading", name="Decline an inquiry that was approved?").wait_for()
    look(page, "confirm-reversal", tmp_path)
    page.get_by_role("link", name="Cancel, keep it approved").click()
    assert client.get(f"/api/v1/inquiries/{first}").json()["data"]["attributes"]["status"] == "approved"
    page.get_by_role("button", name="Decline").click()
    page.get_by_role("button", name="Yes, decline it").click()
    page.get_by_text(f"Declined {first}.").wait_for()
    assert client.get(f"/api/v1/inquiries/{first}").json()["data"]["attributes"]["status"] == "declined"
