"""The selfie kind: three poses (or the center only), compared with the inquiry's ID portrait and the
account's earlier selfies by `openidv.checks.selfie`; biometric data purged after the retention period."""

from openidv.verifications.kinds import VerificationKind
from openidv.verifications.selfie import endpoints, flow_step, service

VERIFICATION_KIND = VerificationKind(
    name=service.KIND,
    router=endpoints.router,
    attributes=service.attributes,
    processing_job=service.process_job,
    periodic=(service.purge_expired_job,),
    create=service.create,
    submit=service.submit,
    capture=flow_step.capture,
    forget=service.forget,
)
