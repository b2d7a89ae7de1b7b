"""HTTP for government-ID verifications: create (JSON with base64 photos, or multipart), retrieve,
submit, and the photos behind expiring signed URLs (`?access_token=`, no API key)."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.checks import quality
from openidv.kit import storage
from openidv.kit.errors import ApiError, not_found
from openidv.kit.jsonapi import Body
from openidv.verifications import government_ids, repository, schemas, steps

router = APIRouter()
read = Permission("verification.read")
write = Permission("verification.write")


def _answer(ctx: ApiContext, verification: Any, status: int = 200) -> Response:
    data = schemas.render_verification(ctx.db, verification)
    return ctx.respond(included.document(ctx.db, ctx.environment_id, data, ctx.include), status)


async def _multipart(request: Request) -> dict[str, Any] | None:
    """Multipart bodies: fields named like the JSON attributes, photos as file parts."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return None
    form = await request.form()
    attrs: dict[str, Any] = {}
    for key, value in form.multi_items():
        name = key.removeprefix("data[attributes][").rstrip("]")
        if hasattr(value, "read"):
            attrs[name] = await value.read(quality.MAX_BYTES + 1)
        else:
            attrs[name] = value
    return attrs


@router.post("/verification/government-ids", status_code=201, name="create_government_id_verification")
async def create_government_id_verification(request: Request, ctx: ApiContext = Depends(write)) -> Response:
    attrs = await _multipart(request)
    if attrs is None:
        attrs = Body.of(ctx.body).attributes
    verification = government_ids.create(ctx.db, ctx.environment_id, attrs, ctx.actor)
    return _answer(ctx, verification, 201)


@router.get("/verification/government-ids/{verification_id}", name="retrieve_government_id_verification")
def retrieve_government_id_verification(verification_id: str, ctx: ApiContext = Depends(read)) -> Response:
    verification = repository.get(ctx.db, ctx.environment_id, verification_id)
    if verification is None or verification.kind != government_ids.KIND:
        raise not_found("verification/government-id", verification_id)
    return _answer(ctx, verification)


@router.post("/verification/government-ids/{verification_id}/submit", name="submit_government_id_verification")
def submit_government_id_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = steps.load(ctx.db, ctx.environment_id, verification_id, government_ids.KIND)
    government_ids.submit(ctx.db, verification, ctx.actor)
    return _answer(ctx, verification)


@router.get("/verification/government-ids/{verification_id}/{side}-photo", name="government_id_photo")
def government_id_photo(verification_id: str, side: str, request: Request, access_token: str = "") -> Response:
    settings = request.app.state.settings
    if side not in government_ids.SIDES or not government_ids.verify(verification_id, side, access_token):
        raise ApiError(401, "The link is invalid or has expired", title="Unauthorized")
    data = storage.get(settings.data_dir, f"{verification_id}-{side}")
    if data is None:
        raise not_found("file")
    return Response(data, media_type=quality.sniff(data) or "application/octet-stream",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


