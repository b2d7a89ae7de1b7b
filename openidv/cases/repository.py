"""SQL for cases, their templates, objects and comments. A case only references what it holds, so the objects'
own tables are read here for one thing: that an id names an object of the case's environment."""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, not_, or_, select
from sqlalchemy.orm import Session

from openidv.kit.jsonapi import Page
from openidv.kit.paging import PageResult, paged
from openidv.models import Account, Case, CaseComment, CaseObject, CaseTemplate, Inquiry, Report, User, Verification

ASSIGNABLE_ROLES = ("admin", "reviewer")


def get(session: Session, environment_id: str, case_id: str) -> Case | None:
    case = session.get(Case, case_id)
    return case if case is not None and case.environment_id == environment_id else None


def template(session: Session, environment_id: str, template_id: str) -> CaseTemplate | None:
    found = session.get(CaseTemplate, template_id)
    return found if found is not None and found.environment_id == environment_id else None


def template_by_name(session: Session, environment_id: str, name: str) -> CaseTemplate | None:
    return session.scalar(select(CaseTemplate).where(CaseTemplate.environment_id == environment_id, CaseTemplate.name == name))


def templates(session: Session, environment_id: str) -> list[CaseTemplate]:
    return list(session.scalars(select(CaseTemplate).where(CaseTemplate.environment_id == environment_id).order_by(CaseTemplate.created_at)))


def count(session: Session, environment_id: str) -> int:
    return session.scalar(select(func.count()).select_from(Case).where(Case.environment_id == environment_id)) or 0


def objects_of(session: Session, case_id: str) -> list[CaseObject]:
    return list(session.scalars(select(CaseObject).where(CaseObject.case_id == case_id).order_by(CaseObject.created_at, CaseObject.object_id)))


def remove_objects(session: Session, case_id: str, object_ids: list[str]) -> None:
    session.execute(delete(CaseObject).where(CaseObject.case_id == case_id, CaseObject.object_id.in_(object_ids)))


def comments_of(session: Session, case_id: str) -> list[CaseComment]:
    return list(session.scalars(select(CaseComment).where(CaseComment.case_id == case_id).order_by(CaseComment.created_at, CaseComment.id)))


def comment(session: Session, environment_id: str, comment_id: str) -> CaseComment | None:
    found = session.get(CaseComment, comment_id)
    return found if found is not None and get(session, environment_id, found.case_id) is not None else None


def delete_comments(session: Session, case_id: str) -> None:
    session.execute(delete(CaseComment).where(CaseComment.case_id == case_id))


def object_type(session: Session, environment_id: str, object_id: str) -> str | None:
    """The JSON:API type of the inquiry, account, report or verification `object_id` names in the environment."""
    model: Any = {"inq": Inquiry, "act": Account, "rep": Report, "ver": Verification}.get(object_id.split("_", 1)[0])
    found = session.get(model, object_id) if model is not None else None
    if found is None or found.environment_id != environment_id:
        return None
    if isinstance(found, Report):
        return f"report/{found.kind}"
    if isinstance(found, Verification):
        return f"verification/{found.kind}"
    return "inquiry" if isinstance(found, Inquiry) else "account"


def cases_holding(session: Session, environment_id: str, object_id: str) -> list[Case]:
    held = select(CaseObject.case_id).where(CaseObject.object_id == object_id)
    return list(session.scalars(select(Case).where(Case.environment_id == environment_id, Case.id.in_(held)).order_by(Case.created_at.desc())))


def _holding(object_ids: Any) -> ColumnElement[bool]:
    return Case.id.in_(select(CaseObject.case_id).where(CaseObject.object_id.in_(object_ids)))


