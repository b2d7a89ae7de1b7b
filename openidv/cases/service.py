"""Case rules: templates, creation (by the API, a reviewer or a workflow run), assignment, status, the objects a
case holds, tags, comments, search and redaction. Every status change and event goes through the case machine
(`openidv.lifecycle.machines.CASE`)."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.api import idempotency
from openidv.auth import repository as users
from openidv.cases import repository
from openidv.events import service as events
from openidv.jobs import every, session as job_session
from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.kit.ids import new_id
from openidv.lifecycle.machines import CaseStatus
from openidv.models import Case, CaseComment, CaseObject, CaseTemplate
from openidv.tags import service as tag_names

DEFAULT_TEMPLATE = "Manual review"
DEFAULT_RESOLUTIONS = [CaseStatus.APPROVED.value, CaseStatus.DECLINED.value]
MAX_SLA_SECONDS = 90 * 24 * 3600  # Persona: at most 90 days
MAX_COMMENT = 10_000
# The actor's id prefix -> Persona's `*-type` (creator, assigner, resolver, updater, commenter).
_ACTOR_TYPES = {"user": "user", "wfr": "workflow-run", "wfl": "workflow", "api": "api-key"}
# Which machine action reaches each status from where (`None`: from any status that allows the action).
_TO_STATUS = {"open": ("set_open", "reopen"), "pending": ("set_pending",), "approved": ("approve",), "declined": ("decline",)}
_FAMILIES = ("inquiry", "account", "report", "verification")


def actor_type(actor: str | None) -> str | None:
    if not actor:
        return None
    return _ACTOR_TYPES.get(actor.split("_", 1)[0], "workflow-run" if actor.startswith("workflow") else "system")


def _touch(case: Case, actor: str | None) -> None:
    case.updater_id, case.updater_type = actor, actor_type(actor)


# ------------------------------------------------------------------ templates


def create_template(session: Session, environment_id: str, name: str, resolutions: list[str] | None = None) -> CaseTemplate:
    stamp = now()
    template = CaseTemplate(id=new_id("ctmpl"), environment_id=environment_id, name=name, status="active",
                            resolutions=resolutions or list(DEFAULT_RESOLUTIONS), created_at=stamp, updated_at=stamp)
    session.add(template)
    session.flush()
    return template


def ensure_default_templates(session: Session, environment_id: str) -> list[CaseTemplate]:
    """`openidv setup`: each environment has a template for manual review (what the starter workflows open)."""
    return [repository.template_by_name(session, environment_id, DEFAULT_TEMPLATE) or create_template(session, environment_id, DEFAULT_TEMPLATE)]


# ------------------------------------------------------------------ cases


def _object_types(session: Session, environment_id: str, object_ids: list[str], where: str) -> list[tuple[str, str]]:
    found = []
    for object_id in object_ids:
        kind = repository.object_type(session, environment_id, object_id) if isinstance(object_id, str) else None
        if kind is None:
            raise ApiError(404, f"{where}: no inquiry, account, report or verification {object_id} in this environment", title="Record not found")
        found.append((kind, object_id))
    return found


def _attach(session: Session, case: Case, objects: list[tuple[str, str]]) -> None:
    held = {item.object_id for item in repository.objects_of(session, case.id)}
    for kind, object_id in objects:
        if object_id not in held:
            session.add(CaseObject(case_id=case.id, object_id=object_id, object_type=kind, created_at=now()))
            held.add(object_id)
    session.flush()


def sla_expiry(seconds: Any, where: str) -> datetime | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds <= MAX_SLA_SECONDS:
        raise bad_request(f"{where} must be a number of seconds between 1 and {MAX_SLA_SECONDS} (90 days)")
    return now() + timedelta(seconds=float(seconds))


def create_case(
    session: Session,
    environment_id: str,
    *,
    objects: list[tuple[str, str]],
    actor: str | None,
    case_template_id: str | None = None,
    name: str | None = None,
    comment: str | None = None,
    fields: dict[str, Any] | None = None,
    sla_expires_at: datetime | None = None,
    creator: tuple[str, str] | None = None,
) -> Case:
    """An Open case holding `objects` ((JSON:API type or "" for any, id) pairs: inquiries, accounts, reports, verifications),
    under `case_template_id` or the environment's default template; `case.created` records it. The workflow
    action "create a case" calls this with its run as the actor. `creator` overrides (id, type) when a user is named."""
    if case_template_id is None:
        template = ensure_default_templates(session, environment_id)[0]
    else:
        found = repository.template(session, environment_id, case_template_id)
        if found is None:
            raise not_found("case template", case_template_id)
        template = found
    checked = _object_types(session, environment_id, [object_id for _, object_id in objects], "objects")
    for (given, object_id), (kind, _) in zip(objects, checked, strict=True):
        if given and given.split("/")[0] != kind.split("/")[0]:
            raise bad_request(f"objects: {object_id} is a {kind}, not a {given}")
    stamp = now()
    creator_id, creator_type = creator or (actor, actor_type(actor))
    case = Case(
        id=new_id("case"), environment_id=environment_id, case_template_id=template.id,
        name=name or f"CASE-{repository.count(session, environment_id) + 1}", tags=[],
        creator_id=creator_id, creator_type=creator_type, updater_id=creator_id, updater_type=creator_type,
        sla_expires_at=sla_expires_at, created_at=stamp, updated_at=stamp,
    )
    case.fields = fields or {}
    # Pending with the case, so that case.created's snapshot holds them (the flush inserts the case first).
    session.add_all(CaseObject(case_id=case.id, object_id=object_id, object_type=kind, created_at=stamp) for kind, object_id in dict.fromkeys(checked))
    if comment:
        session.add(_new_comment(case.id, comment, actor))
    lifecycle.create(session, case, actor=actor)
    return case


def update(session: Session, case: Case, *, fields: dict[str, Any] | None, sla: tuple[bool, datetime | None], actor: str | None) -> None:
    """PATCH: fields are merged (`case.updated-fields`); `sla` is (given, new expiry or None to clear)."""
    _touch(case, actor)
    given, expiry = sla
    if given:
        case.sla_expires_at = expiry
        case.sla_expired_at = None  # a new due time can expire again
    if fields is not None:
        case.fields = {**case.fields, **fields}
        lifecycle.transition(session, case, "update_fields", actor=actor)
    else:
        lifecycle.transition(session, case, "update", actor=actor)


def assign(session: Session, case: Case, email: str, actor: str | None) -> None:
    """Assign to a dashboard user (reviewer or admin) by e-mail, as Persona does (`case.assigned`)."""
    user = users.user_by_email(session, email.strip().lower())
    if user is None or user.disabled_at is not None:
        raise ApiError(422, f"No active dashboard user has the e-mail address {email}", title="Record invalid")
    if user.role not in repository.ASSIGNABLE_ROLES:
        raise ApiError(422, f"{email} is a {user.role} and cannot be assigned cases", title="Record invalid")
    case.assignee_id = user.email
    case.assigner_id, case.assigner_type = actor, actor_type(actor)
    _touch(case, actor)
    lifecycle.transition(session, case, "assign", actor=actor)


def set_status(session: Session, case: Case, status: str, actor: str | None) -> None:
    """Open, Pending, or one of the template's resolutions (Approved, Declined); any spelling of case."""
    wanted = status.strip().lower() if isinstance(status, str) else ""
    actions = _TO_STATUS.get(wanted)
    if actions is None:
        raise ApiError(422, f"meta.status must be one of {', '.join(CaseStatus)}", title="Record invalid")
    template = session.get(CaseTemplate, case.case_template_id)
    resolving = wanted in ("approved", "declined")
    if resolving and template is not None and wanted not in {r.lower() for r in template.resolutions}:
        raise ApiError(422, f"{status} is not a resolution of case template {template.id}", title="Record invalid")
    action = next((a for a in actions if lifecycle.transition_allowed(case, a)), actions[0])
    _touch(case, actor)
    if resolving:
        case.resolution = CaseStatus(wanted.capitalize()).value
        case.resolver_id, case.resolver_type = actor, actor_type(actor)
    elif action == "reopen":
        case.resolution = case.resolver_id = case.resolver_type = None
    lifecycle.transition(session, case, action, actor=actor)  # 409 if the case is already there
    if action == "reopen":
        case.resolved_at = None


