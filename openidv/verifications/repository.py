"""SQL for verifications."""

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openidv.kit.db import affected_rows
from openidv.lifecycle import InquiryTemplateVersionStatus, VerificationStatus
from openidv.models import FlowUpload, GovernmentIdFingerprint, Inquiry, InquiryTemplateVersion, SelfieBiometric, Verification


def get(session: Session, environment_id: str, verification_id: str) -> Verification | None:
    row = session.get(Verification, verification_id)
    return row if row is not None and row.environment_id == environment_id else None


def get_for_update(session: Session, environment_id: str, verification_id: str) -> Verification | None:
    """Lock the row on PostgreSQL so two confirmations of one code queue (SQLite's writer lock does it there)."""
    return session.scalar(select(Verification).where(Verification.id == verification_id, Verification.environment_id == environment_id).with_for_update())


def published_versions(session: Session, environment_id: str) -> list[InquiryTemplateVersion]:
    """Where a verification template id (a step of some version) is looked up when no inquiry is given."""
    query = select(InquiryTemplateVersion).where(
        InquiryTemplateVersion.environment_id == environment_id, InquiryTemplateVersion.status == InquiryTemplateVersionStatus.PUBLISHED
    )
    return list(session.scalars(query.order_by(InquiryTemplateVersion.created_at.desc())))


# ---------------------------------------------------------------- selfie biometrics


def account_selfie_embeddings(session: Session, account_id: str, exclude_verification_id: str) -> list[SelfieBiometric]:
    """Embeddings of the account's earlier passed selfies (its other inquiries included)."""
    query = (
        select(SelfieBiometric)
        .join(Verification, Verification.id == SelfieBiometric.verification_id)
        .join(Inquiry, Inquiry.id == Verification.inquiry_id)
        .where(Inquiry.account_id == account_id, Verification.id != exclude_verification_id, Verification.status == VerificationStatus.PASSED,
               Verification.redacted_at.is_(None), SelfieBiometric.embedding_sealed.is_not(None))
        .order_by(SelfieBiometric.created_at.desc())
        .limit(20)
    )
    return list(session.scalars(query))


def selfie_biometrics_before(session: Session, cutoff: datetime, limit: int) -> list[str]:
    """Verification ids whose biometric data is older than the retention period allows."""
    query = select(SelfieBiometric.verification_id).where(SelfieBiometric.created_at < cutoff).order_by(SelfieBiometric.created_at).limit(limit)
    return list(session.scalars(query))


def delete_flow_uploads(session: Session, verification_id: str) -> int:
    """The hosted flow's sealed captures of one verification (its selfie frames)."""
    return affected_rows(session.execute(delete(FlowUpload).where(FlowUpload.verification_id == verification_id)))


def fingerprint_owners(session: Session, environment_id: str, kind: str, values: list[str], exclude_verification: str) -> list[GovernmentIdFingerprint]:
    """Earlier government-ID fingerprints of these kinds and values (other verifications only)."""
    if not values:
        return []
    query = select(GovernmentIdFingerprint).where(
        GovernmentIdFingerprint.environment_id == environment_id, GovernmentIdFingerprint.kind == kind,
        GovernmentIdFingerprint.value.in_(values), GovernmentIdFingerprint.verification_id != exclude_verification)
    return list(session.scalars(query.order_by(GovernmentIdFingerprint.created_at).limit(1000)))


def portrait_hashes(session: Session, verification_ids: set[str]) -> list[GovernmentIdFingerprint]:
    if not verification_ids:
        return []
    query = select(GovernmentIdFingerprint).where(GovernmentIdFingerprint.kind == "portrait",
                                                  GovernmentIdFingerprint.verification_id.in_(sorted(verification_ids)))
    return list(session.scalars(query))


def replace_fingerprints(session: Session, verification_id: str, rows: list[GovernmentIdFingerprint]) -> None:
    """A verification's fingerprints, replaced as a whole (its job may run more than once)."""
    session.execute(delete(GovernmentIdFingerprint).where(GovernmentIdFingerprint.verification_id == verification_id))
    session.add_all(rows)


def inquiry_for_update(session: Session, environment_id: str, inquiry_id: str) -> Inquiry | None:
    """The inquiry a new verification is made on, locked as the inquiry's own status changes lock it."""
    return session.scalar(select(Inquiry).where(Inquiry.id == inquiry_id, Inquiry.environment_id == environment_id).with_for_update())


def of_inquiry(session: Session, inquiry_id: str) -> list[Verification]:
    return list(session.scalars(select(Verification).where(Verification.inquiry_id == inquiry_id).order_by(Verification.created_at)))
