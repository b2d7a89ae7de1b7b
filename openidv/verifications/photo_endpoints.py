"""HTTP shared by the verification kinds: create and retrieve, and for the kinds that take photos
(government ID, selfie) create from JSON
(base64 photos) or multipart, retrieve, submit, and each photo behind an expiring signed URL
(`?access_token=`, no API key). A kind module gives `KIND`, `create(db, environment_id, attrs,
actor)` and `submit(db, verification, actor)`; the rules stay there."""

from collections.abc import Callable
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.checks import quality
from openidv.kit import file_links, storage
from openidv.kit.errors import ApiError, not_found
from openidv.kit.jsonapi import Body
from openidv.models import Verification
from openidv.verifications import repository, schemas, service as verifications

read = Permission("verification.read")
write = Permission("verification.write")


def answer(ctx: ApiContext, verification: Verification, status: int = 200) -> Response:
    data = schemas.render_verification(ctx.db, verification)
    return ctx.respond(included.document(ctx.db, ctx.environment_id, data, ctx.include, permissions=ctx.api_key.permissions), status)


async def multipart(request: Request) -> dict[str, Any] | None:
    """Multipart bodies: fields named like the JSON attributes, photos as file parts; a name given
    more than once (a burst of frames) becomes a list."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return None
    form = await request.form()
    attrs: dict[str, Any] = {}
    for key, value in form.multi_items():
        name = key.removeprefix("data[attributes][").rstrip("]")
        item = await value.read(quality.MAX_BYTES + 1) if hasattr(value, "read") else value
        if name in attrs:
            previous = attrs[name]
            attrs[name] = [*previous, item] if isinstance(previous, list) else [previous, item]
        else:
            attrs[name] = item
    return attrs


def serve_photo(request: Request, verification_id: str, side: str, access_token: str, sides: tuple[str, ...]) -> Response:
    """One sealed photo (`<ver>-<side>` in the file store) behind its signed link, no API key: the link is
    bound to the verification's environment."""
    with request.app.state.reader() as db:
        found = db.get(Verification, verification_id)
        environment_id = found.environment_id if found is not None else None
    if side not in sides or environment_id is None or not file_links.verify(verification_id, side, access_token, environment_id):
        raise ApiError(401, "The link is invalid or has expired", title="Unauthorized")
    data = storage.get(file_links.Files.store, f"{verification_id}-{side}")
    if data is None:
        raise not_found("file")
    return Response(data, media_type=quality.sniff(data) or "application/octet-stream",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def create(module: ModuleType) -> Callable[..., Response]:
    """`POST /verification/<plural>` from a JSON body: the kind module's `create(db, environment_id, attrs, actor)`."""

    def endpoint(ctx: ApiContext = Depends(write)) -> Response:
        return answer(ctx, module.create(ctx.db, ctx.environment_id, Body.of(ctx.body).attributes, ctx.actor), 201)

    return endpoint


def retrieve(kind: str) -> Callable[..., Response]:
    """`GET /verification/<plural>/{id}`: only a verification of that kind."""

    def endpoint(verification_id: str, ctx: ApiContext = Depends(read)) -> Response:
        verification = repository.get(ctx.db, ctx.environment_id, verification_id)
        if verification is None or verification.kind != kind:
            raise not_found(f"verification/{kind}", verification_id)
        return answer(ctx, verification)

    return endpoint


def add_routes(router: APIRouter, plural: str, module: ModuleType, sides: tuple[str, ...]) -> None:
    """`POST /verification/<plural>` (JSON or multipart), `GET …/{id}`, `POST …/{id}/submit`, `GET …/{id}/<side>-photo`."""
    kind = module.KIND
    name = kind.replace("-", "_")

    async def create_with_photos(request: Request, ctx: ApiContext = Depends(write)) -> Response:
        attrs = await multipart(request)
        if attrs is None:
            attrs = Body.of(ctx.body).attributes
        return answer(ctx, module.create(ctx.db, ctx.environment_id, attrs, ctx.actor), 201)

    def submit(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = verifications.load(ctx.db, ctx.environment_id, verification_id, kind)
        module.submit(ctx.db, verification, ctx.actor)
        return answer(ctx, verification)

    def photo(verification_id: str, side: str, request: Request, access_token: str = "") -> Response:
        return serve_photo(request, verification_id, side, access_token, sides)

    router.post(f"/verification/{plural}", status_code=201, name=f"create_{name}_verification")(create_with_photos)
    router.get(f"/verification/{plural}/{{verification_id}}", name=f"retrieve_{name}_verification")(retrieve(kind))
    router.post(f"/verification/{plural}/{{verification_id}}/submit", name=f"submit_{name}_verification")(submit)
    router.get(f"/verification/{plural}/{{verification_id}}/{{side}}-photo", name=f"{name}_photo")(photo)