def due_at(value: str) -> datetime | None:
    """A due time typed in the dashboard (`YYYY-MM-DDTHH:MM`, UTC); empty clears it. Same bounds as the API's SLA."""
    if not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise bad_request("The due time must look like 2026-12-31T17:00") from None
    at = parsed if parsed.tzinfo else parsed.replace(tzinfo=now().tzinfo)
    if not now() < at <= now() + timedelta(seconds=MAX_SLA_SECONDS):
        raise bad_request("The due time must be in the future and at most 90 days away")
    return at


def add_objects(session: Session, case: Case, object_ids: list[str], actor: str | None) -> None:
    _attach(session, case, _object_types(session, case.environment_id, object_ids, "meta.object-ids"))
    _touch(case, actor)
    lifecycle.transition(session, case, "update", actor=actor)


def remove_objects(session: Session, case: Case, object_ids: list[str], actor: str | None) -> None:
    """Removing an object the case does not hold does nothing (Persona: a no-op)."""
    repository.remove_objects(session, case.id, object_ids)
    _touch(case, actor)
    lifecycle.transition(session, case, "update", actor=actor)


def _tags(session: Session, case: Case, names: list[str], actor: str | None) -> None:
    tag_names.register(session, case.environment_id, names)
    case.tags = names
    _touch(case, actor)
    lifecycle.transition(session, case, "update_tags", actor=actor)


