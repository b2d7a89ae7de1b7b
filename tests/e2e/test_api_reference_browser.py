"""The API reference (/api/v1/docs) in headless Debian Chromium with the network cut: every request to a host
other than the server's own is refused and recorded. The page still renders Persona's operations and openidv's
extensions, and "Try it out" works: authorize with a sandbox API key made for the test, execute
`GET /api/v1/inquiries`, see the 200 and the inquiry the test made."""

from urllib.parse import urlsplit

import pytest
from flow_support.fixtures import needs_chromium

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


def test_the_reference_renders_offline_and_tries_an_operation_with_a_key(offline_page, client, world, engine):
    page, refused = offline_page
    template = world.templates["Government ID"]
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}})
    assert made.status_code == 201, made.text
    key = _sandbox_key(engine)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/api/v1/docs")
    listing = page.locator("#operations-Inquiries-list-all-inquiries")
    listing.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() >= 100  # Persona's operations and openidv's extensions
    assert page.locator("#operations-tag-openidv_extensions").count() == 1
    assert page.locator('.opblock-summary-path[data-path="/api/v1/inquiries/{inquiry-id}/approve"]').count() == 1

    # Authorize: the bearer scheme the document declares takes the API key.
    page.locator("button.authorize").first.click()
    dialog = page.locator(".auth-container").filter(has_text="bearerAuth")
    dialog.locator("input").fill(key)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux h6", has_text="Authorized").wait_for()  # Swagger UI took the key
    page.locator(".modal-ux button.btn-done").click()

    # Try it out: GET /api/v1/inquiries answers 200 with the inquiry made above.
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
