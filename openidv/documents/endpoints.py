"""HTTP for documents: create (JSON with base64 files, or multipart), retrieve, update, submit, and
the files behind expiring signed URLs. Rules live in `service`; this file parses and answers."""

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.checks import document as engine, quality
from openidv.documents import files, repository, schemas, service
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.kit.ids import has_prefix
from openidv.kit.jsonapi import Body
from openidv.models import Document

router = APIRouter()
read = Permission("document.read")
write = Permission("document.write")
FILE_FIELDS = {"files", "originals", "front-photo", "back-photo"}


async def attributes_of(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """`data.attributes` of a JSON body, or of a multipart form whose file parts are named like the
    attributes (`files`, `front-photo`, … optionally as `data[attributes][files][]`)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return Body.of(ctx.body).attributes
    form = await request.form(max_files=files.MAX_FILES * 2, max_fields=100)
    attrs: dict[str, Any] = {}
    for key, value in form.multi_items():
        name = key.removeprefix("data[attributes][").removesuffix("[]").rstrip("]").replace("][", "").replace("_", "-")
        if not isinstance(value, str):  # an uploaded file part
            content = await value.read(quality.MAX_BYTES + 1)
            if name not in FILE_FIELDS:
                raise bad_request(f"file part {key!r} is not a document file field")
            base = "files" if name == "originals" else name
            attrs.setdefault(base, []).append((content, value.filename))
        else:
            attrs[name] = value
    return attrs


def _answer(ctx: ApiContext, document: Document, status: int = 200) -> Response:
    paths = ctx.include
    data = schemas.render_document(ctx.db, document)
    wants_files = paths is not None and "document-files" in paths
    body = included.document(
        ctx.db, ctx.environment_id, data, [p for p in paths if p != "document-files"] if paths is not None else None, permissions=ctx.api_key.permissions
    )
    if wants_files:
        body["included"] = body.get("included", []) + schemas.render_files(document)
    return ctx.respond(body, status)


def _load(ctx: ApiContext, document_id: str, kind: str | None, *, for_update: bool = False) -> Document:
    get = repository.get_for_update if for_update else repository.get
    document = get(ctx.db, ctx.environment_id, document_id)
    if document is None or (kind is not None and document.kind != kind):
        raise not_found(f"document/{kind}" if kind else "document", document_id)
    return document


@router.post("/document/generics", status_code=201, name="create_generic_document")
async def create_generic_document(request: Request, ctx: ApiContext = Depends(write)) -> Response:
    attrs = await attributes_of(request, ctx)
    return _answer(ctx, service.create_generic(ctx.db, ctx.environment_id, attrs, ctx.actor), 201)


@router.post("/document/government-ids", status_code=201, name="create_government_id_document")
async def create_government_id_document(request: Request, ctx: ApiContext = Depends(write)) -> Response:
    attrs = await attributes_of(request, ctx)
    return _answer(ctx, service.create_government_id(ctx.db, ctx.environment_id, attrs, ctx.actor), 201)


def _register(plural: str, kind: str) -> None:
    name = kind.replace("-", "_")

    def retrieve(document_id: str, ctx: ApiContext = Depends(read)) -> Response:
        return _answer(ctx, _load(ctx, document_id, kind))

    async def update(document_id: str, request: Request, ctx: ApiContext = Depends(write)) -> Response:
        attrs = await attributes_of(request, ctx)
        document = _load(ctx, document_id, kind, for_update=True)
        service.update(ctx.db, document, attrs, ctx.actor)
        return _answer(ctx, document)

    def submit(document_id: str, ctx: ApiContext = Depends(write)) -> Response:
        document = _load(ctx, document_id, kind, for_update=True)
        service.submit(ctx.db, document, ctx.actor)
        return _answer(ctx, document)

    router.get(f"/document/{plural}/{{document_id}}", name=f"retrieve_{name}_document")(retrieve)
    router.patch(f"/document/{plural}/{{document_id}}", name=f"update_{name}_document")(update)
    router.post(f"/document/{plural}/{{document_id}}/submit", name=f"submit_{name}_document")(submit)


_register("generics", service.GENERIC)
_register("government-ids", service.GOVERNMENT_ID)


@router.get("/documents/{document_id}", name="retrieve_document")
def retrieve_document(document_id: str, ctx: ApiContext = Depends(read)) -> Response:
    return _answer(ctx, _load(ctx, document_id, None))


@router.get("/document-files/{file_id}", name="document_file")
def document_file(file_id: str, request: Request, access_token: str = "", document: str = "") -> Response:
    """A document's file behind its signed link, no API key: the link names the file's document (`document`)
    and opens only when signed for that document's environment."""
    environment_id = None
    if file_id.startswith("docf_") and has_prefix(document, "doc") and len(document) <= 40:
        with request.app.state.reader() as db:
            environment_id = repository.environment_of(db, document)
    if environment_id is None or not files.valid_token(file_id, document, access_token, environment_id):
        raise ApiError(401, "The link is invalid or has expired", title="Unauthorized")
    data = files.content({"id": file_id})
    if data is None:
        raise not_found("file")
    return Response(data, media_type=engine.sniff(data) or "application/octet-stream",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
                             "Content-Disposition": "attachment"})



def load_included(db: Session, environment_id: str, document_id: str) -> dict[str, Any] | None:
    document = repository.get(db, environment_id, document_id)
    return schemas.render_document(db, document) if document else None
