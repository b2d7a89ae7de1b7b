"""THE status machines: the only code that writes a status column (DESIGN.md §4)."""

from openidv.lifecycle.machines import (
    OPEN_INQUIRY_STATUSES,
    AccountStatus,
    CaseStatus,
    DocumentStatus,
    InquiryStatus,
    InquiryTemplateStatus,
    InquiryTemplateVersionStatus,
    ReportStatus,
    SessionStatus,
    VerificationStatus,
    WebhookDeliveryStatus,
    WebhookStatus,
    WorkflowRunStatus,
    WorkflowStatus,
    WorkflowVersionStatus,
)
from openidv.lifecycle.transition import IllegalTransition, allowed as transition_allowed, create, transition

__all__ = [
    "AccountStatus",
    "CaseStatus",
    "DocumentStatus",
    "IllegalTransition",
    "InquiryStatus",
    "InquiryTemplateStatus",
    "InquiryTemplateVersionStatus",
    "OPEN_INQUIRY_STATUSES",
    "ReportStatus",
    "SessionStatus",
    "VerificationStatus",
    "WebhookDeliveryStatus",
    "WebhookStatus",
    "WorkflowRunStatus",
    "WorkflowStatus",
    "WorkflowVersionStatus",
    "create",
    "transition",
    "transition_allowed",
]
