"""HTTP for the end-user flow: `/verify` (hosted), `/widget` and `/preload` (embedded), `/flow/*` forms.

Two ways to carry the flow's authority, both made at the entry (`_enter`) from the inquiry session token:
- the hosted flow (a top-level page) exchanges the token at once for an HttpOnly cookie and goes to a clean
  `/verify`;
- the embedded flow (`/widget`, a frame on the business's site) cannot rely on cookies, since browsers block
  third-party ones, so, as Persona's own flow does with its session token, the page itself carries a signed
  *pass* (`?p=`, the token and the flow context) in every link, form action and fetch (`flow_url`).
Every form also carries a CSRF token bound to the session. Rules live in `service.py`.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openidv.flow import codes, limits, redirects, service
from openidv.flow.i18n import Translator, pick
from openidv.inquiry_sessions import repository as session_repository, service as sessions
from openidv.inquiry_templates.config import ID_CLASSES, Step
from openidv.kit import body_budget
from openidv.kit.db import transaction
from openidv.lifecycle import OPEN_INQUIRY_STATUSES, InquiryStatus, SessionStatus, VerificationStatus
from openidv.models import Inquiry, InquirySession
from openidv.verifications import uploads
from openidv.verifications.government_id.service import TWO_SIDED

log = logging.getLogger("openidv.flow")
router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
_jinja = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True)

TOKEN_COOKIE = "openidv_flow"
CONTEXT_COOKIE = "openidv_flow_ctx"
PASS = "p"  # the query parameter of the cookie-less pass
ENTRY_KEYS = ("code", "session-token", "inquiry-id", "inquiry-template-id", "inquiry-template-version-id", "template-id")
FIELD_KEY = re.compile(r"^fields\[([^\]]{1,100})\]$")
HOST_SOURCE = re.compile(r"^(https?://)?(\*\.)?[A-Za-z0-9.\-]+(:(\d{1,5}|\*))?$")  # a CSP host-source
ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
LOCAL_HOSTS = tuple(h for h in redirects.LOOPBACK if ":" not in h)  # a CSP host-source cannot name an IPv6 address
LOCAL_ANCESTORS = [f"{scheme}://{host}:*" for scheme in ("http", "https") for host in LOCAL_HOSTS]
MAX_UPLOAD_REQUEST = 4 * uploads.MAX_BYTES
# The SDK event the done screen posts, by the inquiry's status.
SDK_EVENTS: dict[str, str] = {InquiryStatus.COMPLETED: "complete", InquiryStatus.FAILED: "fail"}


# ---------------------------------------------------------------- small helpers


def _secret(request: Request, name: str) -> str:
    return request.app.state.settings.secrets[name]


def _client(request: Request) -> tuple[str | None, str | None]:
    """Who opened the flow: the address (uvicorn's, after its trusted proxies) and the user agent."""
    return (request.client.host if request.client else None), request.headers.get("user-agent")


def _session_secrets(request: Request) -> sessions.Secrets:
    return sessions.Secrets(_secret(request, "session_token_secret"), request.app.state.settings.base_url)


def _sign(request: Request, data: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    mac = hmac.new(_secret(request, "secret_key").encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _credentials(request: Request) -> tuple[str | None, dict[str, Any]]:
    """The session token and the flow context (language and, in a frame, the SDK's ids and the parent origin):
    from the pass in the URL when there is one, else from the cookies. Read once per request (a later call
    must not undo `_make_pass`); remembers the pass for `flow_url`."""
    known = getattr(request.state, "flow_credentials", None)
    if known is not None:
        return known
    raw = request.query_params.get(PASS)
    if raw is not None:
        held = _unsign(request, raw)
        request.state.flow_pass = raw if held else None
        found: tuple[str | None, dict[str, Any]] = (held.get("t"), held.get("c") or {})
    else:
        request.state.flow_pass = None
        found = (request.cookies.get(TOKEN_COOKIE), _unsign(request, request.cookies.get(CONTEXT_COOKIE, "")))
    request.state.flow_credentials = found
    return found


def _token(request: Request) -> str | None:
    return _credentials(request)[0]


def _make_pass(request: Request, token: str, ctx: dict[str, Any]) -> str:
    request.state.flow_pass = _sign(request, {"t": token, "c": ctx})
    return request.state.flow_pass


def _unsign(request: Request, raw: str) -> dict[str, Any]:
    body, _, mac = raw.rpartition(".")
    good = hmac.new(_secret(request, "secret_key").encode(), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, good):
        return {}
    try:
        return json.loads(base64.urlsafe_b64decode(body))
    except ValueError:
        return {}


def _csrf(request: Request, row: InquirySession) -> str:
    return hmac.new(_secret(request, "secret_key").encode(), f"csrf:{row.id}".encode(), hashlib.sha256).hexdigest()


def _language(request: Request, ctx: dict[str, Any] | None = None) -> str:
    explicit = request.query_params.get("language") or (ctx or {}).get("language")
    return pick(explicit, request.headers.get("accept-language"))


def _frame_ancestors(ctx: dict[str, Any]) -> str:
    embed = ctx.get("embed")
    if not embed:
        return "'none'"
    return " ".join(embed.get("frame_ancestors") or ["'none'"])


def _headers(ctx: dict[str, Any]) -> dict[str, str]:
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        f"connect-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors {_frame_ancestors(ctx)}"
    )
    return {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(self)",
    }


def _render(request: Request, ctx: dict[str, Any], name: str, status: int = 200, **values: Any) -> HTMLResponse:
    t = Translator(_language(request, ctx))
    html = _jinja.get_template(name).render(t=t, lang=t.language, embed=ctx.get("embed"), flow_url=lambda path, **q: flow_url(request, path, **q),
                                             flow_pass=getattr(request.state, "flow_pass", None), **values)
    return HTMLResponse(html, status_code=status, headers=_headers(ctx))


def flow_url(request: Request, path: str, **query: str) -> str:
    """Every link, form action and redirect of the flow goes through this, so a flow without cookies keeps its pass."""
    pass_ = getattr(request.state, "flow_pass", None)
    params = {**({PASS: pass_} if pass_ else {}), **query}
    return path + ("?" + urlencode(params) if params else "")


def _redirect(request: Request, ctx: dict[str, Any], path: str, fragment: str = "", **query: str) -> RedirectResponse:
    return RedirectResponse(flow_url(request, path, **query) + fragment, status_code=303, headers=_headers(ctx))


def _error_page(request: Request, ctx: dict[str, Any], exc: service.FlowError) -> HTMLResponse:
    """An error page holds no session and no data, so any parent may frame it: the SDK's `onError` then hears of it."""
    if ctx.get("embed"):
        ctx = {**ctx, "embed": {**ctx["embed"], "frame_ancestors": ["*"]}}
    t = Translator(_language(request, ctx))
    message = t(exc.key, **exc.values)
    sdk_error = {"status": exc.status, "code": exc.code, "message": message}
    page = _render(request, ctx, "error.html", status=exc.status, message=message, sdk_error=sdk_error)
    if exc.status == 429 and "seconds" in exc.values:
        page.headers["Retry-After"] = str(max(1, round(float(str(exc.values["seconds"])))))
    return page


def _set_cookies(request: Request, response: Response, token: str, ctx: dict[str, Any]) -> None:
    """The hosted flow's first-party cookies (the embedded flow carries a pass instead)."""
    secure = request.url.scheme == "https"
    for name, value in ((TOKEN_COOKIE, token), (CONTEXT_COOKIE, _sign(request, ctx))):
        response.set_cookie(name, value, httponly=True, secure=secure, samesite="lax", path="/", max_age=86400)


def _origin(value: str | None) -> str | None:
    if not value or not ORIGIN.match(value):
        return None
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}"


def _embed_ids(request: Request) -> dict[str, Any]:
    """What the iframe echoes to the SDK, exactly as given (COMPAT.md §10), and where it posts."""
    q = request.query_params
    return {
        "container_id": q.get("container-id"),
        "template_id": q.get("inquiry-template-id") or q.get("template-id"),
        "template_version_id": q.get("inquiry-template-version-id"),
        "target_origin": _origin(q.get("message-target-origin")) or _origin(q.get("iframe-origin")),
        "frame_ancestors": [],
    }


def _frame_ancestors_of(request: Request, db: Session, inquiry: Inquiry) -> list[str]:
    """Who may frame the flow (and so receive its messages): the template's allowlist, which `frame-ancestors[i]`
    may only narrow. Without one, the sandbox allows pages on this machine (localhost) and production refuses."""
    template = service.repository.template(db, inquiry.template_id)
    listed = template.embedded_flow_domain_allowlist if template else []
    allowlist = [v for v in listed if HOST_SOURCE.match(v)]
    asked = [o for o in (_origin(request.query_params.get(f"frame-ancestors[{i}]")) for i in range(10)) if o]
    if listed:
        return [o for o in asked if o in allowlist] or allowlist or ["'none'"]
    if service.is_sandbox(db, inquiry):
        return [o for o in asked if urlsplit(o).hostname in LOCAL_HOSTS] or LOCAL_ANCESTORS
    raise service.FlowError("error.embed_not_allowed", code="invalid_config")


def _fields_of_query(request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        match = FIELD_KEY.match(key)
        if match:
            out[match.group(1)] = value
    return out


# ---------------------------------------------------------------- entry: /verify, /widget, /preload


def _enter(request: Request, embedded: bool) -> Response:
    q = request.query_params
    ctx: dict[str, Any] = {"language": _language(request)}
    if embedded:
        ctx["embed"] = _embed_ids(request)
    try:
        with transaction(request.app.state.writer) as db:
            secrets = _session_secrets(request)
            if q.get("code"):
                opened = service.open_link(db, q["code"], secrets)
            elif q.get("inquiry-id"):
                opened = service.open_existing(db, q["inquiry-id"], q.get("session-token"), secrets)
            elif q.get("session-token"):
                raise service.FlowError("error.unauthenticated", status=409, code="unauthenticated")
            else:
                keys = (*service.inquiries.TEMPLATE_KEYS, "environment-id", "environment", "reference-id", "account-id", "redirect-uri")
                params = {k: q.get(k) for k in keys}
                limits.admit_creation(db, request.app.state.settings, request.client.host if request.client else None, params)
                opened = service.open_new(db, params, _fields_of_query(request), secrets)
            if embedded:
                ctx["embed"]["frame_ancestors"] = _frame_ancestors_of(request, db, opened.inquiry)
    except service.FlowError as exc:
        return _error_page(request, ctx, exc)
    if embedded:
        # `#load`: the first page of a frame announces `load` and `ready` to the SDK once.
        _make_pass(request, opened.token, ctx)
        return _redirect(request, ctx, "/verify", "#load")
    response = _redirect(request, ctx, "/verify")
    _set_cookies(request, response, opened.token, ctx)
    return response


@router.get("/verify")
def verify(request: Request) -> Response:
    if any(request.query_params.get(k) for k in ENTRY_KEYS):
        return _enter(request, embedded=False)
    return _show(request)


@router.get("/widget")
def widget(request: Request) -> Response:
    return _enter(request, embedded=True)


@router.get("/preload")
def preload(request: Request) -> Response:
    """The SDK loads this in a hidden frame to warm the cache; nothing to do but be cheap and framable."""
    return _render(request, {"embed": {"frame_ancestors": []}}, "preload.html")


# ---------------------------------------------------------------- the current screen


def _screen_page(request: Request, ctx: dict[str, Any], db: Session, inquiry: Inquiry, row: InquirySession,
                 problem: uploads.InputProblem | None = None, field_problems: dict[str, str] | None = None,
                 form: dict[str, str] | None = None, status: int = 200) -> Response:
    screen = service.screen(db, inquiry)
    config = service.config_of(db, inquiry)
    if screen.name == "done":
        target = None if ctx.get("embed") else redirects.redirect_target(db, inquiry, config)
        if target:
            return RedirectResponse(target, status_code=303, headers=_headers(ctx))
        event = SDK_EVENTS.get(inquiry.status)
        sdk = {"inquiryId": inquiry.id, "status": inquiry.status, "fields": service.sdk_fields(inquiry)} if event else None
        return _render(request, ctx, "done.html", inquiry=inquiry, sdk_event=event, sdk_metadata=sdk,
                       csrf=_csrf(request, row), session_token=_token(request))
    t = Translator(_language(request, ctx))
    problem_text = None
    if problem is not None:
        values = dict(problem.values)
        if "pdf" in values:
            values["pdf"] = t("upload.or_pdf") if values["pdf"] else ""
        problem_text = t(problem.key, **values)
    return _render(
        request, ctx, "consent.html" if screen.name == "biometric" else f"{screen.name}.html", status=status, screen=screen, config=config, inquiry=inquiry,
        csrf=_csrf(request, row),
        problem=problem, problem_text=problem_text, field_problems=field_problems or {}, form=form or {},
        values={k: v.get("value") if isinstance(v, dict) else v for k, v in inquiry.fields.items()},
        id_classes=config.allowed_id_classes or list(ID_CLASSES), two_sided=sorted(TWO_SIDED),
        follow=_follow(request, inquiry, "/verify") if screen.name == "processing" else None,
        countries=config.allowed_countries, session_token=_token(request), code_to=_code_to(db, inquiry, screen.step),
    )


def _follow(request: Request, inquiry: Inquiry, path: str, **query: str) -> dict[str, Any]:
    """What a waiting page polls (`/flow/status`) and where it goes once the inquiry moved on."""
    return {"state": service.progress_state(inquiry), "status": flow_url(request, "/flow/status"), "next": flow_url(request, path, **query)}


def _phone_at(db: Session, inquiry: Inquiry, desktop: InquirySession) -> str | None:
    """The kind of step the other device is on (`selfie`, …) once it opened the link; nothing personal."""
    if not any(s.id != desktop.id and s.status == SessionStatus.ACTIVE for s in session_repository.of_inquiry(db, inquiry.id)):
        return None
    name = (inquiry.next_step_name or "").removeprefix("retry_").removeprefix("verification_")
    return name.replace("_", "-") or None


def _code_to(db: Session, inquiry: Inquiry, step: Step | None) -> str | None:
    waiting = codes.waiting(db, inquiry, step) if step is not None and codes.handles(step.kind) else None
    return codes.sent_to(waiting) if waiting else None


def _show(request: Request) -> Response:
    token, ctx = _credentials(request)
    chosen = request.query_params.get("language")
    if chosen and token:  # the language switch: every later page keeps the choice
        ctx = {**ctx, "language": pick(chosen, None)}
        if request.state.flow_pass:
            _make_pass(request, token, ctx)
        else:
            response = _redirect(request, ctx, "/verify")
            _set_cookies(request, response, token, ctx)
            return response
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, token, _secret(request, "session_token_secret"), client=_client(request))
            return _screen_page(request, ctx, db, inquiry, row)
        except service.FlowError as exc:
            return _error_page(request, ctx, exc)  # the session's activation still commits


# ---------------------------------------------------------------- forms


async def _read_form(request: Request, hold: body_budget.Hold) -> tuple[dict[str, str], dict[str, bytes]] | None:
    """The form, counted while it streams (chunked bodies too): None once it passes MAX_UPLOAD_REQUEST (413);
    a malformed body reads as an empty form, which the CSRF check then refuses."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_UPLOAD_REQUEST):
        return None
    try:
        return await uploads.read_form(request.stream(), request.headers.get("content-type"), limit=MAX_UPLOAD_REQUEST, hold=hold)
    except uploads.BodyTooLarge:
        return None
    except uploads.MalformedForm as exc:
        log.info("flow form refused: %s", exc)
        return {}, {}


def _post(request: Request, values: dict[str, str], files: dict[str, bytes], action: str) -> Response:
    token, ctx = _credentials(request)
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, token, _secret(request, "session_token_secret"), client=_client(request))
            if not hmac.compare_digest(values.get("csrf", ""), _csrf(request, row)):
                raise service.FlowError("error.csrf", status=403, code="application_error")
            response = _act(request, ctx, db, inquiry, row, values, files, action)
        except service.FlowError as exc:
            db.rollback()
            return _error_page(request, ctx, exc)
    return response


def _act(request: Request, ctx: dict[str, Any], db: Session, inquiry: Inquiry, row: InquirySession,
         values: dict[str, str], files: dict[str, bytes], action: str) -> Response:
    done = _redirect(request, ctx, "/verify")
    if action == "cancel":
        service.cancel(db, row)
        return Response(status_code=204)
    screen = service.screen(db, inquiry)
    if action == "consent":
        kind = "biometric" if screen.name == "biometric" else "general"
        if screen.name not in ("consent", "biometric"):
            return done
        if values.get("accept") != "yes":
            return _screen_page(request, ctx, db, inquiry, row, problem=uploads.InputProblem("accept", "consent.must_accept"), status=422)
        service.accept_consent(db, inquiry, row, kind, _language(request, ctx))
        return done
    if action == "fields":
        if screen.name != "fields":
            return done
        problems = service.save_fields(db, inquiry, values)
        if problems:
            return _screen_page(request, ctx, db, inquiry, row, field_problems=problems, form=values, status=422)
        return done
    if action == "handoff":
        if screen.name != "step":
            return done
        # Post/redirect/get: the link rides signed in the page's URL, so a reload shows it again.
        link = service.handoff_link(db, inquiry, _session_secrets(request))
        return _redirect(request, ctx, "/flow/handoff", h=_sign(request, {"link": link, "session": row.id}))
    if screen.name != "step" or screen.step is None or values.get("step-id") != screen.step.id:
        return done  # a stale or replayed form: show what is current
    try:
        if codes.handles(screen.step.kind):
            if _code_step(db, inquiry, screen.step, values, _language(request, ctx)) is False:
                # a wrong code counts: keep the attempt (commit) and ask again
                return _screen_page(request, ctx, db, inquiry, row, problem=uploads.InputProblem("code", "code.wrong"), status=422)
            return done
        captured = service.capture(db, inquiry, screen.step, service.config_of(db, inquiry), values, files)
        service.submit(db, inquiry, screen.step, captured)
    except uploads.InputProblem as problem:
        db.rollback()
        inquiry, row = service.load(db, _token(request), _secret(request, "session_token_secret"), client=_client(request))
        return _screen_page(request, ctx, db, inquiry, row, problem=problem, form=values, status=422)
    return done


def _code_step(db: Session, inquiry: Inquiry, step: Step, values: dict[str, str], language: str) -> bool | None:
    """Phone and e-mail: first the number or address (a code is sent by the job the send request enqueues
    in this transaction), then the code or a resend. False when a code was wrong and the verification still waits."""
    waiting = codes.waiting(db, inquiry, step)
    if waiting is None:
        codes.begin(db, inquiry, step, values.get(step.kind, ""), language)
    elif values.get("resend"):
        codes.send(db, waiting, language)
    elif not codes.confirm(db, waiting, values.get("code", "")):
        return False if waiting.status == VerificationStatus.INITIATED else None
    return None


async def _handle(request: Request, action: str) -> Response:
    token, ctx = _credentials(request)
    # Authenticated before the body is read: a stranger's upload costs nothing.
    if not token or service.tokens.session_id_of(_secret(request, "session_token_secret"), token) is None:
        return _error_page(request, ctx, service.FlowError("error.no_session", status=401, code="unauthenticated"))
    hold = body_budget.Hold()
    try:
        read = await _read_form(request, hold)
        if read is None:
            return _error_page(request, ctx, service.FlowError("upload.too_large", status=413, size="> 60 MB"))
        return await run_in_threadpool(_post, request, read[0], read[1], action)
    except body_budget.Exhausted:
        page = _error_page(request, ctx, service.FlowError("error.busy", status=503, code="application_error"))
        page.headers["Retry-After"] = "2"
        return page
    finally:
        hold.release()


@router.get("/flow/handoff")
def handoff_page(request: Request) -> Response:
    """The desktop while the phone goes on: the link and QR code, then where the phone is, until the end."""
    token, ctx = _credentials(request)
    shown = _unsign(request, request.query_params.get("h", ""))
    with transaction(request.app.state.writer) as db:
        try:
            inquiry, row = service.load(db, token, _secret(request, "session_token_secret"), client=_client(request))
        except service.FlowError as exc:
            return _error_page(request, ctx, exc)
        if not shown or shown.get("session") != row.id or inquiry.status not in OPEN_INQUIRY_STATUSES:
            return _redirect(request, ctx, "/verify")
        link = shown["link"]
        return _render(request, ctx, "handoff.html", inquiry=inquiry, csrf=_csrf(request, row), link=link, qr=Markup(service.qr_svg(link)),
                       follow=_follow(request, inquiry, "/flow/handoff", h=request.query_params["h"]),
                       phone_at=_phone_at(db, inquiry, row), session_token=token)


@router.get("/flow/status")
def status(request: Request) -> Response:
    """Polled by a desktop waiting for the phone: the inquiry's progress, nothing personal."""
    with transaction(request.app.state.reader) as db:
        try:
            inquiry, _row = service.load(db, _token(request), _secret(request, "session_token_secret"), activate=False)
        except service.FlowError:
            return JSONResponse({"state": None}, status_code=401, headers={"Cache-Control": "no-store"})
        return JSONResponse({"state": service.progress_state(inquiry)}, headers={"Cache-Control": "no-store"})


def _form_route(action: str):  # noqa: ANN202
    async def route(request: Request) -> Response:
        return await _handle(request, action)

    return route


# Every form posts to /flow/<action>; `_act` holds what each does.
for _action in ("consent", "fields", "step", "handoff", "cancel"):
    router.add_api_route(f"/flow/{_action}", _form_route(_action), methods=["POST"], name=f"flow-{_action}")
