"""Indexes the dashboard's lists need on tables other features own (created by the dashboard's migration)."""

from sqlalchemy import Index

from openidv.models.inquiry import Inquiry

# The inquiry list filtered by template and status, newest first, without a sort over every match.
INQUIRIES_BY_TEMPLATE_STATUS = Index(
    "ix_inquiries_env_template_status_created", Inquiry.environment_id, Inquiry.template_id, Inquiry.status, Inquiry.created_at, Inquiry.id
)
