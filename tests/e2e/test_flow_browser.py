"""The hosted flow in headless Debian Chromium with a fake camera: every starter template to its redirect,
accessibility (axe-core, no serious or critical violation) and the layout at 360 px."""

import importlib.util
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flow_support import blank_pdf, noise_image, serious_violations
from flow_support.fixtures import needs_sdk

pytestmark = needs_sdk
_spec = importlib.util.spec_from_file_location("flow_screenshots", Path(__file__).resolve().parents[2] / "scripts" / "flow_screenshots.py")
screenshots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshots)  # its `walk` visits every screen; the screenshots in docs/ are taken on the same walk


@pytest.fixture
def page(chromium, server):
    # bypass_csp only so axe-core can be injected; the app's own scripts run under its CSP elsewhere.
    context = chromium.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True, base_url=server.url)
    context.grant_permissions(["camera"], origin=server.url)
    yield context.new_page()
    context.close()


def check_screen(page, _name: str = "") -> None:
    """axe-core finds no serious or critical problem, and nothing overflows the screen's width (360 px here)."""
    violations = serious_violations(page)
    assert violations == [], (_name, violations)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], _name


def _files(tmp_path: Path) -> dict[str, Path]:
    front, back = tmp_path / "front.jpg", tmp_path / "back.jpg"
    front.write_bytes(noise_image(seed=1))
    back.write_bytes(noise_image(seed=2))
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(blank_pdf())
    return {"front": front, "back": back, "pdf": pdf}


def _consent(page) -> None:
    check_screen(page)
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Continue").click()


def _government_id(page, files: dict[str, Path], *, camera: bool) -> None:
    page.get_by_label("Country that issued your ID").select_option("US")
    if camera:  # passport: one side, taken with the (fake) camera
        page.get_by_role("radio", name="Passport", exact=True).check()
        assert page.locator('fieldset[data-side="back"]').is_hidden()
        front = page.locator('fieldset[data-side="front"]')
        front.get_by_role("button", name="Use camera").click()
        front.get_by_role("button", name="Take photo").click()
        page.wait_for_function("document.querySelector('input[name=front]').files.length === 1")
    else:  # driver licence: front and back, the upload fallback
        page.get_by_role("radio", name="Driver's licence").check()
        page.locator("#file-front").set_input_files(files["front"])
        page.locator("#file-back").set_input_files(files["back"])
    check_screen(page)
    page.get_by_role("button", name="Submit").click()


def _selfie(page) -> None:
    check_screen(page)  # biometric consent
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Continue").click()
    assert page.locator('input[type="file"]:visible').count() == 0  # camera only, no file picker
    submit = page.get_by_role("button", name="Submit")
    assert submit.is_disabled()
    page.get_by_role("button", name="Use camera").click()
    page.get_by_text("Look straight ahead").wait_for()
    page.get_by_role("button", name="Take photo").dblclick()  # a double tap takes one picture, not two of one pose
    page.get_by_text("Turn your head to the left").wait_for()
    assert page.locator("img[data-shot]:visible").count() == 1
    for pose in ("Turn your head to the left", "Turn your head to the right"):
        page.get_by_text(pose).wait_for()
        page.get_by_role("button", name="Take photo").click()
    page.wait_for_function("!document.querySelector('[data-submit]').disabled")
    check_screen(page)
    submit.click()


def _code(page, inbox, to: str) -> None:
    page.get_by_text(f"We sent a 6-digit code to {to}.").wait_for()
    check_screen(page)
    page.get_by_label("6-digit code").fill("000000" if inbox.last_code() != "000000" else "111111")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("That code is not right.").wait_for()
    page.get_by_label("6-digit code").fill(inbox.last_code())
    page.get_by_role("button", name="Submit").click()


WALKS = {
    "Government ID and Selfie": ("government-id", "selfie"),
    "Government ID": ("government-id-camera",),
    "Database": ("fields", "database"),
    "Phone": ("phone-number",),
    "Email": ("email-address",),
    "Document": ("document",),
}


