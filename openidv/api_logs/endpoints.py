"""HTTP for the API log (Persona's `/api-logs`, permission `api_log.read`): this process's kept rows are written
first, so a caller reads its own requests."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from openidv.api.context import ApiContext, Permission
from openidv.api_logs import repository, schemas, service
from openidv.kit.errors import not_found
from openidv.kit.jsonapi import filters, get_str, page_params

router = APIRouter()
read = Permission("api_log.read")
PATH = "/api/v1/api-logs"


@router.get("/api-logs")
def list_api_logs(request: Request, ctx: ApiContext = Depends(read)) -> Response:
    service.flush(request.app.state.writer)
    api_key_id = get_str(filters(ctx.query), "api-key-id", "filter", max_length=40)  # openidv extension
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), api_key_id=api_key_id)
    return ctx.respond_page(PATH, result, schemas.render_api_log)


@router.get("/api-logs/{api_log_id}")
def retrieve_api_log(api_log_id: str, request: Request, ctx: ApiContext = Depends(read)) -> Response:
    service.flush(request.app.state.writer)
    log = repository.get(ctx.db, ctx.environment_id, api_log_id)
    if log is None:
        raise not_found("api log", api_log_id)
    return ctx.respond({"data": schemas.render_api_log(log, detailed=True)})
