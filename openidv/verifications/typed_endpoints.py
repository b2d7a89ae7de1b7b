"""HTTP for phone-number, e-mail-address and database verifications (COMPAT.md §6), and redaction
of any verification. Rules live in the kind modules; this file only parses and answers."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api import included
from openidv.api.context import ApiContext, Permission
from openidv.kit.errors import ApiError, not_found
from openidv.kit.jsonapi import Body, get_str
from openidv.models import Verification
from openidv.verifications import confirmation, databases, email_addresses, phone_numbers, repository, schemas, steps, tasks

router = APIRouter()
read = Permission("verification.read")
write = Permission("verification.write")


def _answer(ctx: ApiContext, verification: Verification, status: int = 200) -> Response:
    data = schemas.render_verification(ctx.db, verification)
    return ctx.respond(included.document(ctx.db, ctx.environment_id, data, ctx.include), status)


def _retrieve(kind: str) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(read)) -> Response:
        verification = repository.get(ctx.db, ctx.environment_id, verification_id)
        if verification is None or verification.kind != kind:
            raise not_found(f"verification/{kind}", verification_id)
        return _answer(ctx, verification)

    return endpoint


def _create(module: Any) -> Callable[..., Response]:
    def endpoint(ctx: ApiContext = Depends(write)) -> Response:
        return _answer(ctx, module.create(ctx.db, ctx.environment_id, Body.of(ctx.body).attributes, ctx.actor), 201)

    return endpoint


def _send_code(kind: str) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = steps.load(ctx.db, ctx.environment_id, verification_id, kind)
        body = Body.of(ctx.body)
        locale = get_str(body.attributes, "locale", "data.attributes", max_length=10) or get_str(body.meta, "locale", "meta", max_length=10)
        tasks.request_code(ctx.db, verification, locale)
        return _answer(ctx, verification)

    return endpoint


def _confirm(module: Any) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = steps.load(ctx.db, ctx.environment_id, verification_id, module.KIND)
        body = Body.of(ctx.body)
        code = get_str(body.attributes, "confirmation-code", "data.attributes", max_length=20) or get_str(body.meta, "confirmation-code", "meta", max_length=20)
        if not code:
            raise ApiError(400, "data.attributes.confirmation-code is missing")
        outcome = confirmation.confirm(ctx.db, verification, code, module.build_checks, ctx.actor)
        if outcome != "confirmed":  # wrong tries and expiry are kept: commit, then answer 422
            details = "Invalid confirmation code" if outcome == "invalid" else "Confirmation code has expired"
            error = ApiError(422, details, title="Unprocessable entity", pointer="/data/attributes/confirmation-code")
            return ctx.respond(error.body(), 422)
        return _answer(ctx, verification)

    return endpoint


def _submit_code(module: Any) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = steps.load(ctx.db, ctx.environment_id, verification_id, module.KIND)
        confirmation.submit(ctx.db, verification, module.build_checks, ctx.actor)
        return _answer(ctx, verification)

    return endpoint


for plural, module in (("phone-numbers", phone_numbers), ("email-addresses", email_addresses)):
    name = plural.replace("-", "_")
    router.post(f"/verification/{plural}", status_code=201, name=f"create_{name}_verification")(_create(module))
    router.get(f"/verification/{plural}/{{verification_id}}", name=f"retrieve_{name}_verification")(_retrieve(module.KIND))
    router.post(f"/verification/{plural}/{{verification_id}}/send-confirmation-code", name=f"send_{name}_confirmation_code")(_send_code(module.KIND))
    router.post(f"/verification/{plural}/{{verification_id}}/confirm", name=f"confirm_{name}_verification")(_confirm(module))
    router.post(f"/verification/{plural}/{{verification_id}}/submit", name=f"submit_{name}_verification")(_submit_code(module))

router.post("/verification/databases", status_code=201, name="create_database_verification")(_create(databases))
router.get("/verification/databases/{verification_id}", name="retrieve_database_verification")(_retrieve(databases.KIND))


@router.post("/verification/databases/{verification_id}/submit")
def submit_database_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = steps.load(ctx.db, ctx.environment_id, verification_id, databases.KIND)
    databases.submit(ctx.db, verification, Body.of(ctx.body).attributes, ctx.actor)
    return _answer(ctx, verification)


@router.delete("/verifications/{verification_id}")
def redact_verification(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
    verification = repository.get_for_update(ctx.db, ctx.environment_id, verification_id)
    if verification is None:
        raise not_found("verification", verification_id)
    steps.redact(ctx.db, verification, ctx.actor)
    return _answer(ctx, verification)
