"""One normalisation for list names and query names: transliterate, drop titles and punctuation,
lowercase, split into tokens. Phonetic keys and prefixes feed the blocking index."""

import re
import unicodedata

from anyascii import anyascii

TITLES = frozenset(
    "mr mrs ms miss dr prof sir lord lady sheikh shaykh haji hajji mullah maulana general gen col colonel "
    "capt captain major lt sgt president minister hon honourable honorable his her excellency".split()
)
_NON_WORD = re.compile(r"[^a-z0-9]+")


def tokens(name: str) -> list[str]:
    """`"Dr. José  O'Neill-Smith"` → `["jose", "oneill", "smith"]` (titles and 1-char noise kept as initials)."""
    text = anyascii(unicodedata.normalize("NFKC", name)).lower().replace("'", "").replace("`", "")
    return [t for t in _NON_WORD.split(text) if t and t not in TITLES]


def normal(name: str) -> str:
    return " ".join(tokens(name))


def phonetic(token: str) -> str:
    """A small consonant-skeleton key (Soundex-like, any length): typo- and spelling-tolerant blocking."""
    if not token:
        return ""
    groups = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    out = [token[0]]
    last = groups.get(token[0], "")
    for ch in token[1:]:
        code = groups.get(ch, "")
        if code and code != last:
            out.append(code)
        last = code
    return "".join(out)[:5]
