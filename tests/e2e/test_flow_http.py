"""The hosted flow over HTTP (no browser): entry, tokens, CSRF, consent, fields, uploads, languages, errors."""

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from flow_support import CSRF, STEP_ID, blank_pdf, noise_image
from sqlalchemy import func, select

from openidv.checks.result import check
from openidv.documents import files
from openidv.flow import engines
from openidv.kit import clock
from openidv.models import Document, FlowConsent, Inquiry, InquirySession, Verification


@pytest.fixture
def browser(app, world):
    """A cookie jar of its own, like one browser; redirects are looked at, not followed."""
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _open(c: TestClient, query: str) -> str:
    entered = c.get(f"/verify?{query}")
    assert entered.status_code == 303, entered.text
    assert entered.headers["location"] == "/verify"
    page = c.get("/verify")
    assert page.status_code == 200, page.text
    return page.text


def _consent(c: TestClient, page: str) -> str:
    done = c.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"})
    assert done.status_code == 303
    return c.get("/verify").text


def _inquiries(db) -> list[Inquiry]:
    db.rollback()  # a fresh snapshot
    return list(db.scalars(select(Inquiry)))


def test_database_template_walks_consent_and_fields_to_the_redirect(browser, client, world, db):
    query = f"inquiry-template-id={world.templates['Database']}&reference-id=user-7&redirect-uri=https://app.example.test/back?x=1&fields[name-first]=Jane"
    allowed = {"data": {"attributes": {"redirect-uri-domain-allowlist": ["app.example.test"]}}}  # redirects go to allowed domains only
    assert client.patch(f"/api/v1/inquiry-templates/{world.templates['Database']}", json=allowed).status_code == 200
    page = _open(browser, query)
    assert "Before we start" in page and 'type="checkbox"' in page

    not_accepted = browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1)})
    assert not_accepted.status_code == 422 and "Please tick the box" in not_accepted.text
    page = _consent(browser, page)
    assert "Your details" in page and 'value="Jane"' in page  # prefilled from fields[...]

    csrf = CSRF.search(page).group(1)
    bad = browser.post("/flow/fields", data={"csrf": csrf, "name-first": "Jane", "birthdate": "31/02/1990"})
    assert bad.status_code == 422
    assert "This field is required." in bad.text and "This value is not valid." in bad.text
    assert 'id="f-name-last" name="name-last"' in bad.text and 'aria-invalid="true"' in bad.text

    ok = browser.post("/flow/fields", data={"csrf": csrf, "name-first": "Jane", "name-last": "Doe", "birthdate": "1990-02-03"})
    assert ok.status_code == 303
    page = browser.get("/verify").text
    assert "Check your details" in page
    done = browser.post("/flow/step", data={"csrf": csrf, "step-id": STEP_ID.search(page).group(1)})
    assert done.status_code == 303
    final = browser.get("/verify")
    assert final.status_code == 303
    target = final.headers["location"]
    (inquiry,) = _inquiries(db)
    assert target.startswith("https://app.example.test/back?x=1&inquiry-id=" + inquiry.id)
    assert "status=completed" in target and "reference-id=user-7" in target
    assert "fields" not in target and "Doe" not in target  # never the person's data in a URL (tests/e2e/test_flow_safety.py)

    api = client.get(f"/api/v1/inquiries/{inquiry.id}").json()["data"]["attributes"]
    assert api["status"] == "completed" and api["fields"]["name-last"]["value"] == "Doe"
    names = [e["attributes"]["name"] for e in client.get(f"/api/v1/events?filter[object-id]={inquiry.id}&page[size]=100").json()["data"]]
    for name in ("inquiry.created", "inquiry.started", "inquiry.transitioned", "inquiry.completed"):
        assert name in names
    session_events = client.get("/api/v1/events?filter[name]=inquiry-session.started").json()["data"]
    assert len(session_events) == 1
    (consent,) = db.scalars(select(FlowConsent))
    assert consent.kind == "general" and consent.text_version.startswith("2026-11-general") and consent.language == "en"
    (session,) = db.scalars(select(InquirySession))
    assert session.status == "active"
    verification = client.get(f"/api/v1/inquiries/{inquiry.id}?include=verifications").json()["included"][0]
    assert verification["attributes"]["status"] == "passed"
    assert [c["name"] for c in verification["attributes"]["checks"]] == ["database_sandbox_simulation"]


