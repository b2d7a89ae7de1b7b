"""HTTP for reading verifications (the typed create endpoints come with each verification type)."""

from fastapi import APIRouter, Depends

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import not_found
from openidv.verifications import repository, schemas

router = APIRouter()
read = Permission("verification.read")


@router.get("/verifications/{verification_id}")
def retrieve_verification(verification_id: str, ctx: ApiContext = Depends(read)):
    row = repository.get(ctx.db, ctx.environment_id, verification_id)
    if row is None:
        raise not_found("verification", verification_id)
    return ctx.respond({"data": schemas.render_verification(ctx.db, row)})


included.register("verification", lambda db, env, vid: (lambda v: schemas.render_verification(db, v) if v else None)(repository.get(db, env, vid)))
