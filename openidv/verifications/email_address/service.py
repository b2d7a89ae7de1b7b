"""E-mail-address verifications (`verification/email-address`): syntax and normalisation with
`email-validator` (a DNS deliverability look-up only when `OPENIDV_EMAIL_CHECK_DELIVERABILITY` is
true), then a one-time code sent by e-mail. Step settings as for phone numbers; codes may be valid
up to 24 h (`code_validity_seconds`, default 600).
"""

from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from openidv.checks.result import CheckResult
from openidv.kit.errors import unprocessable
from openidv.kit.jsonapi import get_str
from openidv.models import Verification
from openidv.providers import ProviderSettings
from openidv.verifications import confirmation, service as verifications

KIND = "email-address"
PREFIX = "email_address"
REQUIRED = frozenset({"email_address_confirmation_code_comparison", "email_address_timeout_detection", "email_address_invalid_email_format_detection"})


def normalise(raw: str, deliverability: bool) -> str:
    try:
        return validate_email(raw, check_deliverability=deliverability).normalized
    except EmailNotValidError as exc:
        raise unprocessable(f"Invalid email address: {exc}", "/data/attributes/email-address") from None


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    raw = get_str(attrs, "email-address", verifications.ATTR, required=True, max_length=320)
    target = verifications.resolve(db, environment_id, attrs, KIND)
    address = normalise(raw or "", ProviderSettings().email_check_deliverability)
    country = get_str(attrs, "country-code", verifications.ATTR, max_length=2)
    return verifications.start(db, environment_id, target, KIND, {"email-address": address}, country.upper() if country else None, actor)


def build_checks(db: Session, verification: Verification, timed_out: bool) -> list[CheckResult]:
    _, step = verifications.config_for(db, verification)
    required = verifications.requirement(step, REQUIRED)
    return [
        *confirmation.code_checks(PREFIX, verification, timed_out, required),
        verifications.check("email_address_invalid_email_format_detection", bool(verification.data.get("email-address")), required),
    ]


def attributes(verification: Verification) -> dict[str, Any]:
    return {"email-address": verification.data.get("email-address")}

