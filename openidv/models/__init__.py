"""SQLAlchemy tables, one file per table. Importing this package registers them all on `Base.metadata`."""

from openidv.models import dashboard_indexes  # noqa: F401 - registers indexes on other tables
from openidv.models.account import Account
from openidv.models.api_key import ApiKey
from openidv.models.api_log import ApiLog
from openidv.models.audit_log import AuditLog
from openidv.models.case import Case
from openidv.models.case_comment import CaseComment
from openidv.models.case_object import CaseObject
from openidv.models.case_template import CaseTemplate
from openidv.models.confirmation_code import ConfirmationCode
from openidv.models.document import Document
from openidv.models.environment import Environment
from openidv.models.event import Event
from openidv.models.flow_consent import FlowConsent
from openidv.models.flow_upload import FlowUpload
from openidv.models.government_id_fingerprint import GovernmentIdFingerprint
from openidv.models.idempotency_record import IdempotencyRecord
from openidv.models.inquiry import Inquiry
from openidv.models.inquiry_session import InquirySession
from openidv.models.inquiry_template import InquiryTemplate
from openidv.models.inquiry_template_version import InquiryTemplateVersion
from openidv.models.job import Job
from openidv.models.list_entry import ListEntry
from openidv.models.list_snapshot import ListSnapshot
from openidv.models.name_token import NameToken
from openidv.models.one_time_link import OneTimeLink
from openidv.models.record import Record
from openidv.models.report import Report
from openidv.models.report_template import ReportTemplate
from openidv.models.selfie_biometric import SelfieBiometric
from openidv.models.sign_in_throttle import SignInThrottle
from openidv.models.tag import Tag
from openidv.models.user import User
from openidv.models.user_session import UserSession
from openidv.models.verification import Verification
from openidv.models.webhook import Webhook
from openidv.models.webhook_delivery import WebhookDelivery
from openidv.models.workflow import Workflow
from openidv.models.workflow_run import WorkflowRun
from openidv.models.workflow_run_step import WorkflowRunStep
from openidv.models.workflow_version import WorkflowVersion

__all__ = [
    "Account",
    "ApiKey",
    "ApiLog",
    "AuditLog",
    "Case",
    "CaseComment",
    "CaseObject",
    "CaseTemplate",
    "ConfirmationCode",
    "Document",
    "Environment",
    "Event",
    "FlowConsent",
    "FlowUpload",
    "GovernmentIdFingerprint",
    "IdempotencyRecord",
    "Inquiry",
    "InquirySession",
    "InquiryTemplate",
    "InquiryTemplateVersion",
    "Job",
    "ListEntry",
    "ListSnapshot",
    "NameToken",
    "OneTimeLink",
    "Record",
    "Report",
    "ReportTemplate",
    "SelfieBiometric",
    "SignInThrottle",
    "Tag",
    "User",
    "UserSession",
    "Verification",
    "Webhook",
    "WebhookDelivery",
    "Workflow",
    "WorkflowRun",
    "WorkflowRunStep",
    "WorkflowVersion",
]
