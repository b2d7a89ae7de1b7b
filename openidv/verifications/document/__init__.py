"""The document kind: proof of address and other papers, read by `openidv.checks.document` in the
`document-verification.process` job (API) or in the request (flow)."""

from openidv.verifications.document import endpoints, service
from openidv.verifications.kinds import VerificationKind

VERIFICATION_KIND = VerificationKind(
    name=service.KIND,
    router=endpoints.router,
    attributes=service.attributes,
    relationships=service.relationships,
    processing_job=service.process_job,
    capture=service.capture,
    flow_engine=service.flow_engine,
    forget=service.forget,
)
