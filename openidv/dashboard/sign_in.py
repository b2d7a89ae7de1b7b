"""The dashboard's sign-in, sign-out, environment switch and second factor."""

import secrets
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openidv.dashboard import auth, pages, users_service
from openidv.flow.service import qr_svg
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError

router = APIRouter(include_in_schema=False)


def _sign_in_form(request: Request, error: str | None = None, status: int = 200, email: str = "") -> HTMLResponse:
    pre = request.cookies.get(auth.PRE_COOKIE) or secrets.token_urlsafe(16)
    response = pages.render("sign_in.html", status, csrf=auth.csrf_token(pages.key(request), "pre:" + pre), error=error, email=email)
    response.set_cookie(auth.PRE_COOKIE, pre, httponly=True, secure=request.url.scheme == "https", samesite="strict", path=pages.HOME, max_age=3600)
    return response


@router.get(pages.HOME)
def home(request: Request) -> Response:
    with transaction(request.app.state.reader) as db:
        if auth.load(db, request.cookies.get(auth.COOKIE)) is not None:
            return pages.to(f"{pages.HOME}/inquiries")
    return _sign_in_form(request)


@router.post(f"{pages.HOME}/sign-in")
async def sign_in(request: Request) -> Response:
    form = {k: v for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    pre = request.cookies.get(auth.PRE_COOKIE, "")
    if not pre or not auth.csrf_ok(pages.key(request), "pre:" + pre, form.get("csrf")):
        return _sign_in_form(request, "The form expired. Try again.", 403)
    def attempt() -> Response:
        with transaction(request.app.state.writer) as db:  # a failure's counter is committed too
            try:
                user = auth.sign_in(db, form.get("email", ""), form.get("password", ""), form.get("code"), request.client.host if request.client else "")
            except auth.Throttled as exc:
                refused = _sign_in_form(request, str(exc), 429, form.get("email", "")[:255])
                refused.headers["Retry-After"] = str(exc.seconds)
                return refused
            except auth.SignInError as exc:
                return _sign_in_form(request, str(exc), 401, form.get("email", "")[:255])
            response = pages.to(f"{pages.HOME}/inquiries")
            pages.set_session(request, response, auth.start_session(db, user))
            response.delete_cookie(auth.PRE_COOKIE, path=pages.HOME)
            return response

    return await run_in_threadpool(attempt)


@router.post(f"{pages.HOME}/sign-out")
async def sign_out(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, _env_id: str, _form: dict[str, str]) -> Response:
        auth.end_session(db, who)  # on the server: a copy of the cookie opens nothing any more
        response = pages.to(pages.HOME)
        response.delete_cookie(auth.COOKIE, path=pages.HOME)
        return response

    return await pages.action(request, run)


@router.post(f"{pages.HOME}/environment")
async def switch_environment(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, _env_id: str, form: dict[str, str]) -> Response:
        users_service.switch_environment(db, who, form.get("environment", ""))
        return pages.to(f"{pages.HOME}/inquiries")

    return await pages.action(request, run)

@router.get(f"{pages.HOME}/security")
def security_page(request: Request) -> Response:
    def build(_db: Session, who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {"enabled": bool(who.user.totp_secret), "title": "Sign-in security"}
        if not who.user.totp_secret:
            secret = auth.new_totp_secret()  # kept only in a signed form field until a code proves the app has it
            uri = f"otpauth://totp/openidv:{quote(who.user.email)}?secret={secret}&issuer=openidv"
            values.update(secret=secret, pending=auth.sign(pages.key(request), {"s": secret, "u": who.user.id}), qr=Markup(qr_svg(uri)))
        return "security.html", values

    return pages.page(request, build)


@router.post(f"{pages.HOME}/security/totp")
async def security_totp(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        secret = None
        if form.get("pending"):
            pending = auth.unsign(pages.key(request), form["pending"]) or {}
            if pending.get("u") != who.user.id:
                raise ApiError(400, "The set-up form expired. Reload the page.")
            secret = pending["s"]
        users_service.set_totp(db, who, env_id, secret, form.get("code", ""))
        return pages.to(f"{pages.HOME}/security")

    return await pages.action(request, run)
