"""What one verification kind provides, and the kinds this process knows.

A kind is one folder under `openidv/verifications/` whose `__init__.py` describes it with a
`VerificationKind`: its HTTP, how it renders, its create and submit (the API's, which the hosted flow
uses too), the job that processes a submitted one, what the hosted flow captures for its steps, what a
passed one tells its inquiry's fields, and what redaction takes. The composition root
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
    """What the person gave in one step of the hosted flow, checked: the attributes the kind's API create
    takes (photos and files as raw bytes), so a flow-made verification is stored as an API-made one is."""

    attributes: dict[str, Any] = field(default_factory=dict)


# The flow's intake for a step: validates what the person gave (raises uploads.InputProblem), stores nothing.
Capture = Callable[[Inquiry, Step, TemplateConfig, dict[str, str], dict[str, bytes]], Captured]
# The API's create from JSON:API attributes (environment id, attributes, actor): the verification, initiated.
Create = Callable[[Session, str, dict[str, Any], str], Verification]
# The API's submit: initiated -> submitted, its processing job enqueued in the caller's transaction.
Submit = Callable[[Session, Verification, str], None]
# Checks that replace a kind's own in its processing job (tests only: `override_checks`).
Engine = Callable[[Session, Verification], list[dict[str, Any]]]
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
    create: Create | None = None  # the API's create; the hosted flow makes its verifications with it too
    submit: Submit | None = None  # the API's submit, which hands the verification to `processing_job`
    capture: Capture | None = None  # the flow's intake; None: the flow handles the step itself (codes) or takes nothing
    inquiry_fields: Render | None = None  # what a passed verification tells its inquiry's fields (read from an ID...)
    forget: Forget | None = None  # what else a redacted verification of this kind loses (photos, embeddings...)


_installed: dict[str, VerificationKind] = {}


def install(kinds: Iterable[VerificationKind]) -> None:
    _installed.clear()
    _installed.update({kind.name: kind for kind in kinds})


def get(name: str) -> VerificationKind | None:
    return _installed.get(name)


def installed() -> list[VerificationKind]:
    return list(_installed.values())


_check_overrides: dict[str, Engine] = {}  # kind -> checks its processing job runs instead of its own (tests)


def override_checks(kind: str, engine: Engine | None) -> None:
    """Tests: the processing job of `kind` concludes with `engine`'s checks (None puts the kind's own back)."""
    if engine is None:
        _check_overrides.pop(kind, None)
    else:
        _check_overrides[kind] = engine


def checks_override(kind: str) -> Engine | None:
    return _check_overrides.get(kind)
