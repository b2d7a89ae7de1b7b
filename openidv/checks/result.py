"""The one check-result type every engine returns: Persona's check object (`name`, `status`,
`reasons`, `requirement`, `metadata`), as the verification stores and renders it."""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

Status = Literal["passed", "failed", "not_applicable"]


class CheckResult(TypedDict):
    name: str
    status: Status
    reasons: list[str]
    requirement: Literal["required", "not_required"]
    metadata: dict[str, Any]


def check(name: str, passed: bool, *, reasons: list[str] | None = None, required: bool = True,
          metadata: dict[str, Any] | None = None) -> CheckResult:
    return {
        "name": name,
        "status": "passed" if passed else "failed",
        "reasons": reasons or [],
        "requirement": "required" if required else "not_required",
        "metadata": metadata or {},
    }


def passes(checks: Sequence[Mapping[str, Any]]) -> bool:
    """A verification passes iff every required check passed."""
    return all(c.get("status") == "passed" for c in checks if c.get("requirement") == "required")
