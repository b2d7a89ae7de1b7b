"""The Users page and the password change in headless Debian Chromium: an admin adds a user, limits a reviewer
to the sandbox, requires TOTP and resets a password (after confirming), a user changes their own; axe-core finds no serious or critical
violation at desktop (1280x800) and phone (390x844) sizes, and nothing scrolls sideways."""

import os
from pathlib import Path

import pytest
from flow_support import serious_violations
from flow_support.fixtures import needs_sdk
from test_dashboard_browser import PASSWORD, _sign_in, _user, browser  # noqa: F401 - the dashboard's browser fixture and helpers

pytestmark = needs_sdk
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
SHOTS = Path(os.environ.get("OPENIDV_SCREENSHOTS", "/tmp/openidv-screenshots"))


@pytest.fixture
def page(browser, server):  # noqa: F811 - browser is the imported fixture
    context = browser.new_context(viewport=SIZES[0], bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    yield context.new_page()
    context.close()


def _check(page, name: str) -> None:
    for size in SIZES:
        page.set_viewport_size(size)
        violations = serious_violations(page)
        assert violations == [], (name, size, violations)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], (name, size)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size(SIZES[0])


def test_an_admin_manages_users_and_a_user_changes_their_password(page, engine, world):
    _user(engine, "admin@example.com", "admin")
    _user(engine, "reviewer@example.com", "reviewer")
    _sign_in(page, "admin@example.com")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("heading", name="Users").wait_for()
    _check(page, "users")

    card = page.locator("li", has=page.get_by_role("heading", name="reviewer@example.com"))
    card.get_by_label("Role", exact=True).select_option("viewer")
    card.get_by_label("Sandbox only").check()
    card.get_by_role("button", name="Save the role of reviewer@example.com").click()
    page.get_by_role("status").filter(has_text="Role saved.").wait_for()
    assert "sandbox only" in card.inner_text() and "viewer" in card.inner_text()
    page.get_by_role("button", name="Require an authenticator code for reviewer@example.com").click()
    page.get_by_role("status").filter(has_text="now required").wait_for()
    _check(page, "users-after")

    page.get_by_role("button", name="Reset the password of reviewer@example.com").click()
    page.get_by_role("heading", name="Reset this password?").wait_for()
    _check(page, "user-confirm")
    page.get_by_role("button", name="Reset the password").click()
    page.get_by_role("heading", name="New password for reviewer@example.com").wait_for()
    assert len(page.get_by_label("Give this password").input_value()) >= 16
    _check(page, "user-password")

    page.goto("/dashboard/users")
    adding = page.locator("form", has=page.get_by_role("heading", name="Add a user"))
    adding.get_by_label("E-mail").fill("analyst@example.com")
    adding.get_by_label("Role").select_option("reviewer")
    adding.get_by_role("button", name="Add the user").click()
    page.get_by_role("heading", name="New user analyst@example.com").wait_for()
    assert len(page.get_by_label("Give this password").input_value()) >= 16
    page.goto("/dashboard/users")
    assert page.get_by_role("heading", name="analyst@example.com").count() == 1

    for new, answer in (("aaaaaaaaaa", page.get_by_role("alert").filter(has_text="too easy to guess")),
                        ("a brand new phrase 7", page.get_by_role("status").filter(has_text="Your password was changed"))):
        page.goto("/dashboard/password")
        if new != "aaaaaaaaaa":
            _check(page, "password")
        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("New password again").fill(new)
        page.get_by_role("button", name="Change password").click()
        answer.wait_for()
    page.goto("/dashboard/security")
    _check(page, "security")
