"""Partial-name search on sealed names: each token of a first or last name, and its prefixes, as blind indexes.

"Bulk7 Tester" is stored as HMACs of `bulk7`, `bul`, `bulk`, `tester`, `tes`, `test`, `teste`, so a search for
"Test" or "tester bul" finds it without decrypting anything. Prefixes start at 3 characters: shorter ones
("te", "a") would match a large share of all people (slow pages, and an HMAC that frequent says more about the
names behind it); a whole token is always indexed, so two-letter names ("Li", "Wu") are still found in full."""

import re
import unicodedata

from openidv.kit import crypto

PURPOSE = "name-token"
MIN_PREFIX = 3
MAX_TOKEN = 40  # longer runs are not names; cap the rows one person can add
MAX_QUERY_TOKENS = 5
_SPLIT = re.compile(r"[^\w]+|_")


def normalise(text: str) -> str:
    """Case-folded, accents stripped (Zoë -> zoe, Ångström -> angstrom)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    return [t[:MAX_TOKEN] for t in _SPLIT.split(normalise(text)) if t]


def _index(token: str) -> str:
    return crypto.ring().blind_index(PURPOSE, token)


def of_names(*names: object) -> set[str]:
    """Every blind index a person with these names is found by: each token and its prefixes of >= 3 characters."""
    found: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            continue
        for token in tokens(name):
            found.add(_index(token))
            found.update(_index(token[:n]) for n in range(MIN_PREFIX, len(token)))
    return found


def of_query(text: str) -> list[str]:
    """The blind indexes a search must all match (one per token, at most MAX_QUERY_TOKENS), the longest token's first:
    a longer word or prefix is likely the rarer, so the search starts from it."""
    words = sorted(set(tokens(text)[:MAX_QUERY_TOKENS]), key=lambda t: (-len(t), t))
    return [_index(t) for t in words]
