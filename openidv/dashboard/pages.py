"""What every dashboard page module shares: the template environment, the security headers, and the two ways
a request runs: `page` (a signed-in GET, read-only session) and `action` (a signed-in POST with its CSRF token,
one write transaction). Each area of the dashboard is a module with its own router, listed in `wiring.DASHBOARD`."""

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openidv.dashboard import auth, service
from openidv.inquiry_sessions.service import Secrets
from openidv.kit.db import transaction
from openidv.kit.errors import ApiError
from openidv.kit.jsonapi import Page

STATIC = Path(__file__).parent / "static"
HOME = "/dashboard"
jinja = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

Build = Callable[[Session, auth.DashboardSession, str], tuple[str, dict[str, Any]] | Response]
Run = Callable[[Session, auth.DashboardSession, str, dict[str, str]], Response]


def key(request: Request) -> str:
    return request.app.state.settings.secrets["secret_key"]


def secrets_of(request: Request) -> Secrets:
    return Secrets(request.app.state.settings.secrets["session_token_secret"], request.app.state.settings.base_url)


def render(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(jinja.get_template(name).render(**values), status_code=status, headers=HEADERS)


def to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def set_session(request: Request, response: Response, value: str) -> None:
    response.set_cookie(auth.COOKIE, value, httponly=True, secure=request.url.scheme == "https", samesite="strict", path=HOME, max_age=auth.SESSION_SECONDS)


# What a user whom an admin requires TOTP of may open before setting it up, and a sandbox-only user left in production.
TOTP_SET_UP = (f"{HOME}/security", f"{HOME}/security/totp", f"{HOME}/sign-out")
WAY_OUT = (f"{HOME}/environment", f"{HOME}/sign-out")


def _refused(request: Request, who: auth.DashboardSession) -> Response | None:
    """A sandbox-only user in production gets a 403; a user who must set up TOTP is sent to do it."""
    if who.environment == "production" and who.user.sandbox_only and request.url.path not in WAY_OUT:
        return render("error.html", 403, who=who, csrf=auth.csrf_token(key(request), who.nonce), message="Your account is limited to the sandbox.")
    if who.user.totp_required and who.user.totp_secret_sealed is None and request.url.path not in TOTP_SET_UP:
        return to(f"{HOME}/security")
    return None


def page(request: Request, build: Build) -> Response:
    """A signed-in page: `build` returns (template, values) or a response."""
    with transaction(request.app.state.reader) as db:
        who = auth.load(db, request.cookies.get(auth.COOKIE))
        if who is None:
            return to(HOME)
        if (refused := _refused(request, who)) is not None:
            return refused
        env_id = service.environment_id(db, who)
        try:
            result = build(db, who, env_id)
        except ApiError as exc:
            return render("error.html", exc.status, who=who, csrf=auth.csrf_token(key(request), who.nonce), message=exc.details or exc.title)
        if isinstance(result, Response):
            return result
        name, values = result
        return shown(request, render(name, who=who, csrf=auth.csrf_token(key(request), who.nonce), flash=flash_of(request), **values))


async def action(request: Request, run: Run) -> Response:
    """A signed-in form post: checks the CSRF token, then `run` in one write transaction."""
    form = {k: v for k, v in (await request.form(max_files=0, max_fields=50)).items() if isinstance(v, str)}
    return await run_in_threadpool(_act, request, form, run)


def _act(request: Request, form: dict[str, str], run: Run) -> Response:
    try:
        with transaction(request.app.state.writer) as db:
            who = auth.load(db, request.cookies.get(auth.COOKIE))
            if who is None:
                return to(HOME)
            if not auth.csrf_ok(key(request), who.nonce, form.get("csrf")):
                raise ApiError(403, "The form expired or did not come from this dashboard. Reload the page and try again.")
            if (refused := _refused(request, who)) is not None:
                return refused
            return run(db, who, service.environment_id(db, who), form)
    except ApiError as exc:  # the transaction rolled back: nothing half-written
        return render("error.html", exc.status, who=None, csrf="", message=exc.details or exc.title)


def confirm(who: auth.DashboardSession, form: dict[str, str], *, title: str, message: str, button: str, back: str) -> HTMLResponse:
    """The confirmation step of a destructive action: the same form again, with `confirmed=yes` (no script needed).
    The action runs only when `confirmed(form)`; until then nothing is written."""
    kept = {k: v for k, v in form.items() if k not in ("csrf", "confirmed")}
    return render("confirm.html", who=who, csrf=form.get("csrf", ""), title=title, message=message, button=button, back=back, kept=kept)


def confirmed(form: dict[str, str]) -> bool:
    return form.get("confirmed") == "yes"


def links(result: Any, params: dict[str, str]) -> dict[str, str | None]:
    """Older/newer links of a cursor page that keep the filters."""
    base = urlencode({k: v for k, v in params.items() if v})
    return {
        "next": f"?{base}&after={result.items[-1].id}" if result.has_next and result.items else None,
        "prev": f"?{base}&before={result.items[0].id}" if result.has_prev and result.items else None,
    }


def page_of(request: Request, size: int = 25) -> Page:
    return Page(size=size, after=request.query_params.get("after") or None, before=request.query_params.get("before") or None)


# ---------------------------------------------------------------- a message after an action

FLASH = "openidv_flash"


def flash_to(request: Request, url: str, message: str) -> RedirectResponse:
    """A redirect whose page shows `message` once ("Approved inq_..."): a signed cookie, so no link can word it."""
    response = to(url)
    response.set_cookie(FLASH, auth.sign(key(request), {"flash": message[:300]}), httponly=True, secure=request.url.scheme == "https",
                        samesite="strict", path=HOME, max_age=60)
    return response


def flash_of(request: Request) -> str | None:
    data = auth.unsign(key(request), request.cookies.get(FLASH, "")) if FLASH in request.cookies else None
    value = data.get("flash") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def shown(request: Request, response: Response) -> Response:
    """The page showed the message: it is not shown again."""
    if FLASH in request.cookies:
        response.delete_cookie(FLASH, path=HOME)
    return response
