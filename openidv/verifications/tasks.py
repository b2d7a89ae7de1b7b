"""Jobs of phone-number and e-mail-address verifications: deliver a confirmation code, and fail an
unconfirmed verification once its code expired. Each opens its own session; sending happens after
the code's hash is committed, outside any transaction, and a retryable failure raises so the job
port tries again (a retry issues a new code, so only the last delivered one works)."""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from openidv.jobs import enqueue_in_tx, job, session as job_session
from openidv.kit.db import transaction
from openidv.models import Environment, Verification
from openidv.providers import SendError, messages, sender
from openidv.verifications import confirmation
from openidv.verifications.email_address import service as email_addresses
from openidv.verifications.phone_number import service as phone_numbers

log = logging.getLogger("openidv.verifications.tasks")

CHANNEL = {phone_numbers.KIND: "sms", email_addresses.KIND: "email"}
CHECKS = {phone_numbers.KIND: phone_numbers.build_checks, email_addresses.KIND: email_addresses.build_checks}
TARGET = {phone_numbers.KIND: "phone-number", email_addresses.KIND: "email-address"}


def _unit_of_work(sessions: sessionmaker[Session] | None) -> AbstractContextManager[Session]:
    if sessions is not None:
        return transaction(sessions)
    return job_session()  # the job port's session on the job's database


def enqueue(db: Session, fn: Callable[..., Any], key: str, delay_seconds: int = 0, **kwargs: Any) -> None:
    """Run `fn(**kwargs)` after the caller's transaction commits (the job port's enqueue_in_tx)."""
    enqueue_in_tx(db, fn, key=key, delay_seconds=delay_seconds, **kwargs)


@job("verification.time_out_confirmation")
def time_out_confirmation(verification_id: str, sessions: sessionmaker[Session] | None = None) -> bool:
    with _unit_of_work(sessions) as db:
        verification = db.get(Verification, verification_id)
        if verification is None or verification.kind not in CHECKS:
            return False
        return confirmation.time_out(db, verification, CHECKS[verification.kind])


@job("verification.send_confirmation")
def send_confirmation(verification_id: str, request: int = 0, sessions: sessionmaker[Session] | None = None) -> bool:
    """Issue a new code and deliver it. `request` (the send count) only keeps job keys apart."""
    with _unit_of_work(sessions) as db:
        verification = db.get(Verification, verification_id)
        if verification is None or verification.kind not in CHANNEL:
            return False
        issued = confirmation.issue(db, verification)
        if issued is None:
            return False
        code, validity = issued
        row = db.get(confirmation.ConfirmationCode, verification_id)
        environment = db.get(Environment, verification.environment_id)
        to = verification.data.get(TARGET[verification.kind]) or ""
        message = messages.confirmation(CHANNEL[verification.kind], to, code, max(1, validity // 60), row.locale if row else None,
                                        sandbox=bool(environment and environment.is_sandbox))
        enqueue(db, time_out_confirmation, key=f"timeout:{verification_id}:{request}", delay_seconds=validity + 1, verification_id=verification_id)
    try:
        sender(message.channel).send(message)
    except SendError as exc:
        if exc.retry:
            raise
        log.error("confirmation code for %s not delivered: %s", verification_id, exc)
        return False
    return True


def request_code(db: Session, verification: Verification, locale: str | None) -> None:
    """The API's send-confirmation-code: count the request, then deliver in a job after commit."""
    row = confirmation.request_send(db, verification, CHANNEL[verification.kind], locale)
    enqueue(db, send_confirmation, key=f"send:{verification.id}:{row.sends}", verification_id=verification.id, request=row.sends)
