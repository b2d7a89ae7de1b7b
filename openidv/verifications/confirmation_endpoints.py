"""HTTP shared by the kinds confirmed with a one-time code (phone number, e-mail address): create,
retrieve, send a code, confirm, submit (COMPAT.md §6). Rules live in the kind modules and
`confirmation.py`; this file only parses and answers."""

from collections.abc import Callable
from types import ModuleType

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from openidv.api.context import ApiContext
from openidv.kit.errors import ApiError
from openidv.kit.jsonapi import Body, get_str
from openidv.verifications import confirmation, service as verifications, tasks
from openidv.verifications.photo_endpoints import answer, create, retrieve, write


def _send_code(kind: str) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = verifications.load(ctx.db, ctx.environment_id, verification_id, kind)
        body = Body.of(ctx.body)
        locale = get_str(body.attributes, "locale", "data.attributes", max_length=10) or get_str(body.meta, "locale", "meta", max_length=10)
        tasks.request_code(ctx.db, verification, locale)
        return answer(ctx, verification)

    return endpoint


def _confirm(module: ModuleType) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = verifications.load(ctx.db, ctx.environment_id, verification_id, module.KIND)
        body = Body.of(ctx.body)
        code = get_str(body.attributes, "confirmation-code", "data.attributes", max_length=20) or get_str(body.meta, "confirmation-code", "meta", max_length=20)
        if not code:
            raise ApiError(400, "data.attributes.confirmation-code is missing")
        outcome = confirmation.confirm(ctx.db, verification, code, module.build_checks, ctx.actor)
        if outcome != "confirmed":  # wrong tries and expiry are kept: commit, then answer 422
            details = "Invalid confirmation code" if outcome == "invalid" else "Confirmation code has expired"
            error = ApiError(422, details, title="Unprocessable entity", pointer="/data/attributes/confirmation-code")
            return ctx.respond(error.body(), 422)
        return answer(ctx, verification)

    return endpoint


def _submit(module: ModuleType) -> Callable[..., Response]:
    def endpoint(verification_id: str, ctx: ApiContext = Depends(write)) -> Response:
        verification = verifications.load(ctx.db, ctx.environment_id, verification_id, module.KIND)
        confirmation.submit(ctx.db, verification, module.build_checks, ctx.actor)
        return answer(ctx, verification)

    return endpoint


def add_routes(router: APIRouter, plural: str, module: ModuleType) -> None:
    """`POST /verification/<plural>`, `GET …/{id}`, `…/send-confirmation-code`, `…/confirm`, `…/submit`."""
    name = plural.replace("-", "_")
    router.post(f"/verification/{plural}", status_code=201, name=f"create_{name}_verification")(create(module))
    router.get(f"/verification/{plural}/{{verification_id}}", name=f"retrieve_{name}_verification")(retrieve(module.KIND))
    router.post(f"/verification/{plural}/{{verification_id}}/send-confirmation-code", name=f"send_{name}_confirmation_code")(_send_code(module.KIND))
    router.post(f"/verification/{plural}/{{verification_id}}/confirm", name=f"confirm_{name}_verification")(_confirm(module))
    router.post(f"/verification/{plural}/{{verification_id}}/submit", name=f"submit_{name}_verification")(_submit(module))
