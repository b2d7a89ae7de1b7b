"""HTTP for inquiries (COMPAT.md §3). Rules live in `service`; this file only parses and answers."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.api.tags import tag_endpoints
from openidv.inquiries import case as cases, printing, repository, schemas, service
from openidv.inquiry_sessions import service as sessions
from openidv.inquiry_sessions.service import Secrets
from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import MAX_SECONDS, Body, comma_list, filters, get_int, page_params
from openidv.models import Inquiry

router = APIRouter()
read = Permission("inquiry.read")
write = Permission("inquiry.write")
PATH = "/api/v1/inquiries"


def secrets_of(ctx: ApiContext) -> Secrets:
    return Secrets(token_secret=ctx.settings.secrets["session_token_secret"], base_url=ctx.settings.base_url)


def _document(ctx: ApiContext, inquiry: Inquiry, status: int = 200, **extra: Any) -> Response:
    data = schemas.render_inquiry(ctx.db, inquiry)
    return ctx.respond(included.document(ctx.db, ctx.environment_id, data, ctx.include, permissions=ctx.api_key.permissions, **extra), status)


def _time(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"filter[{name}] must be an ISO 8601 timestamp") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if end and parsed.microsecond % 1000 == 0:
        parsed += timedelta(microseconds=999)  # timestamps are shown to the millisecond: an end includes its whole millisecond
    return parsed


@router.get("/inquiries")
def list_inquiries(ctx: ApiContext = Depends(read)) -> Response:
    wanted = filters(ctx.query)
    if "note" in wanted and len(wanted) > 1:
        raise bad_request("filter[note] cannot be combined with other filters")
    result = repository.list_page(
        ctx.db,
        ctx.environment_id,
        page_params(ctx.query),
        ids=comma_list(wanted.get("inquiry-id")),
        account_ids=comma_list(wanted.get("account-id")),
        template_ids=comma_list(wanted.get("inquiry-template-id")) + comma_list(wanted.get("template-id")),
        statuses=comma_list(wanted.get("status")),
        reference_id=wanted.get("reference-id"),
        note=wanted.get("note"),
        created_start=_time(wanted.get("created-at-start"), "created-at-start"),
        created_end=_time(wanted.get("created-at-end"), "created-at-end", end=True),
    )
    return ctx.respond_page(PATH, result, lambda inquiry: schemas.render_inquiry(ctx.db, inquiry))


@router.post("/inquiries", status_code=201)
def create_inquiry(ctx: ApiContext = Depends(write)) -> Response:
    body = Body.of(ctx.body)
    created = service.create(ctx.db, ctx.environment_id, body.attributes, body.meta, actor=ctx.actor, session_secrets=secrets_of(ctx))
    return _document(ctx, created.inquiry, 201, meta=created.meta)


@router.get("/inquiries/{inquiry_id}")
def retrieve_inquiry(inquiry_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _document(ctx, service.load(ctx.db, ctx.environment_id, inquiry_id))


@router.get("/inquiries/{inquiry_id}/print")
def print_inquiry(inquiry_id: str, ctx: ApiContext = Depends(read)) -> Response:
    """The case page as a PDF (a redacted inquiry prints what it keeps: statuses, check names, the timeline)."""
    case = cases.gather(ctx.db, service.load(ctx.db, ctx.environment_id, inquiry_id))
    return Response(printing.render(case), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{printing.filename(case)}"', "Cache-Control": "no-store"})


@router.patch("/inquiries/{inquiry_id}")
def update_inquiry(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    service.update(ctx.db, inquiry, Body.of(ctx.body).attributes, ctx.actor)
    return _document(ctx, inquiry)


@router.delete("/inquiries/{inquiry_id}")
def redact_inquiry(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    service.redact(ctx.db, inquiry, ctx.actor)
    return _document(ctx, inquiry)


def _decision(action: str) -> Callable[..., Response]:
    def endpoint(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
        inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
        service.decide(ctx.db, inquiry, action, Body.of(ctx.body).meta, reviewer=None, actor=ctx.actor)
        return _document(ctx, inquiry)

    endpoint.__name__ = f"{action}_inquiry"
    return endpoint


router.post("/inquiries/{inquiry_id}/approve")(_decision("approve"))
router.post("/inquiries/{inquiry_id}/decline")(_decision("decline"))
router.post("/inquiries/{inquiry_id}/mark-for-review")(_decision("mark_for_review"))


@router.post("/inquiries/{inquiry_id}/expire")
def expire_inquiry(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    service.expire(ctx.db, inquiry, ctx.actor)
    return _document(ctx, inquiry)


@router.post("/inquiries/{inquiry_id}/resume")
def resume_inquiry(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    token = service.resume(ctx.db, inquiry, secrets_of(ctx), ctx.actor)
    return _document(ctx, inquiry, meta={"session-token": token})


@router.post("/inquiries/{inquiry_id}/generate-one-time-link")
def generate_one_time_link(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    seconds = get_int(Body.of(ctx.body).meta, "expires-in-seconds", "meta", maximum=MAX_SECONDS)
    link, short = sessions.create_one_time_link(ctx.db, secrets_of(ctx), inquiry, seconds, actor=ctx.actor)
    return _document(ctx, inquiry, meta={"one-time-link": link, "one-time-link-short": short})


tag_endpoints(router, "/inquiries/{inquiry_id}", write=write,
              load=lambda ctx, inquiry_id: service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True),
              answer=_document, add=service.add_tags, remove=service.remove_tags, replace=service.set_tags)


@router.post("/inquiries/{inquiry_id}/perform-simulate-actions")
def perform_simulate_actions(inquiry_id: str, ctx: ApiContext = Depends(write)) -> Response:
    inquiry = service.load(ctx.db, ctx.environment_id, inquiry_id, for_update=True)
    service.simulate(ctx.db, inquiry, Body.of(ctx.body).meta, sandbox=ctx.environment.is_sandbox, actor=ctx.actor)
    return _document(ctx, inquiry)


def load_included(db: Session, environment_id: str, inquiry_id: str) -> dict[str, Any] | None:
    inquiry = repository.get(db, environment_id, inquiry_id)
    return schemas.render_inquiry(db, inquiry) if inquiry else None

