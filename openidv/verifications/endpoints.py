"""HTTP for any verification: retrieve and redact (the typed endpoints come with each kind's folder)."""

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import not_found
from openidv.verifications import repository, schemas, service as verifications
from openidv.verifications.photo_endpoints import answer, write

router = APIRouter()
read = Permission("verification.read")


@router.get("/verifications/{verification_id}")
def retrieve_verification(verification_id: str, ctx: ApiContext = Depends(read)) -> Response:
    row = repository.get(ctx.db, ctx.environment_id, verification_id)
    if row is None:
        raise not_found("verification", verification_id)
    return ctx.respond({"data": schemas.render_verification(ctx.db, row)})


@router.delete("/verifications/{verification_id}")
def redact_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = repository.get_for_update(ctx.db, ctx.environment_id, verification_id)
    if verification is None:
        raise not_found("verification", verification_id)
    verifications.redact(ctx.db, verification, ctx.actor)
    return answer(ctx, verification)


def load_included(db: Session, environment_id: str, verification_id: str) -> dict | None:
    """A verification for `?include=` (installed by the composition root)."""
    row = repository.get(db, environment_id, verification_id)
    return schemas.render_verification(db, row) if row else None