def add_tag(session: Session, case: Case, names: list[str], actor: str | None) -> None:
    _tags(session, case, list(case.tags) + [n for n in names if n not in case.tags], actor)


def remove_tag(session: Session, case: Case, names: list[str], actor: str | None) -> None:
    _tags(session, case, [t for t in case.tags if t not in names], actor)


def set_tags(session: Session, case: Case, names: list[str], actor: str | None) -> None:
    _tags(session, case, names, actor)


def _new_comment(case_id: str, message: str, actor: str | None) -> CaseComment:
    text = message.strip() if isinstance(message, str) else ""
    if not text or len(text) > MAX_COMMENT:
        raise bad_request(f"a comment must have between 1 and {MAX_COMMENT} characters")
    stamp = now()
    comment = CaseComment(id=new_id("cscm"), case_id=case_id, commenter_id=actor, commenter_type=actor_type(actor), created_at=stamp, updated_at=stamp)
    comment.message = text
    return comment


def add_comment(session: Session, case: Case, message: str, actor: str | None) -> CaseComment:
    if case.redacted_at is not None:
        raise ApiError(409, "Cannot comment on a redacted case", title="Conflict")
    comment = _new_comment(case.id, message, actor)
    session.add(comment)
    _touch(case, actor)
    lifecycle.transition(session, case, "update", actor=actor)
    return comment


# What a redacted case's earlier snapshots keep: everything but its fields (the business's PII).
_KEPT_ON_REDACTION = frozenset({
    "status", "name", "resolution", "tags", "attachments", "created-at", "updated-at", "assigned-at", "resolved-at", "redacted-at",
    "sla-expires-at", *(f"{who}-{part}" for who in ("creator", "assignee", "assigner", "resolver", "updater") for part in ("id", "type")),
})


