"""The dashboard's report pages: the list and one report with its matches and their review (dismiss with a reason,
re-run, pause and resume monitoring). Every role reads; reviewers and admins act."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.auth import repository as users
from openidv.dashboard import auth, pages, report_service
from openidv.reports import repository, service as reports

router = APIRouter(include_in_schema=False)
HOME = f"{pages.HOME}/reports"
DONE = {
    "dismiss": "Dismissed: the match stays quiet until its list entry changes.",
    "run": "Re-run queued: the report is screened again against the current lists.",
    "pause": "Monitoring paused: the report is no longer re-run.",
    "resume": "Monitoring resumed.",
}
CONFIRM = {
    "pause": ("Pause monitoring?", "The report will no longer be screened again on its interval nor after list updates.", "Pause monitoring"),
}


@router.get(HOME)
def report_list(request: Request) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        q = {k: (request.query_params.get(k) or "").strip()[:255] for k in ("reference_id", "matched")}
        result = repository.list_page(db, env_id, pages.page_of(request), [q["reference_id"]] if q["reference_id"] else None, None,
                                      has_match=True if q["matched"] == "yes" else None)
        rows = [(r, "" if r.redacted_at else reports.query_name(r.query)) for r in result.items]
        return "reports.html", {"result": result, "rows": rows, "q": q, "links": pages.links(result, q), "title": "Reports"}

    return pages.page(request, build)


@router.get(HOME + "/{report_id}")
def report_page(request: Request, report_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        report = report_service.load(db, env_id, report_id)
        result = {} if report.redacted_at else (report.result or {})
        return "report.html", {
            "report": report, "query": {} if report.redacted_at else report.query, "hits": result.get("hits", []),
            "ignored": result.get("ignored", []), "snapshots": result.get("snapshots", {}), "template": repository.template(db, env_id, report.template_id),
            "history": list(reversed(report.history or [])), "people": {u.id: u.email for u in users.users(db)},  # who dismissed, by e-mail
            "done": DONE.get(request.query_params.get("done", "")), "title": f"Report {report.id}",
        }

    return pages.page(request, build)


@router.post(HOME + "/{report_id}/{action}")
async def report_action(request: Request, report_id: str, action: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        if action in CONFIRM and not pages.confirmed(form):
            report_service.require_writer(who, action)  # refused before being asked to confirm
            title, message, button = CONFIRM[action]
            return pages.confirm(who, form, title=title, message=message, button=button, back=f"{HOME}/{report_id}")
        report_service.act(db, who, env_id, report_id, action, form)
        return pages.to(f"{HOME}/{report_id}?done={action}")

    return await pages.action(request, run)