def list_page(session: Session, environment_id: str, page: Page, filters: dict[str, str]) -> PageResult[Case]:
    """`filter[status|case-template-id|account-id|inquiry-id|report-id|reference-id]`, each an exact match."""
    query = select(Case).where(Case.environment_id == environment_id)
    if "status" in filters:
        query = query.where(func.lower(Case.status) == filters["status"].lower())
    if "case-template-id" in filters:
        query = query.where(Case.case_template_id == filters["case-template-id"])
    for key in ("account-id", "inquiry-id", "report-id"):
        if key in filters:
            query = query.where(_holding([filters[key]]))
    if "reference-id" in filters:
        accounts = select(Account.id).where(Account.environment_id == environment_id, Account.reference_id == filters["reference-id"])
        inquiries = select(Inquiry.id).where(Inquiry.environment_id == environment_id, Inquiry.reference_id == filters["reference-id"])
        query = query.where(or_(_holding(accounts), _holding(inquiries)))
    return paged(session, query, Case, page)


# Search: what each searchable attribute is in the table (Persona's names, COMPAT §Cases search).
SEARCHABLE: dict[str, Any] = {
    "template": Case.case_template_id,
    "status": Case.status,
    "state": Case.status,
    "created_at": Case.created_at,
    "updated_at": Case.updated_at,
    "resolved_at": Case.resolved_at,
    "sla_expires_at": Case.sla_expires_at,
    "assignee": Case.assignee_id,
    "resolver": Case.resolver_id,
}
_COMPARE = {"eq": lambda c, v: c == v, "gt": lambda c, v: c > v, "gte": lambda c, v: c >= v, "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v}


def _condition(node: tuple[Any, ...]) -> ColumnElement[bool]:
    kind = node[0]
    if kind == "and":
        return and_(*(_condition(child) for child in node[1]))
    if kind == "or":
        return or_(*(_condition(child) for child in node[1]))
    if kind == "not":
        return not_(_condition(node[1]))
    _, attribute, operator, value = node
    column = SEARCHABLE[attribute]
    if attribute in ("status", "state") and operator == "eq":
        return func.lower(column) == str(value).lower()
    return _COMPARE[operator](column, value)


def search_page(session: Session, environment_id: str, page: Page, query: tuple[Any, ...] | None) -> PageResult[Case]:
    """`query` is the service's checked tree: ("and"|"or", [nodes]), ("not", node) or ("pred", attribute, operator, value)."""
    statement = select(Case).where(Case.environment_id == environment_id)
    if query is not None:
        statement = statement.where(_condition(query))
    return paged(session, statement, Case, page)


def past_due(session: Session, at: datetime, limit: int) -> list[Case]:
    """Open or Pending cases whose due time passed and that were not told so yet (oldest due first)."""
    query = select(Case).where(Case.status.in_(("Open", "Pending")), Case.sla_expires_at <= at, Case.sla_expired_at.is_(None))
    return list(session.scalars(query.order_by(Case.sla_expires_at).limit(limit)))


def queue_page(session: Session, environment_id: str, page: Page, *, statuses: tuple[str, ...], assignee: str | None) -> PageResult[Case]:
    """The dashboard's queue: cases in `statuses`, assigned to `assignee` ("" = nobody, None = anyone), newest first."""
    query = select(Case).where(Case.environment_id == environment_id, Case.status.in_(statuses))
    if assignee == "":
        query = query.where(Case.assignee_id.is_(None))
    elif assignee is not None:
        query = query.where(Case.assignee_id == assignee)
    return paged(session, query, Case, page)


def object_counts(session: Session, case_ids: list[str]) -> dict[str, int]:
    rows = session.execute(select(CaseObject.case_id, func.count()).where(CaseObject.case_id.in_(case_ids)).group_by(CaseObject.case_id))
    return {case_id: number for case_id, number in rows}


def assignable_users(session: Session) -> list[User]:
    """Who a case can be assigned to: enabled reviewers and admins."""
    query = select(User).where(User.role.in_(ASSIGNABLE_ROLES), User.disabled_at.is_(None)).order_by(User.email)
    return list(session.scalars(query))
