"""The email address kind (`verification/email-address`); see its service module for the rules."""

from openidv.verifications.email_address import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(name=service.KIND, router=endpoints.router, attributes=service.attributes)
