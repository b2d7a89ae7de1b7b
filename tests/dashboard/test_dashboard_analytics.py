"""Analytics: the funnel, check pass rates and median time to decision equal what the API's data implies."""

import re
from datetime import datetime, timedelta
from statistics import median

from dashboard_support import API, make_user, new_inquiry, signed_in

from openidv.kit import clock


def _sim(client, inquiry_id: str, *actions: dict) -> None:
    answer = client.post(f"{API}/inquiries/{inquiry_id}/perform-simulate-actions", json={"meta": {"simulate-actions": list(actions)}})
    assert answer.status_code == 200, answer.text


def _numbers(html: str, table: str) -> dict[str, int]:
    body = html.split(f'id="{table}-table"')[1].split("</table>")[0]
    return {label: int(value) for label, value in re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', body)}


def test_analytics_match_the_api_data(app, client, engine, world):
    # The test moves the clock 90 minutes on and then filters on "today": start at 01:00 of the next day,
    # so a run late in the evening (UTC) does not cross midnight between the inquiries and the filter.
    start = clock.now()
    clock.advance(start.replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1) - start)
    make_user(engine, "viewer@example.com", "viewer")
    template_id = world.templates["Government ID"]
    version_id = client.get(f"{API}/inquiry-templates/{template_id}").json()["data"]["relationships"]["latest-published-version"]["data"]["id"]
    step = client.get(f"{API}/inquiry-template-versions/{version_id}").json()["meta"]["configuration"]["steps"][0]["id"]
    passed = {"type": "create_passed_verification", "data": {"verification-template-id": step}}
    failed = {"type": "create_failed_verification", "data": {"verification-template-id": step}}
    ids = [new_inquiry(client, template_id) for _ in range(5)]
    _sim(client, ids[1], {"type": "start_inquiry"})
    _sim(client, ids[2], passed)
    clock.advance(timedelta(minutes=30))
    _sim(client, ids[2], {"type": "approve_inquiry"})
    _sim(client, ids[3], failed)
    clock.advance(timedelta(minutes=60))
    _sim(client, ids[3], {"type": "decline_inquiry"})
    _sim(client, ids[4], passed)
    other = new_inquiry(client, world.templates["Phone"])  # another template: only in the unfiltered numbers

    rows = [client.get(f"{API}/inquiries/{i}").json()["data"]["attributes"] for i in ids]
    expected = {
        "created": len(rows),
        "started": sum(r["started-at"] is not None for r in rows),
        "completed": sum(r["completed-at"] is not None for r in rows),
        "approved": sum(r["status"] == "approved" for r in rows),
        "declined": sum(r["status"] == "declined" for r in rows),
    }
    assert expected["approved"] == expected["declined"] == 1 and expected["started"] >= 3
    stamp = lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))  # noqa: E731
    minutes = median((stamp(r["decisioned-at"]) - stamp(r["created-at"])).total_seconds() / 60 for r in rows if r["status"] in ("approved", "declined"))

    c = signed_in(app, "viewer@example.com")
    page = c.get(f"/dashboard/analytics?template={template_id}")
    assert page.status_code == 200 and "<svg" in page.text
    assert _numbers(page.text, "funnel") == expected
    assert _numbers(page.text, "checks") == {"government_id_sandbox_simulation": 2}
    assert "2/3 passed (67%)" in page.text
    assert f"Median time to decision: {minutes:.1f} minutes over 2 decided inquiries." in page.text and minutes >= 30
    assert _numbers(c.get("/dashboard/analytics").text, "funnel")["created"] == 6
    today = clock.now().date().isoformat()
    assert _numbers(c.get(f"/dashboard/analytics?created_from={today}&created_to={today}").text, "funnel")["created"] == 6
    assert _numbers(c.get("/dashboard/analytics?created_to=2001-01-01").text, "funnel")["created"] == 0
    assert c.get("/dashboard/analytics?created_from=soon").status_code == 400
    assert other
