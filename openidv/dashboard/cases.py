"""The dashboard's cases: the reviewers' queue (Open and Pending cases, mine or unassigned first to pick) and one
case with what it holds, its comments and its timeline, where a reviewer assigns it, sets its due time and status,
and comments. Every action goes through `openidv.cases.service` (the case machine) and is audited."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.cases import repository, service as cases
from openidv.dashboard import auth, pages, service
from openidv.events import repository as events
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.lifecycle import CaseStatus, transition_allowed
from openidv.models import Case

router = APIRouter(include_in_schema=False)
LIST = f"{pages.HOME}/cases"
# The queue's status choices: what is still to review by default, then each status, then everything.
VIEWS: dict[str, tuple[str, ...]] = {
    "unresolved": (CaseStatus.OPEN, CaseStatus.PENDING),
    **{status.value.lower(): (status.value,) for status in CaseStatus},
    "all": tuple(CaseStatus),
}
# The buttons of the status form: (target status, label), shown when the case machine allows the move.
MOVES = (("Open", "Reopen"), ("Open", "Back to open"), ("Pending", "Mark pending"), ("Approved", "Approve"), ("Declined", "Decline"))
# Where each object family's own page is.
PAGES = {"inquiry": "inquiries", "account": "accounts"}


def _load(db: Session, env_id: str, case_id: str) -> Case:
    case = repository.get(db, env_id, case_id)
    if case is None:
        raise not_found("case", case_id)
    return case


def _writer(who: auth.DashboardSession) -> None:
    if not who.can_write:
        raise ApiError(403, "Viewers cannot change cases.")


def _moves(case: Case) -> list[tuple[str, str]]:
    """The status buttons this case offers (the action names of the machine, checked against its table)."""
    offered = []
    for target, label in MOVES:
        action = {"Approved": "approve", "Declined": "decline", "Pending": "set_pending"}.get(target, "reopen" if label == "Reopen" else "set_open")
        if transition_allowed(case, action):
            offered.append((target, label))
    return offered


@router.get(LIST)
def case_list(request: Request) -> Response:
    def build(db: Session, who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        view = request.query_params.get("status", "unresolved")
        if view not in VIEWS:
            raise bad_request(f"Unknown status filter {view!r}.")
        mine = request.query_params.get("assignee", "")
        assignee = {"me": who.user.email, "nobody": ""}.get(mine)
        result = repository.queue_page(db, env_id, pages.page_of(request), statuses=VIEWS[view], assignee=assignee)
        params = {"status": view, "assignee": mine}
        return "cases.html", {"result": result, "counts": repository.object_counts(db, [c.id for c in result.items]), "view": view,
                              "views": list(VIEWS), "assignee": mine, "links": pages.links(result, params), "now": now(), "title": "Cases"}

    return pages.page(request, build)


@router.get(LIST + "/{case_id}")
def case_page(request: Request, case_id: str) -> Response:
    def build(db: Session, _who: auth.DashboardSession, env_id: str) -> tuple[str, dict[str, Any]]:
        case = _load(db, env_id, case_id)
        held = [(item.object_type, item.object_id, PAGES.get(item.object_type.split("/")[0])) for item in repository.objects_of(db, case.id)]
        template = repository.template(db, env_id, case.case_template_id)
        users = repository.assignable_users(db)
        return "cases_one.html", {
            "case": case, "held": held, "template": template, "comments": repository.comments_of(db, case.id),
            "timeline": events.of_object(db, case.id), "users": users, "moves": _moves(case),
            "people": {user.id: user.email for user in users},  # reviewers by e-mail rather than by id
            "fields": {} if case.redacted_at else case.fields, "now": now(), "title": f"Case {case.name}",
            "due": case.sla_expires_at.strftime("%Y-%m-%dT%H:%M") if case.sla_expires_at else "",
        }

    return pages.page(request, build)


@router.post(LIST)
async def create_case(request: Request) -> Response:
    """A case for the objects named (inquiry, account, report or verification ids, separated by spaces or commas)."""
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        _writer(who)
        ids = [part for part in form.get("objects", "").replace(",", " ").split() if part]
        if not ids:
            raise bad_request("Name at least one inquiry, account, report or verification id.")
        case = cases.create_case(db, env_id, objects=[("", object_id) for object_id in ids[:100]], actor=who.user.id,
                                 comment=form.get("comment") or None)
        service.audit(db, who, env_id, "case.create", case.id, None, case.status, " ".join(ids[:100]))
        return pages.to(f"{LIST}/{case.id}")

    return await pages.action(request, run)


@router.post(LIST + "/{case_id}/{what}")
async def case_action(request: Request, case_id: str, what: str) -> Response:
    """assign (to the user chosen, or to me), status, due, comment: each audited with the case's status before and after."""
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        _writer(who)
        case = _load(db, env_id, case_id)
        before, detail = case.status, None
        if what == "assign":
            email = who.user.email if form.get("to") == "me" else form.get("assignee", "")
            cases.assign(db, case, email, who.user.id)
            detail = email
        elif what == "status":
            cases.set_status(db, case, form.get("status", ""), who.user.id)
        elif what == "due":
            due = cases.due_at(form.get("due", ""))
            cases.update(db, case, fields=None, sla=(True, due), actor=who.user.id)
            detail = due.isoformat() if due else "cleared"
        elif what == "comment":
            cases.add_comment(db, case, form.get("comment", ""), who.user.id)
        else:
            raise not_found("case action", what)
        service.audit(db, who, env_id, f"case.{what}", case.id, before, case.status, detail)
        return pages.to(f"{LIST}/{case.id}")

    return await pages.action(request, run)
