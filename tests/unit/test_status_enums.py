"""The status enums are the machines' statuses: each `*_STATUSES` tuple is its enum's values in order, every
member is a plain-string-compatible status, and every status a machine starts from or moves to is a member
of that machine's enum (and every member is used)."""

from openidv import lifecycle
from openidv.lifecycle import machines
from openidv.lifecycle.machines import MACHINES, STATUS_ENUMS

DECLARED = {
    machines.InquiryStatus: machines.INQUIRY_STATUSES,
    machines.VerificationStatus: machines.VERIFICATION_STATUSES,
    machines.DocumentStatus: machines.DOCUMENT_STATUSES,
    machines.SessionStatus: machines.SESSION_STATUSES,
    machines.InquiryTemplateVersionStatus: machines.TEMPLATE_VERSION_STATUSES,
    machines.InquiryTemplateStatus: machines.TEMPLATE_STATUSES,
    machines.AccountStatus: machines.ACCOUNT_STATUSES,
    machines.ReportStatus: machines.REPORT_STATUSES,
    machines.WebhookStatus: machines.WEBHOOK_STATUSES,
    machines.WebhookDeliveryStatus: machines.DELIVERY_STATUSES,
    machines.CaseStatus: machines.CASE_STATUSES,
    machines.WorkflowStatus: machines.WORKFLOW_STATUSES,
    machines.WorkflowVersionStatus: machines.WORKFLOW_VERSION_STATUSES,
    machines.WorkflowRunStatus: machines.WORKFLOW_RUN_STATUSES,
    machines.WorkflowRunStepStatus: machines.WORKFLOW_RUN_STEP_STATUSES,
}


def test_each_enum_is_its_statuses() -> None:
    assert set(DECLARED) == set(STATUS_ENUMS.values())
    for enum, statuses in DECLARED.items():
        assert [member.value for member in enum] == list(statuses), enum.__name__
        for member in enum:
            assert member == member.value and hash(member) == hash(member.value) and f"{member}" == member.value
            assert member.name == member.value.upper()
        assert getattr(lifecycle, enum.__name__) is enum  # exported from openidv.lifecycle


def test_every_status_a_machine_names_is_a_member() -> None:
    assert set(STATUS_ENUMS) == set(MACHINES)
    for resource, table in MACHINES.items():
        members = set(STATUS_ENUMS[resource])
        named = {source for (source, _) in table if source is not None} | {move.to for move in table.values() if move.to is not None}
        assert named <= members, (resource, named - members)
        assert members <= named, (resource, members - named)  # and no member is a status the machine never uses