def test_tokens_in_the_url_become_an_httponly_cookie_and_wrong_tokens_are_refused(browser, client, app, world, db):
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Email"]}}, "meta": {"auto-create-inquiry-session": True}}
    created = client.post("/api/v1/inquiries", json=body).json()
    inquiry_id, token = created["data"]["id"], created["meta"]["session-token"]
    entered = browser.get(f"/verify?inquiry-id={inquiry_id}&session-token={token}")
    assert entered.status_code == 303 and entered.headers["location"] == "/verify"
    cookie = entered.headers["set-cookie"]
    assert "openidv_flow=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = _consent(browser, browser.get("/verify").text)
    assert "E-mail address" in page
    client.post(f"/api/v1/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": [{"type": "start_inquiry"}]}})

    with TestClient(app, follow_redirects=False) as other:
        other_token = client.post("/api/v1/inquiries", json=body).json()["meta"]["session-token"]
        wrong = other.get(f"/verify?inquiry-id={inquiry_id}&session-token={other_token}")
        assert wrong.status_code == 409 and "needs a valid session" in wrong.text
        forged = other.get(f"/verify?inquiry-id={inquiry_id}&session-token={token[:-4]}AAAA")
        assert forged.status_code == 409
        no_token = other.get(f"/verify?inquiry-id={inquiry_id}")  # pending: the id alone is not enough
        assert no_token.status_code == 409
        assert "openidv_flow=" not in wrong.headers.get("set-cookie", "")
        no_cookie = other.get("/verify")
        assert no_cookie.status_code == 401 and "session has ended" in no_cookie.text
        # CSRF: another browser posting with the victim's cookie but no token changes nothing
        other.cookies.set("openidv_flow", token)
        forged_post = other.post("/flow/step", data={"email-address": "x@example.test"})
        assert forged_post.status_code == 403 and "form expired" in forged_post.text
    assert client.get(f"/api/v1/inquiries/{inquiry_id}").json()["data"]["relationships"]["verifications"]["data"] == []


def test_one_time_links_are_single_use_and_expire(app, client, world):
    inquiry_id = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates["Phone"]}}}).json()["data"]["id"]
    link = client.post(f"/api/v1/inquiries/{inquiry_id}/generate-one-time-link", json={"meta": {}}).json()["meta"]["one-time-link"]
    code = link.split("code=")[1]
    with TestClient(app, follow_redirects=False) as first:
        assert first.get(f"/verify?code={code}").status_code == 303
        assert "Before we start" in first.get("/verify").text
    clock.advance(timedelta(minutes=6))  # past the 5-minute grace
    with TestClient(app, follow_redirects=False) as second:
        reused = second.get(f"/verify?code={code}")
        assert reused.status_code == 410 and "already used" in reused.text
        short = client.post(f"/api/v1/inquiries/{inquiry_id}/generate-one-time-link", json={"meta": {"expires-in-seconds": 60}}).json()["meta"]["one-time-link"]
        clock.advance(timedelta(seconds=61))
        expired = second.get(f"/verify?code={short.split('code=')[1]}")
        assert expired.status_code == 410 and "expired" in expired.text
        assert second.get("/verify?code=not-a-code").status_code == 410


def test_another_environments_template_and_bad_redirects_create_nothing(browser, world, db):
    wrong_env = browser.get(f"/verify?inquiry-template-id={world.production_templates['Phone']}&environment-id={world.sandbox_id}")
    assert wrong_env.status_code == 404 and "Could not find inquiry template" in wrong_env.text
    unknown = browser.get("/verify?inquiry-template-id=itmpl_nothing")
    assert unknown.status_code == 404 and "Could not find inquiry template" in unknown.text
    script = browser.get(f"/verify?inquiry-template-id={world.templates['Phone']}&redirect-uri=javascript:alert(1)")
    assert script.status_code == 400 and "redirect address is not allowed" in script.text
    both = browser.get(f"/verify?inquiry-template-id={world.templates['Phone']}&reference-id=a&account-id=act_x")
    assert both.status_code == 400
    assert _inquiries(db) == []


