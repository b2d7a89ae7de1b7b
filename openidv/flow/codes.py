"""Phone and e-mail steps in the flow, on the real engines (`openidv.verifications.phone_number`,
`email_address`): the person gives a number or address, a one-time code is sent, the person types
it. Cooldown, send cap, wrong-code limit and expiry are the engines' rules (`confirmation.py`)."""


from sqlalchemy.orm import Session

from openidv.inquiry_templates.config import Step
from openidv.kit.errors import ApiError
from openidv.lifecycle import VerificationStatus
from openidv.models import Inquiry, Verification
from openidv.verifications import confirmation, repository as verification_repository, tasks
from openidv.verifications.email_address.service import create as create_email
from openidv.verifications.phone_number.service import create as create_phone
from openidv.verifications.uploads import InputProblem

ACTOR = "flow"
CREATE = {"phone-number": create_phone, "email-address": create_email}
INVALID = {"phone-number": "phone.invalid", "email-address": "email.invalid"}


def handles(kind: str) -> bool:
    return kind in CREATE


def waiting(db: Session, inquiry: Inquiry, step: Step) -> Verification | None:
    """The step's verification that waits for its code, if any."""
    mine = [v for v in verification_repository.of_inquiry(db, inquiry.id) if v.step_id == step.id and v.status == VerificationStatus.INITIATED]
    return mine[-1] if mine else None


def sent_to(verification: Verification) -> str:
    return verification.data.get(verification.kind) or ""


def send(db: Session, verification: Verification, language: str) -> None:
    """Count the send (429 within the cooldown or past the cap); the send job it enqueues delivers the code
    once this transaction commits."""
    try:
        tasks.request_code(db, verification, language)
    except ApiError as exc:
        if exc.status == 429:
            wait = exc.headers.get("Retry-After")
            raise InputProblem("code", "code.wait", seconds=wait) if wait else InputProblem("code", "code.too_many") from None
        raise


def begin(db: Session, inquiry: Inquiry, step: Step, value: str, language: str) -> None:
    attrs = {"inquiry-id": inquiry.id, "verification-template-id": step.id, step.kind: value.strip()}
    try:
        verification = CREATE[step.kind](db, inquiry.environment_id, attrs, ACTOR)
    except ApiError as exc:
        if exc.status in (400, 422):
            raise InputProblem(step.kind, INVALID[step.kind]) from None
        raise
    send(db, verification, language)


def confirm(db: Session, verification: Verification, code: str) -> bool:
    """True when the code was right (the verification is submitted and the inquiry moves on). A wrong
    code counts; the engine fails the verification at its limit or when the code expired."""
    checks = tasks.CHECKS[verification.kind]
    outcome = confirmation.confirm(db, verification, code, checks, ACTOR)
    if outcome == "confirmed":
        confirmation.submit(db, verification, checks, ACTOR)
        return True
    return False
