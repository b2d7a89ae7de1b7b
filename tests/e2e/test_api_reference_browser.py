"""The API reference (/api/v1/docs) in headless Debian Chromium with the network cut: every request to a host
other than the server's own is refused and recorded. The page still renders Persona's operations and openidv's
extensions, and "Try it out" works: authorize with a sandbox API key made for the test, execute
`GET /api/v1/inquiries`, see the 200 and the inquiry the test made."""

from urllib.parse import urlsplit

import pytest
from flow_support.fixtures import needs_chromium
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

pytestmark = needs_chromium


@pytest.fixture
def offline_page(chromium, server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url)
    refused: list[str] = []

    def only_local(route) -> None:
        if urlsplit(route.request.url).hostname in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local)
    page = context.new_page()
    yield page, refused
    context.close()


def _sandbox_key(engine) -> str:
    from openidv.auth import service as auth
    from openidv.kit.db import session_factory, transaction

    with transaction(session_factory(engine, writer=True)) as db:
        sandbox, _ = auth.ensure_environments(db)
        return auth.create_api_key(db, sandbox, name="API reference").secret


def _scroll_to(page, locator) -> None:
    """Scroll down the page until `locator` is rendered (the list renders the rows near the viewport only)."""
    for _ in range(200):
        if locator.count():
            try:
                locator.first.scroll_into_view_if_needed(timeout=2_000)
                return
            except PlaywrightTimeoutError:  # unrendered again between the count and the scroll: step back, look again
                page.mouse.wheel(0, -300)
                continue
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(50)
    raise AssertionError(f"{locator} never rendered")


def test_the_reference_renders_offline_and_tries_an_operation_with_a_key(offline_page, client, world, engine):
    page, refused = offline_page
    template = world.templates["Government ID"]
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}})
    assert made.status_code == 201, made.text
    key = _sandbox_key(engine)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # From 150 rows (tags and operations) on, Swagger UI renders only the rows near the viewport; a deep link
    # scrolls its operation into view, and scrolling on reaches every other one.
    page.goto("/api/v1/docs#/Inquiries/list-all-inquiries")
    listing = page.locator("#operations-Inquiries-list-all-inquiries")
    listing.wait_for(timeout=20_000)
    operations = page.evaluate("window.ui.specSelectors.operations().size")
    tags = page.evaluate("window.ui.specSelectors.taggedOperations().keySeq().toJS()")
    assert operations >= 100 and "openidv extensions" in tags  # Persona's operations and openidv's extensions
    _scroll_to(page, page.locator('.opblock-summary-path[data-path="/api/v1/inquiries/{inquiry-id}/approve"]'))
    _scroll_to(page, page.locator("#operations-tag-openidv_extensions"))
    page.evaluate("window.scrollTo(0, 0)")

    # Authorize: the bearer scheme the document declares takes the API key.
    page.locator("button.authorize").first.click()
    dialog = page.locator(".auth-container").filter(has_text="bearerAuth")
    dialog.locator("input").fill(key)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux h6", has_text="Authorized").wait_for()  # Swagger UI took the key
    page.locator(".modal-ux button.btn-done").click()

    # Try it out: GET /api/v1/inquiries answers 200 with the inquiry made above.
    _scroll_to(page, listing)
    if "is-open" not in (listing.get_attribute("class") or ""):  # the deep link opened it
        listing.locator(".opblock-summary-control").click()
    listing.locator(".try-out__btn").click()
    for box in listing.locator(".parameters textarea, .parameters input").all():  # Persona's examples: a page both after and before
        box.fill("")
    listing.locator(".execute").click()
    answer = listing.locator(".live-responses-table tr.response")
    answer.first.wait_for(timeout=20_000)
    body = answer.first.locator(".response-col_description").inner_text()
    assert answer.first.locator(".response-col_status").inner_text().strip() == "200", body
    assert made.json()["data"]["id"] in body
    assert f"Bearer {key}" in listing.locator(".curl-command").inner_text()

    assert refused == [], "the reference asked other hosts for something"
    assert errors == []
