"""HTTP for document verifications: create (JSON or multipart, `document-id` or files), retrieve, submit."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from openidv.api.context import ApiContext
from openidv.documents.endpoints import attributes_of
from openidv.kit.errors import not_found
from openidv.verifications import repository, service as verifications
from openidv.verifications.document import service as documents
from openidv.verifications.photo_endpoints import answer, read, write

router = APIRouter()


@router.post("/verification/documents", status_code=201, name="create_document_verification")
async def create_document_verification(request: Request, ctx: ApiContext = Depends(write)) -> Response:
    attrs = await attributes_of(request, ctx)
    return answer(ctx, documents.create(ctx.db, ctx.environment_id, attrs, ctx.actor), 201)


@router.get("/verification/documents/{verification_id}", name="retrieve_document_verification")
def retrieve_document_verification(verification_id: str, ctx: ApiContext = Depends(read)) -> Response:
    verification = repository.get(ctx.db, ctx.environment_id, verification_id)
    if verification is None or verification.kind != documents.KIND:
        raise not_found("verification/document", verification_id)
    return answer(ctx, verification)


@router.post("/verification/documents/{verification_id}/submit", name="submit_document_verification")
def submit_document_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = verifications.load(ctx.db, ctx.environment_id, verification_id, documents.KIND)
    documents.submit(ctx.db, verification, ctx.actor)
    return answer(ctx, verification)
