"""The government-ID kind: photos of an ID card, passport or licence, read and checked by
`openidv.checks.government_id` in the `government-id.process` job, whether the API or the hosted flow made it."""

from openidv.verifications.government_id import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(
    name=service.KIND,
    router=endpoints.router,
    attributes=service.attributes,
    processing_job=service.process_job,
    create=service.create,
    submit=service.submit,
    capture=service.capture,
    inquiry_fields=service.inquiry_fields,
    forget=service.forget_photos,
)
