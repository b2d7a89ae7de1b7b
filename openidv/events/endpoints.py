"""HTTP for the Events API."""

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext, Permission
from openidv.events import repository, schemas
from openidv.kit.errors import not_found
from openidv.kit.jsonapi import comma_list, filters, page_params

router = APIRouter()
read = Permission("event.read")


@router.get("/events")
def list_events(ctx: ApiContext = Depends(read)) -> Response:
    wanted = filters(ctx.query)
    result = repository.list_page(
        ctx.db, ctx.environment_id, page_params(ctx.query),
        names=comma_list(wanted.get("name")), object_ids=comma_list(wanted.get("object-id")), ids=comma_list(wanted.get("id")),
    )
    return ctx.respond_page("/api/v1/events", result, lambda e: schemas.render_event(e, ctx.version))


@router.get("/events/{event_id}")
def retrieve_event(event_id: str, ctx: ApiContext = Depends(read)) -> Response:
    event = repository.get(ctx.db, ctx.environment_id, event_id)
    if event is None:
        raise not_found("event", event_id)
    return ctx.respond({"data": schemas.render_event(event, ctx.version)})
