"""The document kind: proof of address and other papers, read by `openidv.checks.document` in the
`document-verification.process` job, whether the API or the hosted flow made it."""

from openidv.verifications.document import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(
    name=service.KIND,
    router=endpoints.router,
    attributes=service.attributes,
    relationships=service.relationships,
    processing_job=service.process_job,
    create=service.create,
    submit=service.submit,
    capture=service.capture,
    forget=service.forget,
)
