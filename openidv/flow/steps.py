"""The step → engine hook. A verification engine for a step kind registers here; the flow calls it
with the captured input once the verification is submitted.

An engine returns the verification's checks (see `openidv.verifications.service.check`). Production
runs the provided engines; the sandbox, like Persona's, passes a step whose captured input is valid
(checks named `<kind>_sandbox_simulation`) unless `OPENIDV_SANDBOX_FLOW_CHECKS=run`. A kind without an
engine is refused in production.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from openidv import config
from openidv.inquiry_templates.config import Step
from openidv.models import Inquiry, Verification


@dataclass
class Captured:
    """What the person gave in one step: form values and the ids of the sealed uploads."""

    values: dict[str, Any] = field(default_factory=dict)
    upload_ids: dict[str, str] = field(default_factory=dict)  # role -> file_ id
    country_code: str | None = None


Engine = Callable[[Session, Inquiry, Step, Verification, Captured], list[dict[str, Any]]]
_PROVIDED: dict[str, Engine] = {}  # the real checks, run in production (and in the sandbox when configured)
_ENGINES: dict[str, Engine] = {}  # registered explicitly: run in every environment


class Policy:
    """`OPENIDV_SANDBOX_FLOW_CHECKS`: `simulate` (default, as Persona's sandbox) or `run` the real checks."""

    sandbox_runs_engines = False


def provide_engine(kind: str, engine: Engine) -> None:
    """A verification module offers its checks for the flow's steps of `kind`."""
    _PROVIDED[kind] = engine


def register_engine(kind: str, engine: Engine) -> None:
    _ENGINES[kind] = engine


def unregister_engine(kind: str) -> None:
    _ENGINES.pop(kind, None)


def engine_for(kind: str, *, sandbox: bool = False) -> Engine | None:
    """The engine for a step; None in the sandbox means the honest simulation."""
    if kind in _ENGINES:
        return _ENGINES[kind]
    if sandbox and not Policy.sandbox_runs_engines:
        return None
    return _PROVIDED.get(kind)


def _configure(settings: Any) -> None:
    Policy.sandbox_runs_engines = settings.sandbox_flow_checks == "run"


config.on_bootstrap(_configure)
