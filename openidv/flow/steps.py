"""The step → engine hook. A verification engine for a step kind registers here; the flow calls it
with the captured input once the verification is submitted.

An engine returns the verification's checks (see `openidv.verifications.service.check`). Until an
engine exists for a kind, the sandbox passes a step whose captured input is valid (checks named
`<kind>_sandbox_simulation`) and production refuses to run it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from openidv.inquiry_templates.config import Step
from openidv.models import Inquiry, Verification


@dataclass
class Captured:
    """What the person gave in one step: form values and the ids of the sealed uploads."""

    values: dict[str, Any] = field(default_factory=dict)
    upload_ids: dict[str, str] = field(default_factory=dict)  # role -> file_ id
    country_code: str | None = None


Engine = Callable[[Session, Inquiry, Step, Verification, Captured], list[dict[str, Any]]]
_ENGINES: dict[str, Engine] = {}


def register_engine(kind: str, engine: Engine) -> None:
    _ENGINES[kind] = engine


def unregister_engine(kind: str) -> None:
    _ENGINES.pop(kind, None)


def engine_for(kind: str) -> Engine | None:
    return _ENGINES.get(kind)
