"""HTTP for the user audit log (Persona's `/user-audit-logs`, permission `user_audit_log.read`): the dashboard
actions of the key's environment, newest first. The users are included by default (`include=` leaves them out)."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import bad_request, not_found
from openidv.kit.jsonapi import list_body, list_links, page_params
from openidv.user_audit_logs import repository, schemas

router = APIRouter()
read = Permission("user_audit_log.read")
PATH = "/api/v1/user-audit-logs"


def _with_users(ctx: ApiContext, *, default: bool) -> bool:
    paths = ctx.include
    if paths is None:
        return default
    unknown = [p for p in paths if p != "user"]
    if unknown:
        raise bad_request(f"cannot include {', '.join(unknown)}")
    return bool(paths)


@router.get("/user-audit-logs")
def list_user_audit_logs(ctx: ApiContext = Depends(read)) -> Response:
    with_users = _with_users(ctx, default=True)
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query))
    items = [schemas.render_user_audit_log(row) for row in result.items]
    first, last = (items[0]["id"], items[-1]["id"]) if items else (None, None)
    document = list_body(items, list_links(PATH, ctx.query, first, last, result.has_prev, result.has_next))
    if with_users:
        document["included"] = schemas.render_users(result.items)
    return ctx.respond(document)


@router.get("/user-audit-logs/{user_audit_log_id}")
def retrieve_user_audit_log(user_audit_log_id: str, ctx: ApiContext = Depends(read)) -> Response:
    with_users = _with_users(ctx, default=False)
    log = repository.get(ctx.db, ctx.environment_id, user_audit_log_id)
    if log is None:
        raise not_found("user audit log", user_audit_log_id)
    document: dict[str, Any] = {"data": schemas.render_user_audit_log(log)}
    if with_users:
        document["included"] = schemas.render_users([log])
    return ctx.respond(document)
