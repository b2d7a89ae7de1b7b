"""What one verification kind provides, and the kinds this process knows.

A kind is one folder under `openidv/verifications/` whose `__init__.py` describes it with a
`VerificationKind`: its HTTP, how it renders, the job that processes a submitted one, what the hosted
flow captures and runs for its steps, and what redaction takes. The composition root
(`openidv.wiring`) lists the kinds and installs them; nothing here is filled on import.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.models import Inquiry, Verification


@dataclass
class Captured:
    """What the person gave in one step of the hosted flow: form values and the ids of the sealed uploads."""

    values: dict[str, Any] = field(default_factory=dict)
    upload_ids: dict[str, str] = field(default_factory=dict)  # role -> file_ id
    country_code: str | None = None


# (role, checked upload) -> the stored upload's id
Store = Callable[[str, Any], str]
# The flow's intake for a step: validates and stores what the person gave (raises uploads.InputProblem).
Capture = Callable[[Inquiry, Step, TemplateConfig, dict[str, str], dict[str, bytes], Store], Captured]
# The checks of a submitted flow step.
Engine = Callable[[Session, Inquiry, Step, Verification, Captured], list[dict[str, Any]]]
Render = Callable[[Verification], dict[str, Any]]
Forget = Callable[[Session, Verification], None]


@dataclass(frozen=True)
class VerificationKind:
    name: str  # `verification/<name>`, a template step's kind
    router: APIRouter  # its /verification/<plural> endpoints
    attributes: Render  # kind-specific JSON:API attributes
    relationships: Render | None = None
    processing_job: Callable[..., Any] | None = None  # a job (openidv.jobs.job) when processing leaves the request
    periodic: tuple[Callable[[], Any], ...] = ()  # timers (openidv.jobs.every)
    capture: Capture | None = None  # the flow's intake; None: the flow handles the step itself (codes) or takes nothing
    flow_engine: Engine | None = None  # the real checks of a flow step; None: processed in the flow's own pages
    forget: Forget | None = None  # what else a redacted verification of this kind loses (photos, embeddings...)


_installed: dict[str, VerificationKind] = {}


def install(kinds: Iterable[VerificationKind]) -> None:
    _installed.clear()
    _installed.update({kind.name: kind for kind in kinds})


def get(name: str) -> VerificationKind | None:
    return _installed.get(name)


def installed() -> list[VerificationKind]:
    return list(_installed.values())