@pytest.mark.parametrize("name", list(WALKS))
def test_each_starter_template_walks_to_the_redirect(name, page, server, world, tmp_path, mailbox, sms_inbox):
    files = _files(tmp_path)
    redirect = f"{server.url}/healthz"
    page.goto(f"/verify?inquiry-template-id={world.templates[name]}&reference-id=ref-{len(name)}&redirect-uri={redirect}")
    assert urlsplit(page.url).path == "/verify" and not urlsplit(page.url).query  # tokens never stay in the URL
    _consent(page)
    for part in WALKS[name]:
        if part == "fields":
            check_screen(page)
            page.get_by_role("button", name="Continue").click()
            assert page.get_by_text("This field is required.").count() == 3
            page.get_by_label("First name").fill("Jane")
            page.get_by_label("Last name").fill("Doe")
            page.get_by_label("Date of birth").fill("1990-02-03")
            page.get_by_role("button", name="Continue").click()
        elif part.startswith("government-id"):
            _government_id(page, files, camera=part.endswith("camera"))
        elif part == "selfie":
            _selfie(page)
        elif part == "phone-number":
            check_screen(page)
            page.get_by_label("Your mobile phone number").fill("+1 415 555 0123")
            page.get_by_role("button", name="Submit").click()
            _code(page, sms_inbox, "+14155550123")
        elif part == "email-address":
            check_screen(page)
            page.get_by_label("Your e-mail address").fill("jane@example.com")
            page.get_by_role("button", name="Submit").click()
            _code(page, mailbox, "jane@example.com")
        elif part == "database":
            check_screen(page)
            page.get_by_role("button", name="Submit").click()
        elif part == "document":
            check_screen(page)
            page.get_by_label("Upload a PDF or a photo").set_input_files(files["pdf"])
            page.get_by_role("button", name="Submit").click()
    page.wait_for_url(f"{redirect}?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["status"] == ["completed"] and query["reference-id"] == [f"ref-{len(name)}"]
    inquiry_id = query["inquiry-id"][0]

    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"})
    inquiry = api.get(f"/inquiries/{inquiry_id}?include=verifications").json()
    assert inquiry["data"]["attributes"]["status"] == "completed"
    kinds = [v["type"] for v in inquiry["included"]]
    assert len(kinds) == len([p for p in WALKS[name] if p != "fields"])
    assert all(v["attributes"]["status"] == "passed" for v in inquiry["included"])
    if name == "Database":
        assert "fields" not in query  # never the person's data in a URL
        assert inquiry["data"]["attributes"]["fields"]["name-last"]["value"] == "Doe"
    names = [e["attributes"]["name"] for e in api.get(f"/events?filter[object-id]={inquiry_id}&page[size]=100").json()["data"]]
    for event in ("inquiry.created", "inquiry.started", "inquiry.completed"):
        assert event in names
    assert len(api.get("/events?filter[name]=inquiry-session.started").json()["data"]) == 1


def test_spanish_screens_pass_axe_and_keyboard_reaches_every_control(page, world, sms_inbox):
    page.goto(f"/verify?inquiry-template-id={world.templates['Phone']}&language=es")
    assert page.locator("html").get_attribute("lang") == "es"
    check_screen(page)
    page.keyboard.press("Tab")  # the language switch comes first: "English" (Español is the current one)
    assert page.evaluate("document.activeElement.textContent") == "English"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "accept"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Número de teléfono").wait_for()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "phone-number"
    page.keyboard.type("+34600123456")
    page.keyboard.press("Enter")
    page.get_by_text("Enviamos un código de 6 dígitos a +34600123456.").wait_for()
    sms_inbox.wait_for(1)
    assert sms_inbox.texts[-1].startswith("Tu código de verificación")  # the code goes out in the flow's language
    check_screen(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "code"
    page.keyboard.type(sms_inbox.last_code())
    page.keyboard.press("Enter")
    page.get_by_text("Gracias, has terminado.").wait_for()
    check_screen(page)


def test_phone_handoff_in_two_browser_contexts(chromium, page, server, world, tmp_path):
    files = _files(tmp_path)
    redirect = f"{server.url}/healthz"
    page.goto(f"/verify?inquiry-template-id={world.templates['Government ID']}&redirect-uri={redirect}")
    _consent(page)
    page.get_by_role("button", name="Continue on another device").click()
    assert page.locator(".qr svg").count() == 1
    check_screen(page)
    link = page.locator("#handoff-link").inner_text()
    code = link.split("code=")[1]

    phone_context = chromium.new_context(viewport={"width": 360, "height": 740}, base_url=server.url, is_mobile=True, bypass_csp=True)
    try:
        phone = phone_context.new_page()
        phone.goto(f"/verify?code={code}")
        phone.get_by_role("heading", name="Government ID").wait_for()  # consent was given on the desktop
        _government_id(phone, files, camera=False)
        phone.wait_for_url(f"{redirect}?**")
    finally:
        phone_context.close()
    page.wait_for_url(f"{redirect}?**", timeout=10_000)  # the desktop followed along
    assert "status=completed" in page.url


@pytest.mark.parametrize("size", list(screenshots.SIZES))
@pytest.mark.parametrize("language", screenshots.LANGUAGES)
def test_every_screen_passes_axe_in_both_languages_at_both_sizes(chromium, server, world, job_worker, size, language):
    """Consent, fields and their errors, government ID (choices, live camera with its frame, preview, a missing
    side's error), biometric consent, selfie (oval, pictures), the end, a retry and the failed end."""
    context = chromium.new_context(viewport=screenshots.SIZES[size], is_mobile=size == "phone", bypass_csp=True, base_url=server.url)
    context.grant_permissions(["camera"], origin=server.url)
    seen: list[str] = []

    def check(page, name: str) -> None:
        assert page.locator("html").get_attribute("lang") == language
        check_screen(page, name)
        seen.append(name)

    try:
        screenshots.walk(context.new_page(), server.url, world.templates, world.sandbox_key, language, check)
    finally:
        context.close()
    assert seen == ["consent", "fields", "fields-error", "government-id", "government-id-camera", "government-id-captured",
                    "government-id-error", "biometric-consent", "selfie", "selfie-captured", "done", "retry", "done-failed"]
