"""HTTP for inquiry sessions (COMPAT.md §5)."""

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.inquiries import repository as inquiry_repository, service as inquiries
from openidv.inquiries.endpoints import secrets_of
from openidv.inquiry_sessions import repository, schemas, service
from openidv.kit.errors import bad_request, not_found, unprocessable
from openidv.kit.jsonapi import MAX_SECONDS, Body, comma_list, filters, get_int, get_str, page_params
from openidv.lifecycle import SessionStatus
from openidv.models import InquirySession

router = APIRouter()
read = Permission("inquiry.read")
write = Permission("inquiry.write")


def _load(ctx: ApiContext, session_id: str) -> InquirySession:
    row = repository.get(ctx.db, ctx.environment_id, session_id)
    if row is None:
        raise not_found("inquiry session", session_id)
    return row


def _document(ctx: ApiContext, row: InquirySession, status: int = 200, **extra: Any) -> Response:
    body = included.document(ctx.db, ctx.environment_id, schemas.render_session(row), ctx.include, permissions=ctx.api_key.permissions, **extra)
    return ctx.respond(body, status)


@router.get("/inquiry-sessions")
def list_inquiry_sessions(ctx: ApiContext = Depends(read)) -> Response:
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), comma_list(filters(ctx.query).get("inquiry-id")))
    return ctx.respond_page("/api/v1/inquiry-sessions", result, schemas.render_session)


@router.post("/inquiry-sessions", status_code=201)
def create_inquiry_session(ctx: ApiContext = Depends(write)) -> Response:
    inquiry_id = get_str(Body.of(ctx.body).attributes, "inquiry-id", "data.attributes", required=True) or ""  # required: never None
    inquiry = inquiries.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    row = service.create_session(ctx.db, inquiry, actor=ctx.actor)
    # Persona's spec allows no `meta` here; a session token comes from inquiry create or resume.
    return _document(ctx, row, 201)


@router.get("/inquiry-sessions/{session_id}")
def retrieve_inquiry_session(session_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _document(ctx, _load(ctx, session_id))


@router.post("/inquiry-sessions/{session_id}/expire")
def expire_inquiry_session(session_id: str, ctx: ApiContext = Depends(write)) -> Response:
    row = _load(ctx, session_id)
    service.expire_session(ctx.db, row, actor=ctx.actor)
    return _document(ctx, row)


@router.post("/inquiry-sessions/expire-all")
def expire_inquiry_sessions(ctx: ApiContext = Depends(write)) -> Response:
    ids = Body.of(ctx.body).meta.get("inquiry-ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request("meta.inquiry-ids must be a non-empty array of inquiry ids")
    expired = []
    for index, inquiry_id in enumerate(ids):
        inquiry = inquiry_repository.get(ctx.db, ctx.environment_id, inquiry_id)
        if inquiry is None:  # an id in the body, not the URL: 422 (Persona's spec lists no 404 here)
            raise unprocessable(f"meta.inquiry-ids[{index}] is not an inquiry of this environment", pointer=f"/meta/inquiry-ids/{index}")
        for row in repository.of_inquiry(ctx.db, inquiry.id):
            if row.status != SessionStatus.EXPIRED:
                service.expire_session(ctx.db, row, actor=ctx.actor)
                expired.append(row)
    return ctx.respond({"data": [schemas.render_session(row) for row in expired]})


@router.post("/inquiry-sessions/{session_id}/generate-one-time-link")
def generate_session_one_time_link(session_id: str, ctx: ApiContext = Depends(write)) -> Response:
    row = _load(ctx, session_id)
    inquiry = inquiries.load(ctx.db, ctx.environment_id, row.inquiry_id, for_update=True)
    seconds = get_int(Body.of(ctx.body).meta, "expires-in-seconds", "meta", maximum=MAX_SECONDS)
    link, short = service.create_one_time_link(ctx.db, secrets_of(ctx), inquiry, seconds, actor=ctx.actor)
    return _document(ctx, row, meta={"one-time-link": link, "one-time-link-short": short})



def load_included(db: Session, environment_id: str, session_id: str) -> dict[str, Any] | None:
    row = repository.get(db, environment_id, session_id)
    return schemas.render_session(row) if row else None
