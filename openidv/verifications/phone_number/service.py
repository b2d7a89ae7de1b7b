"""Phone-number verifications (`verification/phone-number`): the number is parsed and validated with
`phonenumbers` (E.164, number type, country) against the template's allowed countries and number
types, then confirmed with a one-time code sent by SMS.

Step settings: `allowed_countries` (else the template's), `allowed_number_types` (default mobile and
fixed_line_or_mobile), `code_validity_seconds` (600), `max_code_attempts` (5),
`resend_cooldown_seconds` (30), `max_code_sends` (5), `locale` (en, es).
"""

from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType
from sqlalchemy.orm import Session

from openidv.checks.result import CheckResult
from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.kit.errors import unprocessable
from openidv.kit.jsonapi import get_str
from openidv.models import Verification
from openidv.verifications import confirmation, service as verifications

KIND = "phone-number"
PREFIX = "phone_number"
REQUIRED = frozenset({
    "phone_number_confirmation_code_comparison", "phone_number_timeout_detection", "phone_number_invalid_number_format_detection",
    "phone_number_disallowed_country_detection", "phone_number_deliverable_detection",
})
TYPE_NAMES = {getattr(PhoneNumberType, n): n.lower() for n in dir(PhoneNumberType) if n.isupper()}
SMS_TYPES = frozenset({"mobile", "fixed_line_or_mobile"})  # can receive a text message
POINTER = "/data/attributes/phone-number"


def allowed_countries(config: TemplateConfig, step: Step) -> list[str]:
    return [c.upper() for c in verifications.settings(step).get("allowed_countries") or config.allowed_countries]


def allowed_types(step: Step) -> frozenset[str]:
    return frozenset(verifications.settings(step).get("allowed_number_types") or SMS_TYPES)


def parse(raw: str, country: str | None) -> dict[str, Any]:
    """E.164, region and number type; 422 when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise unprocessable("Invalid phone number", POINTER) from None
    if not phonenumbers.is_valid_number(number):
        raise unprocessable("Invalid phone number", POINTER)
    return {
        "phone-number": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "region": phonenumbers.region_code_for_number(number),
        "number-type": TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
    }


def create(db: Session, environment_id: str, attrs: dict[str, Any], actor: str) -> Verification:
    raw = get_str(attrs, "phone-number", verifications.ATTR, required=True, max_length=40)
    country = get_str(attrs, "country-code", verifications.ATTR, max_length=2)
    target = verifications.resolve(db, environment_id, attrs, KIND)
    parsed = parse(raw or "", country)
    countries = allowed_countries(target.config, target.step)
    if countries and parsed["region"] not in countries:
        raise unprocessable(f"Phone numbers from {parsed['region']} are not allowed", POINTER)
    if parsed["number-type"] not in allowed_types(target.step):
        raise unprocessable(f"This phone number type ({parsed['number-type']}) is not allowed", POINTER)
    return verifications.start(db, environment_id, target, KIND, parsed, parsed["region"], actor)


def build_checks(db: Session, verification: Verification, timed_out: bool) -> list[CheckResult]:
    config, step = verifications.config_for(db, verification)
    required = verifications.requirement(step, REQUIRED)
    data = verification.data
    countries = allowed_countries(config, step)
    return [
        *confirmation.code_checks(PREFIX, verification, timed_out, required),
        verifications.check("phone_number_invalid_number_format_detection", bool(data.get("phone-number")), required),
        verifications.check("phone_number_disallowed_country_detection", not countries or data.get("region") in countries, required,
                            metadata={"country_code": data.get("region")}),
        verifications.check("phone_number_deliverable_detection", data.get("number-type") in SMS_TYPES, required,
                            metadata={"number_type": data.get("number-type")}),
    ]


def attributes(verification: Verification) -> dict[str, Any]:
    number = verification.data.get("phone-number")
    return {"phone-number": number} if number else {}

