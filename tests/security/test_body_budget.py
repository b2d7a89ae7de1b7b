"""All requests together hold at most the process's body budget in memory: a body that would overdraw it
is refused with 503 and Retry-After (API and flow), and every request's bytes go back once it is answered."""

import re

from openidv.kit import body_budget

API = "/api/v1"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STEP_ID = re.compile(r'name="step-id" value="([^"]+)"')


def test_an_api_body_past_the_budget_is_refused_and_the_budget_comes_back(client, world, monkeypatch) -> None:
    monkeypatch.setattr(body_budget.BODIES, "limit", 64 * 1024)
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "note": "x" * 100_000}}}
    refused = client.post(f"{API}/inquiries", json=body)
    assert refused.status_code == 503 and refused.headers["retry-after"] == "2"
    assert refused.json()["errors"][0]["title"] == "Service Unavailable"
    assert body_budget.BODIES.used == 0
    small = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"]}}}
    assert client.post(f"{API}/inquiries", json=small).status_code == 201
    assert body_budget.BODIES.used == 0


def test_a_flow_upload_past_the_budget_is_refused_with_a_page_that_says_so(app, world, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as browser:
        assert browser.get(f"/verify?inquiry-template-id={world.templates['Document']}").status_code == 303
        page = browser.get("/verify").text
        assert browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"}).status_code == 303
        page = browser.get("/verify").text
        monkeypatch.setattr(body_budget.BODIES, "limit", 256 * 1024)
        sent = browser.post("/flow/step", data={"csrf": CSRF.search(page).group(1), "step-id": STEP_ID.search(page).group(1)},
                            files={"document": ("bill.pdf", b"%PDF-1.4\n" + b"0" * 1_000_000, "application/pdf")})
        assert sent.status_code == 503 and sent.headers["retry-after"] == "2" and "busy" in sent.text
        assert body_budget.BODIES.used == 0
