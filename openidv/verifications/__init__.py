"""Verifications (`ver_`): checks of what the person gave. Types plug in as their issues land."""
