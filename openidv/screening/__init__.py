"""Sanctions and PEP screening: list adapters into one canonical record, name normalisation,
an in-process blocking index and scorers. Domain code only; storage lives in `openidv.reports`."""
