"""The phone number kind (`verification/phone-number`); see its service module for the rules."""

from openidv.verifications.kinds import VerificationKind
from openidv.verifications.phone_number import endpoints, service

VERIFICATION_KIND = VerificationKind(name=service.KIND, router=endpoints.router, attributes=service.attributes)