def test_uploads_are_checked_by_content_and_stored_sealed(browser, world, db, settings):
    page = _consent(browser, _open(browser, f"inquiry-template-id={world.templates['Document']}"))
    csrf, step_id = CSRF.search(page).group(1), STEP_ID.search(page).group(1)

    def send(content: bytes, name: str = "doc.jpg") -> str:
        answer = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id}, files={"document": (name, content, "image/jpeg")})
        assert answer.status_code in (303, 422)
        return answer.text if answer.status_code == 422 else ""

    assert "not a JPEG, PNG or WebP image or a PDF" in send(b"MZ" + b"\0" * 20_000, "evil.jpg")
    assert "too small" in send(noise_image(40, 40, "PNG"))
    assert "too large" in send(b"\xff\xd8\xff" + b"\0" * (15 * 1024 * 1024 + 10))
    assert "too small (200×120 pixels)" in send(noise_image(200, 120))
    assert db.scalar(select(func.count()).select_from(Document)) == 0  # nothing half-written
    pdf = blank_pdf()
    assert send(pdf, "statement.pdf") == ""
    assert browser.get("/verify").text.count("Thank you") == 1  # no redirect URI: a clear end screen
    db.rollback()  # a fresh snapshot
    (document,) = db.scalars(select(Document))  # stored as the API's create stores a paper
    (record,) = document.data["files"]
    assert record["mime"] == "application/pdf" and document.verification_id and document.inquiry_id
    assert b"filler" not in (settings.data_dir / "files" / record["id"]).read_bytes() and files.content(record) == pdf


def test_spanish_by_parameter_or_browser(app, world):
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}) as c:
        page = _open(c, f"inquiry-template-id={world.templates['Phone']}")
        assert '<html lang="es">' in page and "Antes de empezar" in page
    with TestClient(app, follow_redirects=False) as c:
        page = _open(c, f"inquiry-template-id={world.templates['Phone']}&language=es-MX")
        assert "Antes de empezar" in page
        assert "Número de teléfono" in _consent(c, page)


def _settled(db, kind: str, count: int = 1) -> list[Verification]:
    """The inquiry's verifications of `kind` once `count` of them left `submitted` (their job ran)."""
    deadline = time.monotonic() + 30
    while True:
        db.rollback()  # a fresh snapshot
        made = list(db.scalars(select(Verification).where(Verification.kind == kind).order_by(Verification.created_at)))
        if sum(v.status != "submitted" for v in made) >= count or time.monotonic() > deadline:
            return made
        time.sleep(0.05)


def test_production_runs_the_real_checks_and_the_sandbox_simulates_them(browser, world, db, job_worker):
    page = _open(browser, f"inquiry-template-id={world.production_templates['Document']}&environment-id={world.production_id}")
    done = browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"})
    assert done.status_code == 303
    step = browser.get("/verify")
    assert step.status_code == 200 and 'name="document"' in step.text
    pdf = blank_pdf()  # not a readable paper: the real checks fail it
    answer = browser.post("/flow/step", data={"csrf": CSRF.search(step.text).group(1), "step-id": STEP_ID.search(step.text).group(1)},
                          files={"document": ("a.pdf", pdf, "application/pdf")})
    assert answer.status_code == 303
    (verification,) = _settled(db, "document")  # read in the document-verification.process job
    assert verification.status == "failed" and not any(c["name"].endswith("_sandbox_simulation") for c in verification.checks)
    assert engines.processes("document") and not engines.processes("document", sandbox=True)  # the sandbox simulates, as Persona's
    engines.Policy.sandbox_runs_engines = True  # OPENIDV_SANDBOX_FLOW_CHECKS=run
    try:
        assert engines.processes("document", sandbox=True)
    finally:
        engines.Policy.sandbox_runs_engines = False


def test_a_registered_engine_runs_and_failures_show_what_to_fix(browser, client, world, db, job_worker):
    seen = []

    def engine(db_, verification):  # runs in the kind's processing job, in place of its own checks
        seen.append([record["role"] for record in verification.data["files"]])
        return [check("document_readability", len(seen) > 1, reasons=["blurry"])]

    engines.override("document", engine)
    pdf = blank_pdf()
    try:
        page = _consent(browser, _open(browser, f"inquiry-template-id={world.templates['Document']}"))
        csrf, step_id = CSRF.search(page).group(1), STEP_ID.search(page).group(1)
        assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id}, files={"document": ("a.pdf", pdf, "application/pdf")}).status_code == 303
        _settled(db, "document")
        retry = browser.get("/verify").text
        assert "try that again" in retry and "Attempts left: 4" in retry and "The picture is blurry" in retry
        assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id}, files={"document": ("a.pdf", pdf, "application/pdf")}).status_code == 303
        _settled(db, "document", 2)
        assert "Thank you" in browser.get("/verify").text
    finally:
        engines.remove_override("document")
    assert seen == [["file"], ["file"]]
    (inquiry,) = _inquiries(db)
    assert inquiry.status == "completed"


