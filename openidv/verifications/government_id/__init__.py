"""The government-ID kind: photos of an ID card, passport or licence, read and checked by
`openidv.checks.government_id` in the `government-id.process` job (API) or in the request (flow)."""

from openidv.verifications.government_id import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(
    name=service.KIND,
    router=endpoints.router,
    attributes=service.attributes,
    processing_job=service.process_job,
    capture=service.capture,
    flow_engine=service.flow_engine,
    forget=service.forget_photos,
)
