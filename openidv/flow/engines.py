"""Whether a flow step's verification is checked for real or simulated.

A flow step makes its verification with the kind's own `create` and `submit`, as the API does, so the
checks run in the kind's processing job, never in the request. Production always does that; the
sandbox, like Persona's, passes a step whose captured input is valid (one `<kind>_sandbox_simulation`
check, in the request: it reads nothing) unless `OPENIDV_SANDBOX_FLOW_CHECKS=run`. Either way the
verification keeps what was captured (photos, files, id class). A kind without a processing job is
refused in production. Tests may put checks of their own in place of a kind's with `override`: they
run in its processing job, in every environment, the sandbox included.
"""

from typing import Any

from openidv.verifications import kinds
from openidv.verifications.kinds import Engine


class Policy:
    """`OPENIDV_SANDBOX_FLOW_CHECKS`: `simulate` (default, as Persona's sandbox) or `run` the real checks."""

    sandbox_runs_engines = False


def configure(settings: Any) -> None:
    Policy.sandbox_runs_engines = settings.sandbox_flow_checks == "run"


def override(kind: str, engine: Engine) -> None:
    """Conclude verifications of `kind` with `engine(db, verification)`'s checks, in the kind's processing
    job, for every environment's flow, the sandbox included (tests)."""
    kinds.override_checks(kind, engine)


def remove_override(kind: str) -> None:
    kinds.override_checks(kind, None)


def processes(kind: str, *, sandbox: bool = False) -> bool:
    """True when a step of `kind` is handed to the kind's processing job (its checks, or a test's); False
    means the sandbox's simulation (in production: the kind cannot run in the flow)."""
    installed = kinds.get(kind)
    if installed is None or installed.submit is None or installed.processing_job is None:
        return False
    return kinds.checks_override(kind) is not None or not sandbox or Policy.sandbox_runs_engines
