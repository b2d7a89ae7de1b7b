"""The fonts the generators draw with, shipped beside them (fonts/, licences in fonts/LICENSES.txt), so a
generated document is the same on every machine whatever fonts it has installed."""

from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
OCRB = FONTS / "OCRB.otf"  # the MRZ's typeface (ICAO Doc 9303)
SANS = FONTS / "DejaVuSans.ttf"
SANS_BOLD = FONTS / "DejaVuSans-Bold.ttf"
