"""HTTP for database verifications (`/verification/databases`): create, retrieve, submit with claims."""

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext
from openidv.kit.jsonapi import Body
from openidv.verifications import service as verifications
from openidv.verifications.database import service
from openidv.verifications.photo_endpoints import answer, create, retrieve, write

router = APIRouter()
router.post("/verification/databases", status_code=201, name="create_database_verification")(create(service))
router.get("/verification/databases/{verification_id}", name="retrieve_database_verification")(retrieve(service.KIND))


@router.post("/verification/databases/{verification_id}/submit")
def submit_database_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = verifications.load(ctx.db, ctx.environment_id, verification_id, service.KIND)
    service.submit(ctx.db, verification, Body.of(ctx.body).attributes, ctx.actor)
    return answer(ctx, verification)
