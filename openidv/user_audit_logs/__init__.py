"""Persona's user audit logs (`/user-audit-logs`): the dashboard's own audit log (`audit_logs`), one row per
dashboard action, read through the API."""
