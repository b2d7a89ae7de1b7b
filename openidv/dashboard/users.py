"""The Users page (admins: add a user, role, sandbox limit, disable, enable, password reset, TOTP required, each
audited; disable and reset asked to confirm first, since both end the user's sessions) and every user's own
password change."""

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from openidv.auth import repository
from openidv.auth.service import ROLES
from openidv.dashboard import auth, pages, users_service
from openidv.kit.errors import ApiError
from openidv.models import User

router = APIRouter(include_in_schema=False)
USERS = f"{pages.HOME}/users"
DONE = {
    "role": "Role saved.", "disable": "User disabled; their sessions ended.", "enable": "User enabled.",
    "totp-required": "An authenticator code is now required at their sign-in.", "totp-optional": "An authenticator code is now optional.",
}
CONFIRM = {  # action: (title, message, button)
    "reset-password": ("Reset this password?", "{email} gets a new generated password, which you hand over; their current password "
                       "stops working and every session of theirs ends.", "Reset the password"),
    "disable": ("Disable this user?", "{email} can no longer sign in, and every session of theirs ends now. You can enable them again.",
                "Disable the user"),
}


@router.get(USERS)
def users_page(request: Request) -> Response:
    def build(db: Session, who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        if not who.is_admin:
            raise ApiError(403, f"a {who.user.role} may not manage users")
        done = DONE.get(request.query_params.get("done", ""))
        return "users.html", {"users": repository.users(db), "roles": ROLES, "done": done, "title": "Users"}

    return pages.page(request, build)


@router.post(USERS)
async def add_user(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        user, password = users_service.add_user(db, who, env_id, form.get("email", ""), form.get("role", ""),
                                                form.get("sandbox_only") == "on")
        return _show_password(request, who, user, password, new=True)

    return await pages.action(request, run)


def _show_password(request: Request, who: auth.DashboardSession, user: User, password: str, *, new: bool) -> Response:
    """Shown once, in this answer (never in a URL or a log); the page is not cached (pages.HEADERS)."""
    return pages.render("user_password.html", who=who, csrf=auth.csrf_token(pages.key(request), who.nonce), user=user,
                        password=password, new=new, title="New user" if new else "New password")


def _ask(db: Session, who: auth.DashboardSession, form: dict[str, str], action: str, user_id: str) -> Response:
    user = users_service.target(db, who, user_id)  # refused (403, 404) before being asked to confirm
    title, message, button = CONFIRM[action]
    return pages.confirm(who, form, title=title, message=message.format(email=user.email), button=button, back=USERS)


@router.post(USERS + "/{user_id}/role")
async def set_role(request: Request, user_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        users_service.set_role(db, who, env_id, user_id, form.get("role", ""), form.get("sandbox_only") == "on")
        return pages.to(f"{USERS}?done=role")

    return await pages.action(request, run)


@router.post(USERS + "/{user_id}/require-totp")
async def require_totp(request: Request, user_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        required = form.get("required") == "on"
        users_service.require_totp(db, who, env_id, user_id, required)
        return pages.to(f"{USERS}?done={'totp-required' if required else 'totp-optional'}")

    return await pages.action(request, run)


@router.post(USERS + "/{user_id}/reset-password")
async def reset_password(request: Request, user_id: str) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        if not pages.confirmed(form):
            return _ask(db, who, form, "reset-password", user_id)
        user, password = users_service.reset_password(db, who, env_id, user_id)
        return _show_password(request, who, user, password, new=False)

    return await pages.action(request, run)


@router.post(USERS + "/{user_id}/{switch}")  # after the routes above: disable or enable
async def disable_or_enable(request: Request, user_id: str, switch: Literal["disable", "enable"]) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        if switch in CONFIRM and not pages.confirmed(form):
            return _ask(db, who, form, switch, user_id)
        (users_service.disable if switch == "disable" else users_service.enable)(db, who, env_id, user_id)
        return pages.to(f"{USERS}?done={switch}")

    return await pages.action(request, run)


@router.get(f"{pages.HOME}/password")
def password_page(request: Request) -> Response:
    def build(_db: Session, _who: auth.DashboardSession, _env_id: str) -> tuple[str, dict[str, Any]]:
        return "password.html", {"done": request.query_params.get("done") == "1", "title": "Change password"}

    return pages.page(request, build)


@router.post(f"{pages.HOME}/password")
async def change_password(request: Request) -> Response:
    def run(db: Session, who: auth.DashboardSession, env_id: str, form: dict[str, str]) -> Response:
        users_service.change_own_password(db, who, env_id, form.get("current", ""), form.get("new", ""), form.get("repeat", ""))
        response = pages.to(f"{pages.HOME}/password?done=1")
        pages.set_session(request, response, auth.start_session(db, who.user, who.environment))  # every other session ended
        return response

    return await pages.action(request, run)
