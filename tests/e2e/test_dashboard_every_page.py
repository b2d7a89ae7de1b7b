"""axe-core on every dashboard page, in headless Debian Chromium at desktop (1280x800) and phone (390x844) sizes: zero
serious or critical violations and no sideways scrolling.

The pages are read from one place, the routers of `wiring.DASHBOARD`: every GET route there is visited, so a page that
lands in a new module is checked without touching this test. A route whose path has a parameter this test has not met
fails with a message naming it: add one line to PARAMS saying which seeded object fills it. Answers that are not HTML
(files, CSV, PDF) are not pages and are skipped."""

import io
import os
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from flow_support import BASE_ARGS, CHROMIUM, serious_violations
from flow_support.fixtures import needs_sdk

from openidv import wiring

pytestmark = needs_sdk
PASSWORD = "correct horse battery"
SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})
SDN = Path(__file__).resolve().parents[1] / "screening" / "fixtures" / "sdn.xml"
SHOTS = os.environ.get("OPENIDV_DASHBOARD_SCREENSHOTS")  # a folder: each page is also saved there at both sizes

# Path parameter -> the key of the seeded object (see `seeded`) that fills it. A new kind of page: one line here.
PARAMS = {
    "inquiry_id": "inquiry",
    "template_id": "template",
    "account_id": "account",
    "webhook_id": "webhook",
    "delivery_id": "delivery",
    "report_id": "report",
    "snapshot_id": "snapshot",
    "case_id": "case",
    "workflow_id": "workflow",
    "run_id": "workflow_run",
}
# A live workflow that tags each new inquiry: the seeded inquiry starts a run of it.
WORKFLOW = "trigger:\n  event: inquiry.created\nsteps:\n  - name: tag\n    action: add-tags\n    with:\n      tags: [auto]\n"
# GET routes that are not pages and need objects this test does not make (the rest are told apart by their content type).
NOT_PAGES = (
    "/dashboard/inquiries/{inquiry_id}/files/{file_id}/preview",  # a PDF document's first page as a PNG
)


def dashboard_pages() -> list[str]:
    paths = []
    for router in wiring.DASHBOARD:
        for route in router.routes:
            if isinstance(route, APIRoute) and "GET" in route.methods and route.path not in NOT_PAGES and route.path not in paths:
                paths.append(route.path)
    return paths


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def seeded(client, engine, world) -> dict[str, str]:
    """One of everything a dashboard page shows, made through the API and the services as in use."""
    from sqlalchemy import select

    from openidv.auth import service as auth
    from openidv.cases import service as cases
    from openidv.kit.db import session_factory, transaction
    from openidv.models import WebhookDelivery, WorkflowRun
    from openidv.reports import lists
    from openidv.webhooks import delivery
    from openidv.workflows import service as workflows

    with transaction(session_factory(engine, writer=True)) as db:
        auth.create_user(db, "admin@example.com", PASSWORD, "admin")
        snapshot = lists.load(db, io.BytesIO(SDN.read_bytes()), "ofac-sdn", "OFAC SDN").snapshot.id
        workflow = workflows.create_workflow(db, world.sandbox_id, "Tag new inquiries", WORKFLOW, actor="tests").id
        workflows.publish(db, world.sandbox_id, workflow, actor="tests")
        workflows.enable(db, world.sandbox_id, workflow, actor="tests")
    saved = delivery.policy.allow_private_urls
    delivery.policy.allow_private_urls = True
    hook = client.post("/api/v1/webhooks", json={"data": {"attributes": {"name": "Ops", "url": "http://127.0.0.1:9/hook", "enabled-events": ["*"]}}})
    delivery.policy.allow_private_urls = saved
    assert hook.status_code == 201, hook.text
    body = {"data": {"attributes": {"inquiry-template-id": world.templates["Government ID"], "reference-id": "cust-1",
                                    "fields": {"name-first": "Alice", "name-last": "Doe"}}}}
    inquiry = client.post("/api/v1/inquiries", json=body, headers={"Persona-Version": "2023-01-05"}).json()["data"]
    actions = {"meta": {"simulate-actions": [{"type": "start_inquiry"}, {"type": "mark_for_review_inquiry"}]}}
    assert client.post(f"/api/v1/inquiries/{inquiry['id']}/perform-simulate-actions", json=actions).status_code == 200
    account = client.get(f"/api/v1/inquiries/{inquiry['id']}").json()["data"]["relationships"]["account"]["data"]["id"]
    template = client.post("/api/v1/report-templates", json={"data": {"attributes": {"kind": "watchlist", "name": "Sanctions", "match-preset": "tolerant",
                                                                                     "rerun-interval-days": 7}}}).json()["data"]["id"]
    report = client.post("/api/v1/reports", json={"data": {"type": "report/watchlist", "attributes": {
        "report-template-id": template, "query": {"name-first": "Viktor", "name-last": "Petrovsky", "birthdate": "1961-03-14"}}},
        "meta": {"processing-mode": "sync"}}).json()["data"]
    assert report["attributes"]["has-match"] is True
    with transaction(session_factory(engine, writer=True)) as db:
        delivery_id = db.scalars(select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == hook.json()["data"]["id"])).first()
        case = cases.create_case(db, world.sandbox_id, objects=[("inquiry", inquiry["id"])], actor="wfr_starter").id
        run = db.scalars(select(WorkflowRun.id).where(WorkflowRun.object_id == inquiry["id"])).first()
    return {"case": case, "workflow": workflow, "workflow_run": run,
            "inquiry": inquiry["id"], "template": world.templates["Government ID"], "account": account, "webhook": hook.json()["data"]["id"],
            "delivery": delivery_id, "report": report["id"], "snapshot": snapshot}


def _url(path: str, seeded: dict[str, str]) -> str:
    import re

    def fill(match: re.Match) -> str:
        name = match.group(1)
        assert name in PARAMS, f"{path}: add a line to PARAMS in {__file__} saying which seeded object fills {{{name}}}"
        return seeded[PARAMS[name]]

    return re.sub(r"\{(\w+)\}", fill, path)


def _check(page, name: str) -> list[str]:
    problems = []
    for size in SIZES:
        page.set_viewport_size(size)
        found = serious_violations(page)
        problems += [f"{name} at {size['width']} px: {v}" for v in found]
        if page.evaluate("document.documentElement.scrollWidth") > size["width"]:
            problems.append(f"{name} at {size['width']} px scrolls sideways")
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name.strip('/').replace('/', '_') or 'root'}-{size['width']}.png"), full_page=True)
    return problems


def test_every_dashboard_page_passes_axe_at_desktop_and_phone_sizes(browser, server, seeded):
    context = browser.new_context(viewport=SIZES[0], bypass_csp=True, base_url=server.url)  # bypass_csp: axe injection only
    page = context.new_page()
    problems = _check(page.goto("/dashboard") and page, "sign-in")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/inquiries")
    visited = []
    for path in dashboard_pages():
        url = _url(path, seeded)
        probe = page.request.get(url)  # the browser's cookies; a file (CSV, PDF, image) is not a page and would download
        assert probe.status < 400, f"{url} answered {probe.status}"
        if "text/html" not in (probe.headers.get("content-type") or ""):
            continue
        page.goto(url)
        visited.append(path)
        problems += _check(page, path)
    context.close()
    assert problems == [], "\n".join(problems)
    assert {"/dashboard/webhooks", "/dashboard/reports/{report_id}", "/dashboard/lists/{snapshot_id}", "/dashboard/analytics"} <= set(visited)