def test_email_code_entry_with_resend_cooldown_and_wrong_code_limit(browser, client, world, db, mailbox):
    page = _consent(browser, _open(browser, f"inquiry-template-id={world.templates['Email']}"))
    csrf, step_id = CSRF.search(page).group(1), STEP_ID.search(page).group(1)
    invalid = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "email-address": "not an address"})
    assert invalid.status_code == 422 and "valid e-mail address" in invalid.text
    assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "email-address": "jane@example.com"}).status_code == 303
    page = browser.get("/verify").text
    assert "We sent a 6-digit code to jane@example.com" in page
    soon = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "resend": "1"})
    assert soon.status_code == 422 and "Wait 30 seconds" in soon.text and mailbox.wait_for(1) == 1
    clock.advance(timedelta(seconds=31))
    assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "resend": "1"}).status_code == 303
    assert mailbox.wait_for(2) == 2
    for _ in range(4):
        wrong = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "code": "000000" if mailbox.last_code() != "000000" else "111111"})
        assert wrong.status_code == 422 and "That code is not right" in wrong.text
    fifth = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "code": "000000" if mailbox.last_code() != "000000" else "111111"})
    assert fifth.status_code == 303  # the limit: this verification failed, a new attempt starts
    retry = browser.get("/verify").text
    assert "try that again" in retry and "Attempts left: 4" in retry and "type it exactly" in retry
    assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "email-address": "jane@example.com"}).status_code == 303
    assert mailbox.wait_for(3) == 3  # the new attempt's code
    assert browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "code": mailbox.last_code()}).status_code == 303
    assert "Thank you" in browser.get("/verify").text
    (inquiry,) = _inquiries(db)
    included = client.get(f"/api/v1/inquiries/{inquiry.id}?include=verifications").json()["included"]
    assert sorted(v["attributes"]["status"] for v in included) == ["failed", "passed"]
    assert inquiry.status == "completed"


def test_embedded_frame_ancestors_follow_the_allowlist(app, client, world):
    template_id = world.templates["Phone"]
    patched = client.patch(f"/api/v1/inquiry-templates/{template_id}", json={"data": {"attributes": {"embedded-flow-domain-allowlist": ["https://shop.example.test"]}}})
    assert patched.status_code == 200, patched.text
    with TestClient(app, follow_redirects=False) as c:
        entered = c.get(f"/widget?inquiry-template-id={template_id}&iframe-origin=https://shop.example.test&frame-ancestors[0]=https://evil.example.test")
        # the frame carries its pass in the URL: no cookie, which a third-party frame would not get back
        location = entered.headers["location"]
        assert entered.status_code == 303 and location.startswith("/verify?p=") and location.endswith("#load")
        assert "set-cookie" not in entered.headers
        page = c.get(location.removesuffix("#load"))
        assert page.headers["content-security-policy"].endswith("frame-ancestors https://shop.example.test")
        assert '"target_origin": "https://shop.example.test"' in page.text and f'"template_id": "{template_id}"' in page.text
        assert c.get("/preload").status_code == 200
        assert c.get("/verify").status_code == 401  # the pass, not the browser, holds the session
    with TestClient(app, follow_redirects=False) as hosted:
        _open(hosted, f"inquiry-template-id={template_id}")
        assert hosted.get("/verify").headers["content-security-policy"].endswith("frame-ancestors 'none'")


def test_embedding_needs_an_allowlist_in_production_and_localhost_in_the_sandbox(app, client, world):
    with TestClient(app, follow_redirects=False) as c:
        sandbox = c.get(f"/widget?inquiry-template-id={world.templates['Phone']}&iframe-origin=http://127.0.0.1:9")
        page = c.get(sandbox.headers["location"].removesuffix("#load"))
        assert page.headers["content-security-policy"].endswith(
            "frame-ancestors http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:*")
        production = c.get(f"/widget?inquiry-template-id={world.production_templates['Phone']}&iframe-origin=https://shop.example.test")
        assert production.status_code == 400 and "allowed domains" in production.text
        assert '"code": "invalid_config"' in production.text  # reaches the SDK's onError


def test_the_language_switch_stays_with_an_embedded_flow(app, world):
    """Without cookies the choice rides in the pass: the links of the Spanish page keep Spanish."""
    import html
    import re

    with TestClient(app, follow_redirects=False) as c:
        entered = c.get(f"/widget?inquiry-template-id={world.templates['Phone']}&iframe-origin=http://127.0.0.1:9")
        spanish = c.get(entered.headers["location"].removesuffix("#load") + "&language=es")
        assert spanish.status_code == 200 and 'lang="es"' in spanish.text
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', spanish.text).group(1))
        assert '<html lang="es">' in c.get(action.replace("/flow/consent", "/verify")).text  # the next page, by its pass
