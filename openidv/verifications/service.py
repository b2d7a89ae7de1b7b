"""Rules every verification type shares: creation on an inquiry, and the outcome from its checks."""

from typing import Any

from sqlalchemy.orm import Session

from openidv import lifecycle
from openidv.kit.clock import now
from openidv.kit.ids import new_id
from openidv.models import Inquiry, Verification


def create(
    db: Session, inquiry: Inquiry | None, kind: str, step_id: str | None, *, actor: str | None = None, data: dict[str, Any] | None = None,
    environment_id: str | None = None,
) -> Verification:
    """A new verification, on an inquiry (the first one starts a `created` inquiry) or, by API, on none."""
    verification = Verification(
        id=new_id("ver"), environment_id=inquiry.environment_id if inquiry else environment_id, inquiry_id=inquiry.id if inquiry else None,
        kind=kind, step_id=step_id, created_at=now(),
    )
    verification.data = data or {}
    if inquiry is not None and inquiry.status == "created":
        lifecycle.transition(db, inquiry, "start", actor=actor)
    lifecycle.create(db, verification, actor=actor)
    return verification


def passes(checks: list[dict[str, Any]]) -> bool:
    """A verification passes iff every required check passed."""
    return all(c.get("status") == "passed" for c in checks if c.get("requirement") == "required")


def conclude(db: Session, verification: Verification, checks: list[dict[str, Any]], actor: str | None = None) -> None:
    """Record the checks and move a submitted verification to passed or failed."""
    verification.checks = checks
    lifecycle.transition(db, verification, "pass" if passes(checks) else "fail", actor=actor)


def check(name: str, passed: bool, *, reasons: list[str] | None = None, required: bool = True, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "status": "passed" if passed else "failed",
        "reasons": reasons or [],
        "requirement": "required" if required else "not_required",
        "metadata": metadata or {},
    }
