"""Evidence kept by the hosted flow (issue 14): a government ID captured in the flow is stored and checked
as an API-made one is. Over real HTTP (a live server, a cookie jar like one browser) with generated
licences: with the real checks (production) the submit returns at once, the page shows "processing"
until the `government-id.process` job concludes, and `/flow/status` changes when it does; the
verification's photo URLs serve the photos, `id-class` is set, and the inquiry's fields (and the
`inquiry.completed` event) hold what was read from the ID. The sandbox's simulation keeps the same
evidence."""

import time

import httpx
from flow_support import CSRF, STEP_ID

from openidv.jobs import runtime
from openidv.testdata.idgen import make

TEMPLATE = "Government ID"


def _through_consent(browser: httpx.Client, query: str) -> str:
    """Opens the flow, accepts the consent; the government-ID step's page."""
    entered = browser.get(f"/verify?{query}")
    assert entered.status_code == 303, entered.text
    page = browser.get("/verify")
    assert page.status_code == 200, page.text
    accepted = browser.post("/flow/consent", data={"csrf": CSRF.search(page.text).group(1), "accept": "yes"})
    assert accepted.status_code == 303, accepted.text
    page = browser.get("/verify")
    assert page.status_code == 200 and 'name="front"' in page.text, page.text
    return page.text


def _submit_licence(browser: httpx.Client, page: str, sample) -> httpx.Response:
    data = {"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1), "country": "US", "id-class": "dl"}
    files = {"front": ("front.jpg", sample.jpeg("front"), "image/jpeg"), "back": ("back.jpg", sample.jpeg("back"), "image/jpeg")}
    return browser.post("/flow/step", data=data, files=files)


def _api(server, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _inquiry_id(api: httpx.Client) -> str:
    (inquiry,) = api.get("/api/v1/inquiries").json()["data"]
    return inquiry["id"]


def _government_id(api: httpx.Client, inquiry_id: str) -> dict:
    included = api.get(f"/api/v1/inquiries/{inquiry_id}?include=verifications").json()["included"]
    (verification,) = [v for v in included if v["type"] == "verification/government-id"]
    return verification["attributes"]


def _photos_download(api: httpx.Client, attributes: dict, sample) -> None:
    for side in ("front", "back"):
        url = attributes[f"{side}-photo-url"]
        assert url, f"{side}-photo-url is null"
        photo = api.get(url[url.index("/api/v1"):])  # the signed link, with the API key (as Persona's photo URLs)
        assert photo.status_code == 200 and photo.content == sample.jpeg(side), (url, photo.text)


def test_real_checks_run_in_the_job_and_keep_the_evidence_and_fields(app, server, world) -> None:
    sample = make("drivers_license", 33)
    truth = sample.truth
    api = _api(server, world.production_key)
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        page = _through_consent(browser, f"inquiry-template-id={world.production_templates[TEMPLATE]}&environment-id={world.production_id}")
        started = time.monotonic()
        sent = _submit_licence(browser, page, sample)
        took = time.monotonic() - started
        assert sent.status_code == 303, sent.text
        # No worker runs yet: the request returned without the checks, and the page waits for the job.
        inquiry_id = _inquiry_id(api)
        waiting = _government_id(api, inquiry_id)
        assert waiting["status"] == "submitted" and waiting["checks"] == [] and took < 5
        assert waiting["front-photo-url"] and waiting["back-photo-url"] and waiting["id-class"] == "dl"
        shown = browser.get("/verify")
        assert shown.status_code == 200 and 'class="processing"' in shown.text
        before = browser.get("/flow/status").json()["state"]
        assert browser.get("/verify").text.count('class="processing"') == 1  # still waiting: nothing ran it

        worker = runtime.Worker(app.state.writer, executor_id="evidence", threads=1, poll_seconds=0.05, periodic=False)
        worker.start()
        try:
            deadline = time.monotonic() + 60
            state = before
            while state == before and time.monotonic() < deadline:
                time.sleep(0.1)
                state = browser.get("/flow/status").json()["state"]
        finally:
            worker.stop()
        assert state != before, "the status never changed"
        done = browser.get("/verify")
        assert done.status_code == 200 and 'class="processing"' not in done.text and "Thank you" in done.text

    attributes = _government_id(api, inquiry_id)
    assert attributes["status"] == "passed", [c for c in attributes["checks"] if c["status"] == "failed"]
    assert attributes["id-class"] == "dl" and attributes["country-code"] == "US"
    assert attributes["identification-number"] == truth["identification-number"]
    _photos_download(api, attributes, sample)

    inquiry = api.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["attributes"]
    fields = inquiry["fields"]
    assert inquiry["status"] == "completed"
    assert (fields["name-first"]["value"], fields["name-last"]["value"]) == (truth["name-first"], truth["name-last"])
    assert fields["birthdate"] == {"type": "date", "value": truth["birthdate"].isoformat()}
    assert fields["identification-number"]["value"] == truth["identification-number"]
    assert fields["identification-class"]["value"] == "dl" and fields["address-subdivision"]["value"] == "CA"
    (completed,) = api.get(f"/api/v1/events?filter[name]=inquiry.completed&filter[object-id]={inquiry_id}").json()["data"]
    sent_fields = completed["attributes"]["payload"]["data"]["attributes"]["fields"]
    assert sent_fields["name-last"]["value"] == truth["name-last"]
    assert sent_fields["identification-number"]["value"] == truth["identification-number"]
    assert sent_fields["birthdate"]["value"] == truth["birthdate"].isoformat()


def test_the_sandbox_simulation_keeps_the_same_evidence(server, world) -> None:
    sample = make("drivers_license", 34)
    api = _api(server, world.sandbox_key)
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        page = _through_consent(browser, f"inquiry-template-id={world.templates[TEMPLATE]}")
        assert _submit_licence(browser, page, sample).status_code == 303
        assert "Thank you" in browser.get("/verify").text  # simulated in the request: nothing to wait for

    inquiry_id = _inquiry_id(api)
    attributes = _government_id(api, inquiry_id)
    assert attributes["status"] == "passed"
    assert [c["name"] for c in attributes["checks"]] == ["government_id_sandbox_simulation"]
    assert attributes["id-class"] == "dl" and attributes["country-code"] == "US"
    _photos_download(api, attributes, sample)
    fields = api.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["attributes"]["fields"]
    assert fields["identification-class"]["value"] == "dl" and fields["selected-country-code"]["value"] == "US"
