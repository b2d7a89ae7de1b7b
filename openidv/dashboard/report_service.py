"""Dashboard actions on reports (reviewers and admins): match review through the report service's own rules, each
with one audit row (never commits). A dismissal needs a reason: it is kept in the report's ignore list (Persona's
`ignore-list` with its `ignore-reason`), raises the report's `.dismissed` event and is audited."""

from sqlalchemy.orm import Session

from openidv.dashboard.auth import DashboardSession
from openidv.dashboard.service import audit
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.models import Report
from openidv.reports import repository, service as reports

ACTIONS = ("dismiss", "run", "pause", "resume")


def require_writer(who: DashboardSession, action: str) -> None:
    if not who.can_write:
        raise ApiError(403, f"a {who.user.role} may not {action} reports")


def load(db: Session, env_id: str, report_id: str) -> Report:
    report = repository.get(db, env_id, report_id)
    if report is None:
        raise not_found("report", report_id)
    return report


def act(db: Session, who: DashboardSession, env_id: str, report_id: str, action: str, form: dict[str, str]) -> Report:
    if action not in ACTIONS:
        raise not_found("action", action)
    require_writer(who, action)
    report = load(db, env_id, report_id)
    before, detail = report.status, None
    if action == "dismiss":
        reason = form.get("reason", "").strip()
        if not reason:
            raise bad_request("Give the reason for dismissing the match: it is kept with the report.")
        entity_id = form.get("entity_id", "").strip() or None
        reports.dismiss(db, report, entity_id=entity_id, reason=reason[:1000], actor=who.user.id)
        detail = f"{entity_id or 'every match'}: {reason}"
    elif action == "run":
        reports.request_run(db, report, actor=who.user.id)
    elif action == "pause":
        reports.pause(db, report, who.user.id)
    else:
        reports.resume(db, report, who.user.id)
    audit(db, who, env_id, f"report.{action}", report.id, before, report.status, detail)
    return report
