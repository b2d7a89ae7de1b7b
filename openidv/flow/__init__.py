"""The end-user flow: hosted `/verify`, embedded `/widget` and `/preload` (Persona's SDK contract)."""
