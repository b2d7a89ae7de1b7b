"""The database kind (`verification/database`); see its service module for the rules."""

from openidv.verifications.database import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(name=service.KIND, router=endpoints.router, attributes=service.attributes, create=service.create)