def redact(session: Session, case: Case, actor: str | None) -> None:
    """Remove the case's PII for good: its fields and comments, in the case and in every earlier event snapshot
    and stored idempotent answer; the case stays, with its objects and status (`case.redacted`)."""
    if case.redacted_at is not None:
        raise ApiError(409, "Case already redacted", title="Conflict")
    case.fields = {}
    repository.delete_comments(session, case.id)
    events.scrub_object(session, case.id, keep=_KEPT_ON_REDACTION)
    idempotency.forget(session, [case.id])
    _touch(case, actor)
    lifecycle.transition(session, case, "redact", actor=actor)


SLA_SWEEP_SECONDS = 60
SLA_BATCH = 200


@every(SLA_SWEEP_SECONDS, "cases.expire-sla")
def expire_sla() -> int:
    """Every Open or Pending case whose due time passed gets `case.sla-expired`, once per due time."""
    count = 0
    while True:
        with job_session() as db:
            due = repository.past_due(db, now(), limit=SLA_BATCH)
            for case in due:
                lifecycle.transition(db, case, "expire_sla", actor="system")
            count += len(due)
        if len(due) < SLA_BATCH:
            return count


# ------------------------------------------------------------------ search

_OPERATORS = ("eq", "gt", "gte", "lt", "lte")
_MAX_DEPTH, _MAX_CLAUSES = 2, 20


def _value(attribute: str, value: Any, where: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad_request(f"{where}.value must be a string, number or boolean")
    if attribute.endswith("_at"):
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"{where}.value must be an ISO 8601 time for {attribute}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=now().tzinfo)
    return str(value)


def parse_query(node: Any, where: str = "query", depth: int = 0) -> tuple[Any, ...]:
    """Persona's search query (and / or / not over attribute predicates) as the tree `repository.search_page` reads.
    Custom fields (`fields.*`) are searchable only when a template marks them so, and no openidv template does."""
    if not isinstance(node, dict):
        raise bad_request(f"{where} must be an object")
    for clause in ("and", "or"):
        if clause in node:
            items = node[clause]
            if len(node) != 1 or not isinstance(items, list) or not 1 <= len(items) <= _MAX_CLAUSES:
                raise bad_request(f"{where}.{clause} must be the only key, with 1 to {_MAX_CLAUSES} conditions")
            if depth >= _MAX_DEPTH:
                raise bad_request(f"{where}: queries nest at most {_MAX_DEPTH} levels")
            return (clause, [parse_query(item, f"{where}.{clause}[{n}]", depth + 1) for n, item in enumerate(items)])
    if "not" in node:
        if len(node) != 1 or depth >= _MAX_DEPTH:
            raise bad_request(f"{where}.not must be the only key, at most {_MAX_DEPTH} levels deep")
        return ("not", parse_query(node["not"], f"{where}.not", depth + 1))
    attribute, operator = node.get("attribute"), node.get("operator")
    if set(node) != {"attribute", "operator", "value"}:
        raise bad_request(f"{where} must be and, or, not, or a predicate with attribute, operator and value")
    if not isinstance(attribute, str) or attribute not in repository.SEARCHABLE:
        raise bad_request(f"{where}.attribute must be one of {', '.join(repository.SEARCHABLE)}")
    if operator not in _OPERATORS:
        raise bad_request(f"{where}.operator must be one of {', '.join(_OPERATORS)}")
    return ("pred", attribute, operator, _value(attribute, node["value"], where))


def check_sort(sort: Any) -> None:
    """Results come newest first (the cursor order); that is the one sort offered."""
    if sort is None:
        return
    if not isinstance(sort, dict) or sort.get("attribute") != "created_at" or sort.get("direction", "desc") != "desc":
        raise bad_request("sort: only {\"attribute\": \"created_at\", \"direction\": \"desc\"} is supported")


def holding(session: Session, environment_id: str, object_id: str) -> list[Case]:
    """The cases that hold an object (the dashboard's inquiry page lists them)."""
    return repository.cases_holding(session, environment_id, object_id)


def families() -> tuple[str, ...]:
    return _FAMILIES
