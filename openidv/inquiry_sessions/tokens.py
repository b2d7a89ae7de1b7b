"""Session tokens: HS256 JWTs naming the session in `sub` and `sid` (COMPAT.md §5)."""

import uuid
from datetime import timedelta
from urllib.parse import urlparse

import jwt

from openidv.kit.clock import now

AUDIENCE = "persona-verify"
LIFETIME = timedelta(seconds=86400)


def issue(secret: str, base_url: str, session_id: str) -> str:
    issued = now()
    claims = {
        "sub": session_id,
        "sid": session_id,
        "aud": AUDIENCE,
        "iss": urlparse(base_url).netloc or base_url,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + LIFETIME).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def session_id_of(secret: str, token: str) -> str | None:
    """The session a valid token names, else None (bad signature, expired, wrong audience)."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, options={"require": ["exp", "sid"]}, leeway=5)
    except jwt.PyJWTError:
        return None
    sid = claims.get("sid")
    return sid if isinstance(sid, str) and sid == claims.get("sub") else None
