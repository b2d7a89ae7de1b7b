"""The end user's journey across requests and devices, over real HTTP against a live server: a double
submit costs one attempt, and a desktop that handed off to a phone follows it through every step to the
end screen. (The same journeys in Chromium, with Persona's SDK on another site: test_flow_journey_browser.py.)"""

import threading
from urllib.parse import urlsplit

import httpx
from flow_support import CSRF, STEP_ID

from openidv.jobs import runtime
from openidv.testdata.idgen import make


def _page(browser: httpx.Client, path: str = "/verify") -> httpx.Response:
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return page


def _open_past_consent(browser: httpx.Client, query: str) -> str:
    assert browser.get(f"/verify?{query}").status_code == 303
    page = _page(browser).text
    assert browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"}).status_code == 303
    return _page(browser).text


def _licence_form(page: str) -> tuple[dict, dict]:
    sample = make("drivers_license", 51)
    data = {"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1), "country": "US", "id-class": "dl"}
    return data, {"front": ("front.jpg", sample.jpeg("front"), "image/jpeg"), "back": ("back.jpg", sample.jpeg("back"), "image/jpeg")}


def _verifications(api: httpx.Client) -> list[dict]:
    (inquiry,) = api.get("/inquiries").json()["data"]
    return api.get(f"/inquiries/{inquiry['id']}?include=verifications").json().get("included", [])


def test_a_double_submit_makes_one_verification_and_costs_one_attempt(server, world):
    """Three taps at once on a government-ID step with real checks (production): one verification."""
    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.production_key}"}, timeout=30)
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as browser:
        page = _open_past_consent(browser, f"inquiry-template-id={world.production_templates['Government ID']}")
        data, files = _licence_form(page)
        answers: list[int] = []
        taps = [threading.Thread(target=lambda: answers.append(browser.post("/flow/step", data=data, files=files).status_code)) for _ in range(3)]
        for tap in taps:
            tap.start()
        for tap in taps:
            tap.join()
        assert answers == [303, 303, 303]  # each shows what is current: the processing screen
        assert 'class="processing"' in _page(browser).text
    made = _verifications(api)
    assert [v["attributes"]["status"] for v in made] == ["submitted"]


def test_the_desktop_follows_the_phone_to_the_end_screen(app, server, world):
    """Desktop: government ID step, "Continue on another device". Phone: opens the link, sends the ID, then
    the selfie consent. The desktop's page shows where the phone is at each step and ends on the end screen."""
    worker = runtime.Worker(app.state.writer, executor_id="journey", threads=1, poll_seconds=0.05, periodic=False)
    worker.start()
    try:
        with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as desktop, \
                httpx.Client(base_url=server.url, follow_redirects=True, timeout=60) as phone:
            page = _open_past_consent(desktop, f"inquiry-template-id={world.templates['Government ID and Selfie']}")
            handed = desktop.post("/flow/handoff", data={"csrf": CSRF.search(page).group(1)})
            assert handed.status_code == 303 and handed.headers["location"].startswith("/flow/handoff?h=")
            waiting = desktop.get(handed.headers["location"])
            assert waiting.status_code == 200 and "Waiting for your phone" in waiting.text and "<svg" in waiting.text
            link = waiting.text.split('id="handoff-link">')[1].split("<")[0].replace("&amp;", "&")

            opened = urlsplit(link)  # the link names the configured base URL; the live server has the same paths
            step = _page(phone, f"{opened.path}?{opened.query}").text  # the consent was given on the desktop
            data, files = _licence_form(step)
            assert phone.post("/flow/step", data=data, files=files).status_code == 200
            following = desktop.get(handed.headers["location"])
            assert following.status_code == 200 and "Your phone is at this step: Selfie." in following.text

            biometric = _page(phone).text
            assert "biometric" in biometric.lower()
            assert phone.post("/flow/consent", data={"csrf": CSRF.search(biometric).group(1), "accept": "yes"}).status_code == 200
            selfie = _page(phone).text
            poses = {pose: (f"{pose}.jpg", make("passport", i).jpeg("front"), "image/jpeg") for i, pose in enumerate(("center", "left", "right"))}
            sent = phone.post("/flow/step", data={"csrf": CSRF.search(selfie).group(1), "step-id": STEP_ID.search(selfie).group(1)}, files=poses)
            assert sent.status_code == 200 and "Thank you" in sent.text, sent.text

            ended = desktop.get(handed.headers["location"])  # the page the desktop's poll reloads
            assert ended.status_code == 303 and ended.headers["location"] == "/verify"
            assert "Thank you" in _page(desktop).text
    finally:
        worker.stop()


def test_the_server_refuses_a_country_or_id_type_the_page_would_not_offer(server, world):
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=60) as browser:
        page = _open_past_consent(browser, f"inquiry-template-id={world.templates['Government ID']}")
        refusals = (("XX", "pp", "Choose the country that issued your ID."), ("US", "nbi", "Choose the type of your ID."))  # NBI: Philippine
        for country, id_class, message in refusals:
            data, files = _licence_form(page)
            answer = browser.post("/flow/step", data={**data, "country": country, "id-class": id_class}, files=files)
            assert answer.status_code == 422 and message in answer.text and 'aria-invalid="true"' in answer.text
