"""Environments and API keys: creation, look-up by secret, permission checks."""

import hashlib
import ipaddress
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from openidv.auth import passwords, permissions, repository
from openidv.auth.passwords import hash_password, verify_password as verify_password  # re-exported: callers use the service
from openidv.kit.clock import now
from openidv.kit.errors import ApiError
from openidv.kit.ids import new_id
from openidv.models import ApiKey, Environment, User

ENVIRONMENT_NAMES = ("sandbox", "production")
ROLES = ("admin", "reviewer", "viewer")


def hash_secret(secret: str) -> str:
    # API key secrets are 256-bit random strings: a fast hash is enough and keeps look-ups O(1).
    return hashlib.sha256(secret.encode()).hexdigest()


def ensure_environments(session: Session) -> list[Environment]:
    """Create the sandbox and production environments once (idempotent)."""
    existing = {env.name: env for env in repository.environments(session)}
    organization_id = next(iter(existing.values())).organization_id if existing else new_id("org")
    for name in ENVIRONMENT_NAMES:
        if name not in existing:
            existing[name] = Environment(id=new_id("env"), organization_id=organization_id, name=name, created_at=now())
            session.add(existing[name])
    session.flush()
    return [existing[name] for name in ENVIRONMENT_NAMES]


@dataclass
class NewApiKey:
    key: ApiKey
    secret: str  # shown once, never stored


def create_api_key(
    session: Session,
    environment: Environment,
    *,
    name: str = "",
    granted: list[str] | None = None,
    api_version: str | None = None,
    inflection: str | None = None,
) -> NewApiKey:
    granted = list(granted) if granted is not None else list(permissions.ALL)
    unknown = sorted(set(granted) - set(permissions.KNOWN))
    if unknown:
        raise ApiError(400, f"unknown permissions: {', '.join(unknown)}")
    secret = f"persona_{environment.name}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=new_id("api"),
        environment_id=environment.id,
        name=name,
        secret_hash=hash_secret(secret),
        secret_hint=secret[-6:],
        permissions=granted,
        api_version=api_version,
        inflection=inflection,
        ip_allowlist=["*"],
        created_at=now(),
    )
    session.add(key)
    session.flush()
    return NewApiKey(key=key, secret=secret)


def revoke_api_key(session: Session, key: ApiKey) -> None:
    key.revoked_at = now()
    session.flush()
    forget_recent_keys()


# Every API request authenticates. A key found in the last second is trusted again without SQL (half the
# database work of a small request); revoking through openidv clears this at once, and a revocation made
# by another process takes effect within RECENT_KEY_SECONDS.
RECENT_KEY_SECONDS = 1.0
_recent: dict[str, tuple[float, ApiKey, Environment]] = {}


def recent_key(authorization: str | None) -> tuple[ApiKey, Environment] | None:
    hit = _recent.get(hash_secret(authorization or ""))
    if hit is None or hit[0] < time.monotonic() or not usable(hit[1]):
        return None
    return hit[1], hit[2]


def remember_key(authorization: str | None, key: ApiKey, environment: Environment) -> None:
    if len(_recent) > 1000:
        _recent.clear()
    _recent[hash_secret(authorization or "")] = (time.monotonic() + RECENT_KEY_SECONDS, key, environment)  # never the secret itself


def forget_recent_keys() -> None:
    _recent.clear()


def authenticate(session: Session, authorization: str | None) -> tuple[ApiKey, Environment]:
    """The key named by an `Authorization: Bearer` header, and its environment."""
    if not authorization:
        raise ApiError(401, title="Must be authenticated to access this endpoint")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, title="Must be authenticated to access this endpoint")
    found = repository.api_key_by_hash(session, hash_secret(token.strip()))
    if found is None or not usable(found[0]):
        raise ApiError(401, title="Token is invalid")
    return found


def ip_allowed(key: ApiKey, ip: str) -> bool:
    """The key's `ip-address-allowlist` (addresses or networks; `*` allows any)."""
    allowlist = key.ip_allowlist or ["*"]
    if "*" in allowlist:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowlist if entry != "*")


def usable(key: ApiKey) -> bool:
    """Neither revoked nor past the `expires_at` an expire call set."""
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now())


# ---------------------------------------------------------------- dashboard users


def create_user(session: Session, email: str, password: str, role: str, *, sandbox_only: bool = False) -> User:
    email = email.strip().lower()
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ValueError("email must be an e-mail address")
    passwords.check_strength(password, email)
    if repository.user_by_email(session, email):
        raise ValueError(f"a user with e-mail {email} exists already")
    user = User(id=new_id("user"), email=email, password_hash=hash_password(password), role=role, sandbox_only=sandbox_only, created_at=now())
    session.add(user)
    session.flush()
    return user
