"""Document steps of the hosted flow: with the kind's engine in place (`engines.override`) the uploaded paper is read by the same
engine (a recent bill passes, a PDF with JavaScript fails as unprocessable); without it the sandbox's
simulated verification still renders through the API."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from openidv.flow import engines
from openidv.kit import clock
from openidv.models import Verification
from openidv.testdata import docgen
from openidv.verifications.document import service as documents

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
    db.rollback()
    (verification,) = db.scalars(select(Verification).where(Verification.kind == "document"))
    return verification


def test_flow_engine_reads_the_upload(browser, client, world, db) -> None:
    engines.override(documents.KIND, documents.flow_engine)
    try:
        _upload(browser, world, docgen.make("utility_bill", issued=clock.now().date() - timedelta(days=4)).data)
        verification = _verification(db)
        assert verification.status == "passed", verification.checks
        answer = client.get(f"/api/v1/verification/documents/{verification.id}").json()["data"]["attributes"]
        assert answer["document-type"] == "standard_utility_bill" and answer["files"] == []
    finally:
        engines.remove_override(documents.KIND)


def test_flow_engine_fails_active_content(app, world, db) -> None:
    engines.override(documents.KIND, documents.flow_engine)
    try:
        with TestClient(app, follow_redirects=False) as browser:
            _upload(browser, world, docgen.make("lease", issued=clock.now().date(), variant="javascript").data)
        checks = {c["name"]: c for c in _verification(db).checks}
        unprocessable = checks["document_unprocessable_submission_detection"]
        assert unprocessable["status"] == "failed" and "active content" in unprocessable["metadata"]["errors"][0]
    finally:
        engines.remove_override(documents.KIND)


def test_sandbox_simulation_renders_through_the_api(browser, client, world, db, conforms_current) -> None:
    _upload(browser, world, docgen.make("utility_bill", issued=clock.now().date()).data)
    verification = _verification(db)
    answer = client.get(f"/api/v1/verification/documents/{verification.id}")
    assert answer.status_code == 200 and answer.json()["data"]["attributes"]["files"] == []
    conforms_current(answer.json()["data"], "verification-document")
