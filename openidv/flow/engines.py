"""Which checks a flow step runs. Each verification kind offers its engine (`VerificationKind.flow_engine`);
the flow calls it with the captured input once the verification is submitted.

Production runs the kinds' engines; the sandbox, like Persona's, passes a step whose captured input is
valid (checks named `<kind>_sandbox_simulation`) unless `OPENIDV_SANDBOX_FLOW_CHECKS=run`. A kind
without an engine is refused in production. Tests may put an engine in place for every environment
with `override`.
"""

from typing import Any

from openidv.verifications import kinds
from openidv.verifications.kinds import Engine

_OVERRIDES: dict[str, Engine] = {}  # run in every environment, the sandbox included (tests)


class Policy:
    """`OPENIDV_SANDBOX_FLOW_CHECKS`: `simulate` (default, as Persona's sandbox) or `run` the real checks."""

    sandbox_runs_engines = False


def configure(settings: Any) -> None:
    Policy.sandbox_runs_engines = settings.sandbox_flow_checks == "run"


def override(kind: str, engine: Engine) -> None:
    """Run `engine` for steps of `kind` in every environment's flow, the sandbox included."""
    _OVERRIDES[kind] = engine


def remove_override(kind: str) -> None:
    _OVERRIDES.pop(kind, None)


def engine_for(kind: str, *, sandbox: bool = False) -> Engine | None:
    """The engine for a step; None in the sandbox means the honest simulation."""
    if kind in _OVERRIDES:
        return _OVERRIDES[kind]
    if sandbox and not Policy.sandbox_runs_engines:
        return None
    installed = kinds.get(kind)
    return installed.flow_engine if installed else None
