"""openidv: self-hostable identity verification, wire-compatible with Persona's API."""

__version__ = "0.1.0"
