"""Inquiries (`inq_`): one person's attempt to verify, made from a template version."""
