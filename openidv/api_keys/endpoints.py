"""HTTP for API keys (Persona's `/api-keys`): `api_key.read` lists and retrieves, `api_key.write` creates,
updates, expires and clones. The secret is in the answer of create and clone only."""

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext, Permission
from openidv.api_keys import repository, schemas, service
from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import MAX_SECONDS, Body, filters, get_int, get_str, page_params

router = APIRouter()
read = Permission("api_key.read")
write = Permission("api_key.write")
PATH = "/api/v1/api-keys"


@router.get("/api-keys")
def list_api_keys(ctx: ApiContext = Depends(read)) -> Response:
    name = get_str(filters(ctx.query), "name", "filter", max_length=200)
    result = repository.list_page(ctx.db, ctx.environment_id, page_params(ctx.query), name=name)
    return ctx.respond_page(PATH, result, schemas.render_api_key)


@router.post("/api-keys", status_code=201)
def create_api_key(ctx: ApiContext = Depends(write)) -> Response:
    made = service.create(ctx.db, ctx.environment_id, Body.of(ctx.body).attributes, ctx.api_key)
    return ctx.respond({"data": schemas.render_api_key(made.key, value=made.secret)}, 201)


@router.get("/api-keys/{api_key_id}")
def retrieve_api_key(api_key_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return ctx.respond({"data": schemas.render_api_key(service.load(ctx.db, ctx.environment_id, api_key_id))})


@router.patch("/api-keys/{api_key_id}")
def update_api_key(api_key_id: str, ctx: ApiContext = Depends(write)) -> Response:
    key = service.load(ctx.db, ctx.environment_id, api_key_id)
    service.update(ctx.db, key, Body.of(ctx.body).attributes, ctx.api_key)
    return ctx.respond({"data": schemas.render_api_key(key)})


@router.post("/api-keys/{api_key_id}/expire")
def expire_api_key(api_key_id: str, ctx: ApiContext = Depends(write)) -> Response:
    key = service.load(ctx.db, ctx.environment_id, api_key_id)
    seconds = get_int(Body.of(ctx.body).meta, "expires-in-seconds", "meta", minimum=0, maximum=MAX_SECONDS)
    if seconds is None:
        raise bad_request("meta.expires-in-seconds is missing")
    service.expire(ctx.db, key, seconds)
    return ctx.respond({"data": schemas.render_api_key(key)})


@router.post("/api-keys/{api_key_id}/clone")
def clone_api_key(api_key_id: str, ctx: ApiContext = Depends(write)) -> Response:
    made = service.clone(ctx.db, service.load(ctx.db, ctx.environment_id, api_key_id))
    return ctx.respond({"data": schemas.render_api_key(made.key, value=made.secret)})
