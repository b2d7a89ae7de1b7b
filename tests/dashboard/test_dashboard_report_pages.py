"""Report and list pages: a reviewer reviews a real screening's match (entity, list, score, why), dismisses it with a
reason (kept in Persona's ignore list, a `.dismissed` event and the audit log), re-runs the report through the job and
pauses and resumes its monitoring; a dismissal without a reason writes nothing; viewers read only. The list pages show
each list's versions, last update and, by name, what a load added."""

import io
import time
from pathlib import Path

from dashboard_support import API, make_user, post, signed_in
from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import AuditLog, Event, Report
from openidv.reports import lists

SDN = (Path(__file__).resolve().parents[1] / "screening" / "fixtures" / "sdn.xml").read_bytes()
AMARA = b"<sdnEntry><uid>9100</uid><firstName>Amara</firstName><lastName>OKONKWO BELLO</lastName><sdnType>Individual</sdnType></sdnEntry>"


def _load(engine, raw: bytes) -> str:
    with transaction(session_factory(engine, writer=True)) as db:
        return lists.load(db, io.BytesIO(raw), "ofac-sdn", "OFAC SDN").snapshot.id


def _report(engine, report_id: str) -> Report:
    with transaction(session_factory(engine)) as db:
        report = db.get(Report, report_id)
        db.expunge(report)
        return report


def _screened(client, report_id: str) -> dict:
    deadline = time.monotonic() + 120  # the first screening in a process loads the name data
    while time.monotonic() < deadline:
        data = client.get(f"{API}/reports/{report_id}").json()["data"]
        if data["attributes"]["status"] != "pending":
            return data
        time.sleep(0.05)
    raise AssertionError(f"report {report_id} still pending")


def _names(engine, model, **where) -> list[str]:
    with transaction(session_factory(engine)) as db:
        column = model.name if model is Event else model.action
        return list(db.scalars(select(column).where(*(getattr(model, k) == v for k, v in where.items())).order_by(model.created_at, model.id)))


def test_reviewer_reviews_a_match_and_monitoring(app, client, engine, world, job_worker):
    _load(engine, SDN)
    template = client.post(f"{API}/report-templates", json={"data": {"attributes": {"kind": "watchlist", "name": "Sanctions", "match-preset": "tolerant",
                                                                                      "rerun-interval-days": 7}}}).json()["data"]["id"]
    body = {"data": {"type": "report/watchlist", "attributes": {"report-template-id": template, "reference-id": "cust-9",
                                                                 "query": {"name-first": "Viktor", "name-last": "Petrovsky", "birthdate": "1961-03-14"}}}}
    report_id = client.post(f"{API}/reports", json=body).json()["data"]["id"]
    assert _screened(client, report_id)["attributes"]["has-match"] is True
    make_user(engine, "reviewer@example.com", "reviewer")
    make_user(engine, "viewer@example.com", "viewer")
    c = signed_in(app, "reviewer@example.com")

    listing = c.get("/dashboard/reports?matched=yes").text
    assert report_id in listing and "Viktor Petrovsky" in listing and "to review" in listing
    page = c.get(f"/dashboard/reports/{report_id}").text
    matches = page.split('id="h-matches"')[1].split("</section>")[0]
    assert "ofac-9001" in matches and "OFAC SDN" in matches and "threshold 0.85" in matches and "birthdate match" in matches
    assert "viktor ≈" in matches.lower()  # why it matched: the name's parts aligned

    viewer = signed_in(app, "viewer@example.com")
    assert "Dismiss match" not in viewer.get(f"/dashboard/reports/{report_id}").text
    assert post(viewer, f"/dashboard/reports/{report_id}/dismiss", entity_id="ofac-9001", reason="no").status_code == 403
    no_reason = post(c, f"/dashboard/reports/{report_id}/dismiss", entity_id="ofac-9001", reason="  ")
    assert no_reason.status_code == 400 and "reason" in no_reason.text and _report(engine, report_id).has_match is True
    assert post(c, f"/dashboard/reports/{report_id}/dismiss", entity_id="ofac-0000", reason="x").status_code == 422

    done = post(c, f"/dashboard/reports/{report_id}/dismiss", entity_id="ofac-9001", reason="Different birthplace, checked passport")
    assert done.status_code == 303
    page = c.get(done.headers["location"]).text
    assert "Dismissed: the match stays quiet" in page and "No match to review." in page
    dismissed = page.split('id="h-ignored"')[1]
    assert "Different birthplace, checked passport" in dismissed and "reviewer@example.com" in dismissed  # who, by e-mail
    ignored = client.get(f"{API}/reports/{report_id}").json()["data"]["attributes"]["ignore-list"]
    assert ignored[0]["ignore-reason"] == "Different birthplace, checked passport"
    assert "report/watchlist.dismissed" in _names(engine, Event, object_id=report_id)

    rerun = post(c, f"/dashboard/reports/{report_id}/run")
    assert rerun.status_code == 303 and "Re-run queued" in c.get(rerun.headers["location"]).text
    assert _screened(client, report_id)["attributes"]["has-match"] is False  # the dismissed match stays quiet
    assert ">Pause monitoring?</h1>" in post(c, f"/dashboard/reports/{report_id}/pause").text  # asks first
    assert _report(engine, report_id).paused is False
    assert post(c, f"/dashboard/reports/{report_id}/pause", confirmed="yes").status_code == 303 and _report(engine, report_id).paused is True
    assert "Resume monitoring" in c.get(f"/dashboard/reports/{report_id}").text
    assert post(c, f"/dashboard/reports/{report_id}/resume").status_code == 303 and _report(engine, report_id).paused is False
    assert post(c, "/dashboard/reports/rep_missing/run").status_code == 404
    assert _names(engine, AuditLog, object_id=report_id) == ["report.dismiss", "report.run", "report.pause", "report.resume"]


def test_list_pages_show_versions_and_what_changed(app, engine, world):
    first = _load(engine, SDN)
    second = _load(engine, SDN.replace(b"</sdnList>", AMARA + b"</sdnList>"))
    make_user(engine, "viewer@example.com", "viewer")
    c = signed_in(app, "viewer@example.com")
    index = c.get("/dashboard/lists").text
    row = index.split(second)[1].split("</tr>")[0]
    assert "OFAC SDN" in row and "<td>2</td>" in row and "1 added, 0 changed, 0 removed" in row and first not in index
    page = c.get(f"/dashboard/lists/{second}").text
    added = page.split('id="h-added"')[1].split("</ul>")[0]
    assert "Amara OKONKWO BELLO" in added and "ofac-9100" in added
    assert f'href="/dashboard/lists/{first}"' in page and "in service" in page and "replaced" in page
    assert "nothing (first load)" in c.get(f"/dashboard/lists/{first}").text
    assert c.get("/dashboard/lists/lsnap_missing").status_code == 404
