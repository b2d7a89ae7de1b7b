"""Persona's API logs (`/api-logs`): one row per authenticated API request, written by the API middleware."""
