"""Persona's API keys endpoints (`/api-keys`): list, create, retrieve, update, expire, clone."""
