"""Environments, API keys (stored hashed), permissions and dashboard users."""
