"""The end user's journey in Chromium with third-party cookies blocked: Persona's official SDK on a page of
another site (127.0.0.1) opens the flow (localhost), and the person sends a government ID (uploaded photos,
read by the real checks in their job) and a selfie (the fake camera; the sandbox's simulation), at desktop
and phone sizes. The SDK hears `load`, `ready` and `complete`, whose fields hold the name read from the ID;
the API serves the photos. A page the template does not list cannot frame the flow."""

from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from flow_support.fixtures import needs_sdk
from test_flow_browser import check_screen  # axe-core, and nothing wider than the screen
from test_flow_sdk import _events, parent  # noqa: F401  (the host page on 127.0.0.1 and its event log)

from openidv.flow import engines
from openidv.testdata.idgen import make
from openidv.verifications.government_id import service as government_ids

pytestmark = needs_sdk
TEMPLATE = "Government ID and Selfie"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def real_id_checks(job_worker):
    engines.override(government_ids.KIND, government_ids.stored_checks)  # the real checks, in the job
    yield
    engines.remove_override(government_ids.KIND)


def _api(server, world) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"}, timeout=30)


def _host_page(chromium, size: str, parent_url: str):
    context = chromium.new_context(viewport=SIZES[size], has_touch=size == "phone", is_mobile=size == "phone")
    page = context.new_page()
    page.goto(parent_url)
    return context, page


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_sdk_on_another_site_completes_a_government_id_and_selfie(chromium, parent, server, world, real_id_checks, size):  # noqa: F811
    sample = make("drivers_license", 77 if size == "desktop" else 78)
    query = urlencode({"tid": world.templates[TEMPLATE], "env": world.sandbox_id, "host": f"localhost:{server.port}"})
    context, page = _host_page(chromium, size, f"http://127.0.0.1:{parent}/?{query}")
    try:
        page.wait_for_function("events.some(e => e.type === 'event' && e.name === 'start')")
        kinds = [e["type"] for e in page.evaluate("events")]
        assert kinds.index("load") < kinds.index("ready")
        frame_element = page.locator("iframe.persona-widget__iframe")
        flow = page.frame_locator("iframe.persona-widget__iframe")
        inner = frame_element.element_handle().content_frame()
        assert inner.evaluate("document.hasStorageAccess()") is False  # a third-party frame: no cookies for it

        flow.get_by_role("checkbox").check()
        flow.get_by_role("button", name="Continue").click()
        flow.get_by_label("Country that issued your ID").select_option("US")
        flow.get_by_text("Driver's licence", exact=True).click()
        flow.locator("#file-front").set_input_files(files=[{"name": "front.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg("front")}])
        flow.locator("#file-back").set_input_files(files=[{"name": "back.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg("back")}])
        flow.get_by_role("button", name="Submit").dblclick()  # a double tap sends one form
        flow.locator(".processing, input[type=checkbox]").first.wait_for(timeout=60_000)

        flow.get_by_role("checkbox").check(timeout=60_000)  # biometric consent, once the ID's job concluded
        flow.get_by_role("button", name="Continue").click()
        flow.get_by_role("button", name="Use camera").click()
        for _pose in ("center", "left", "right"):
            flow.get_by_role("button", name="Take photo").click()
        flow.get_by_role("button", name="Submit").click()
        page.wait_for_function("events.some(e => e.type === 'complete')", timeout=60_000)

        (complete,) = _events(page, "complete")
        assert complete["status"] == "completed"
        assert complete["fields"]["name-first"]["value"] == sample.truth["name-first"]
        assert complete["fields"]["name-last"]["value"] == sample.truth["name-last"]
        assert _events(page, "error") == []
        api = _api(server, world)
        inquiry = api.get(f"/inquiries/{complete['inquiryId']}?include=verifications").json()
        assert complete["fields"] == inquiry["data"]["attributes"]["fields"]
        (government_id,) = [v for v in inquiry["included"] if v["type"] == "verification/government-id"]
        assert government_id["attributes"]["status"] == "passed"
        assert [v["attributes"]["status"] for v in inquiry["included"]].count("passed") == 2  # one ID, one selfie: one attempt each
        for side in ("front", "back"):
            url = government_id["attributes"][f"{side}-photo-url"]
            photo = api.get(url[url.index("/api/v1") + len("/api/v1"):])
            assert photo.status_code == 200 and photo.content == sample.jpeg(side), (photo.text[:300], url)
    finally:
        context.close()


def test_a_host_page_the_template_does_not_list_cannot_frame_the_flow(chromium, parent, server, world, client):  # noqa: F811
    template_id = world.templates["Phone"]
    listed = {"data": {"attributes": {"embedded-flow-domain-allowlist": [f"http://127.0.0.1:{parent}"]}}}
    assert client.patch(f"/api/v1/inquiry-templates/{template_id}", json=listed).status_code == 200
    query = urlencode({"tid": template_id, "env": world.sandbox_id, "host": f"localhost:{server.port}"})
    for host, framed in ((f"http://localhost:{parent}", False), (f"http://127.0.0.1:{parent}", True)):
        context, page = _host_page(chromium, "desktop", f"{host}/?{query}")
        try:
            if framed:
                page.wait_for_function("events.some(e => e.type === 'ready')")
            else:
                page.wait_for_timeout(3000)
                assert [e for e in page.evaluate("events") if e["type"] in ("load", "ready")] == []
                frame = page.locator("iframe.persona-widget__iframe").element_handle().content_frame()
                assert frame.evaluate("document.querySelector('#flow-data')") is None  # the browser refused to show it
        finally:
            context.close()


def test_the_hand_off_completes_on_the_phone_while_the_desktop_follows_to_the_end(chromium, server, world, job_worker):
    sample = make("passport", 79)
    desktop = chromium.new_context(viewport=SIZES["desktop"], base_url=server.url, bypass_csp=True)
    phone = chromium.new_context(viewport=SIZES["phone"], is_mobile=True, has_touch=True, base_url=server.url)
    phone.grant_permissions(["camera"], origin=server.url)
    try:
        screen = desktop.new_page()
        screen.goto(f"/verify?inquiry-template-id={world.templates[TEMPLATE]}")
        screen.get_by_role("checkbox").check()
        screen.get_by_role("button", name="Continue").click()
        screen.get_by_role("button", name="Continue on another device").click()
        screen.get_by_text("Waiting for your phone").wait_for()
        check_screen(screen, "hand-off")
        link = screen.locator("#handoff-link").get_attribute("href")
        opened = urlsplit(link)  # the link names the configured base URL; the live server has the same paths

        hand = phone.new_page()
        hand.goto(f"{opened.path}?{opened.query}")
        hand.get_by_label("Country that issued your ID").select_option("US")
        hand.get_by_role("radio", name="Passport", exact=True).check()
        hand.locator("#file-front").set_input_files(files=[{"name": "front.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg("front")}])
        hand.get_by_role("button", name="Submit").click()
        hand.get_by_role("checkbox").check()  # the biometric consent is the phone's
        screen.get_by_text("Your phone is at this step: Selfie.").wait_for(timeout=15_000)  # the desktop follows
        hand.get_by_role("button", name="Continue").click()
        hand.get_by_role("button", name="Use camera").click()
        for _pose in ("center", "left", "right"):
            hand.get_by_role("button", name="Take photo").click()
        hand.get_by_role("button", name="Submit").click()
        hand.get_by_role("heading", name="Thank you").wait_for(timeout=30_000)
        screen.get_by_role("heading", name="Thank you").wait_for(timeout=15_000)  # the desktop ends too
        assert urlsplit(screen.url).path == "/verify"
    finally:
        desktop.close()
        phone.close()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_processing_screen_is_accessible_and_follows_the_job(chromium, app, server, world, size, language):
    """Production runs the real checks in their job: with no worker yet the page waits, then shows the result."""
    from openidv.jobs import runtime

    sample = make("drivers_license", 80)
    context = chromium.new_context(viewport=SIZES[size], base_url=server.url, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"/verify?inquiry-template-id={world.production_templates['Government ID']}&language={language}")
        page.get_by_role("checkbox").check()
        page.locator("form button[type=submit]").click()
        page.locator("#country").select_option("US")
        page.locator('input[name="id-class"][value="dl"]').check()
        page.locator("#file-front").set_input_files(files=[{"name": "front.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg("front")}])
        page.locator("#file-back").set_input_files(files=[{"name": "back.jpg", "mimeType": "image/jpeg", "buffer": sample.jpeg("back")}])
        page.locator("form [data-submit]").click()
        page.locator(".processing").wait_for()
        check_screen(page, f"processing {size} {language}")
        worker = runtime.Worker(app.state.writer, executor_id="processing", threads=1, poll_seconds=0.05, periodic=False)
        worker.start()
        try:
            page.locator(".processing").wait_for(state="detached", timeout=60_000)
        finally:
            worker.stop()
        assert page.locator("h1").inner_text() == {"en": "Thank you, you are done.", "es": "Gracias, has terminado."}[language]
    finally:
        context.close()
