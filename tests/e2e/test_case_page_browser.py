"""The reviewer's case page in headless Debian Chromium.

A driving licence goes through the hosted flow in production (its real checks run in the processing job) and
the case page shows its evidence: both sides loaded through signed links, the barcode as read, the consent,
and the flow's events with the address and user agent that opened it; the pictures zoom and rotate. Then a
passed, a failed (another face than the ID's) and a needs-review inquiry, each with a government ID and a
selfie read by the real engines, are shown and photographed at desktop and phone sizes (set
OPENIDV_SCREENSHOT_DIR=docs/screenshots to keep them); axe-core finds no serious or critical violation."""

import os
import time
from pathlib import Path

import httpx
import test_dashboard_browser
from case_support import evidence_inquiry
from flow_support import CSRF, STEP_ID, serious_violations
from flow_support.fixtures import needs_sdk
from PIL import Image

from openidv.jobs import runtime
from openidv.testdata.idgen import make

pytestmark = needs_sdk
browser, page = test_dashboard_browser.browser, test_dashboard_browser.page  # the dashboard tests' Chromium and page (CSP bypassed for axe)
PASSWORD = "correct horse battery"
AGENT = "CasePageTest/1.0 (X11; Linux x86_64)"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _admin(engine) -> None:
    from openidv.auth import service as auth
    from openidv.kit.db import session_factory, transaction

    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, "admin@example.com", PASSWORD, "admin")


def _sign_in(page, environment: str = "sandbox") -> None:
    page.goto("/dashboard")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inquiries").wait_for()
    if environment != "sandbox":
        page.get_by_label("Environment").select_option(environment)
        page.get_by_role("button", name="Switch").click()
        page.get_by_role("heading", name="Inquiries").wait_for()


def _no_serious_violations(page) -> None:
    violations = serious_violations(page)
    assert violations == [], violations


def _pictures_loaded(page) -> list[str]:
    """The alt text of every evidence picture, once each has loaded (a broken link has no natural width)."""
    page.wait_for_function("[...document.querySelectorAll('figure.evidence img')].every(i => i.complete)")
    found = page.evaluate("[...document.querySelectorAll('figure.evidence img')].map(i => [i.alt, i.naturalWidth])")
    assert all(width > 0 for _, width in found), found
    return [alt for alt, _ in found]


def _flow_licence(server, world, sample) -> None:
    """The person's side: consent, then both sides of the licence, through the hosted flow in production."""
    query = f"inquiry-template-id={world.production_templates['Government ID']}&environment-id={world.production_id}"
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30, headers={"User-Agent": AGENT}) as person:
        assert person.get(f"/verify?{query}").status_code == 303
        page = person.get("/verify").text
        assert person.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"}).status_code == 303
        page = person.get("/verify").text
        data = {"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1), "country": "US", "id-class": "dl"}
        files = {"front": ("front.jpg", sample.jpeg("front"), "image/jpeg"), "back": ("back.jpg", sample.jpeg("back"), "image/jpeg")}
        assert person.post("/flow/step", data=data, files=files).status_code == 303


def _run_jobs(app, api: httpx.Client) -> str:
    worker = runtime.Worker(app.state.writer, executor_id="case-page", threads=1, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            (inquiry,) = api.get("/api/v1/inquiries").json()["data"]
            if inquiry["attributes"]["status"] not in ("created", "pending"):
                return inquiry["id"]
            time.sleep(0.2)
    finally:
        worker.stop()
    raise AssertionError("the government ID was never processed")


def test_a_flow_made_inquiry_shows_its_evidence(app, page, server, engine, world) -> None:
    _admin(engine)
    sample = make("drivers_license", 33)
    _flow_licence(server, world, sample)
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {world.production_key}"}, timeout=30)
    inquiry_id = _run_jobs(app, api)

    _sign_in(page, "production")
    page.goto(f"/dashboard/inquiries/{inquiry_id}")
    assert sorted(_pictures_loaded(page)) == ["ID back", "ID front"]
    barcode = page.locator("pre.barcode").inner_text()
    assert "ANSI" in barcode and sample.truth["identification-number"] in barcode
    comparison = page.locator("table.compare").inner_text()
    assert sample.truth["name-last"] in comparison and "Differs" not in comparison
    assert "general consent" in page.locator("#h-consents + ul").inner_text()
    timeline = page.locator("table.timeline-table").inner_text()
    assert "inquiry-session.started" in timeline and "127.0.0.1" in timeline and AGENT in timeline and "the person (hosted flow)" in timeline
    assert "Required" in page.locator("table.checks").inner_text()
    # Zoom and rotate, from the static script (the CSP allows no inline script).
    first = page.locator("figure.evidence").first
    first.get_by_role("button", name="Rotate").click()
    first.get_by_role("button", name="Zoom in").click()
    assert "rotate(90deg)" in first.locator("img").get_attribute("style") and "scale(1.5)" in first.locator("img").get_attribute("style")
    _no_serious_violations(page)


def test_screenshots_of_a_passed_a_failed_and_a_needs_review_case(app, page, server, client, engine, world, tmp_path) -> None:
    from openidv.checks import faces

    faces.engine()
    _admin(engine)
    template = world.templates["Government ID and Selfie"]
    passed = evidence_inquiry(client, engine, template, kind="drivers_license", seed=41)
    account = client.get(f"/api/v1/inquiries/{passed}").json()["data"]["relationships"]["account"]["data"]["id"]
    cases = {
        "passed": passed,
        "failed": evidence_inquiry(client, engine, template, kind="passport", seed=1, id_face="hopper", selfie_face="astronaut"),
        # The same person again (same account, a new licence): passed checks a reviewer looks at anyway.
        "needs-review": evidence_inquiry(client, engine, template, kind="drivers_license", seed=43, **{"account-id": account}),
    }
    assert client.post(f"/api/v1/inquiries/{cases['needs-review']}/mark-for-review").status_code == 200
    assert client.post(f"/api/v1/inquiries/{cases['failed']}/decline").status_code == 200  # the reviewer's answer to a face mismatch
    _sign_in(page)
    keep = os.environ.get("OPENIDV_SCREENSHOT_DIR")
    for name, inquiry_id in cases.items():
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"/dashboard/inquiries/{inquiry_id}")
        alts = _pictures_loaded(page)
        assert "ID front" in alts and {"Selfie center", "Selfie left", "Selfie right"} <= set(alts) and any("ID portrait" in a for a in alts), alts
        framed = page.locator("img.portrait")  # the ID's portrait, cut out of its front by the page's script
        assert framed.count() == 1 and "left:" in framed.get_attribute("style")
        face = page.locator("dl.scores").inner_text()
        assert ("failed" if name == "failed" else "passed") in face and "0.55" in face, (name, face, page.locator("table.checks").first.inner_text())
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            _no_serious_violations(page)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, size)
            shot = tmp_path / f"case-{name}-{size}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 20_000
            if keep:  # 256 colours: a few hundred KiB each in the repository
                Path(keep).mkdir(parents=True, exist_ok=True)
                Image.open(shot).convert("RGB").quantize(256).save(Path(keep) / shot.name, optimize=True)
