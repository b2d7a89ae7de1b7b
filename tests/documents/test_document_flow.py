"""Document steps of the hosted flow: with the real checks in the sandbox (`OPENIDV_SANDBOX_FLOW_CHECKS=run`) the
uploaded paper is stored as the API's create stores it and read by the document-verification.process job (a recent
bill passes); a PDF with JavaScript is refused at intake, as the API refuses it; without the real checks the
sandbox's simulated verification still renders through the API, its file kept."""

import re
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.flow import engines
from openidv.kit import clock
from openidv.models import Verification
from openidv.testdata import docgen

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STEP_ID = re.compile(r'name="step-id" value="([^"]+)"')


@pytest.fixture
def browser(app, world):
    with TestClient(app, follow_redirects=False) as c:
        yield c


def _upload(browser: TestClient, world, content: bytes) -> None:
    assert browser.get(f"/verify?inquiry-template-id={world.templates['Document']}").status_code == 303
    page = browser.get("/verify").text
    browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"})
    page = browser.get("/verify").text
    sent = browser.post("/flow/step", data={"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1)},
                        files={"document": ("paper.pdf", content, "application/pdf")})
    assert sent.status_code == 303, sent.text


def _verification(db) -> Verification:
    """The document verification, once its job concluded it."""
    deadline = time.monotonic() + 30
    while True:
        db.rollback()  # a fresh snapshot
        (verification,) = db.scalars(select(Verification).where(Verification.kind == "document"))
        if verification.status != "submitted" or time.monotonic() > deadline:
            return verification
        time.sleep(0.05)


@pytest.fixture
def real_checks(job_worker, monkeypatch):
    monkeypatch.setattr(engines.Policy, "sandbox_runs_engines", True)


def test_the_job_reads_the_upload(browser, client, world, db, real_checks) -> None:
    _upload(browser, world, docgen.make("utility_bill", issued=clock.now().date() - timedelta(days=4)).data)
    verification = _verification(db)
    assert verification.status == "passed", verification.checks
    answer = client.get(f"/api/v1/verification/documents/{verification.id}").json()["data"]["attributes"]
    assert answer["document-type"] == "standard_utility_bill" and len(answer["files"]) == 1


def test_active_content_is_refused_at_intake(app, world, db, real_checks) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        assert browser.get(f"/verify?inquiry-template-id={world.templates['Document']}").status_code == 303
        page = browser.get("/verify").text
        browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"})
        page = browser.get("/verify").text
        pdf = docgen.make("lease", issued=clock.now().date(), variant="javascript").data
        sent = browser.post("/flow/step", data={"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1)},
                            files={"document": ("paper.pdf", pdf, "application/pdf")})
        assert sent.status_code == 422 and 'name="document"' in sent.text
    db.rollback()
    assert list(db.scalars(select(Verification))) == []


def test_sandbox_simulation_renders_through_the_api(browser, client, world, db, conforms_current) -> None:
    _upload(browser, world, docgen.make("utility_bill", issued=clock.now().date()).data)
    verification = _verification(db)
    answer = client.get(f"/api/v1/verification/documents/{verification.id}")
    assert answer.status_code == 200 and len(answer.json()["data"]["attributes"]["files"]) == 1
    conforms_current(answer.json()["data"], "verification-document")
