"""The second scorer: nomenklatura's `logic-v2` matcher (MIT) on two FollowTheMoney entities that carry
only a name, so its score is the name match (symbolic name pairing across scripts and cultures, fuzzy
remainder, weights for unmatched parts). It costs ~0.3 ms a pair and loads its name data (~10 s) on first
use, so the matcher calls it only for the few blocked candidates that pass a cheap pre-filter.

Entity ids are derived from the name text: nomenklatura memoises name analysis by entity id, so an id
must never stand for two different names."""

import hashlib
import threading
from functools import lru_cache
from importlib.metadata import version
from typing import Any

NAME = "nomenklatura-logic-v2"
VERSION = version("nomenklatura")
_lock = threading.Lock()
_ready = False


def _schema(schema: str) -> str:
    return "Person" if schema == "Person" else "LegalEntity"


@lru_cache(maxsize=65536)
def _entity(name: str, schema: str) -> Any:
    from followthemoney import model  # noqa: PLC0415 - ~2 s to import: only when a list name is scored

    entity = model.make_entity(_schema(schema))
    entity.id = f"{schema[:1]}{hashlib.blake2b(name.encode(), digest_size=12).hexdigest()}"
    entity.add("name", name)
    return entity


def _algorithm() -> Any:
    global _ready
    from nomenklatura.matching import LogicV2  # noqa: PLC0415 - ~6 s to import: only when a list name is scored

    if not _ready:
        with _lock:  # the first compare loads rigour's name data; one thread does it
            if not _ready:
                from nomenklatura.matching.types import ScoringConfig  # noqa: PLC0415 - as LogicV2

                LogicV2.compare(_entity("warm up", "Person"), _entity("warm up now", "Person"), ScoringConfig.defaults())
                _ready = True
    return LogicV2


def warm() -> None:
    """Load the name data now (e.g. while an index is built) rather than in the first request."""
    _algorithm()


def score(query_name: str, list_name: str, schema: str = "Person") -> tuple[float, str]:
    """(score 0..1, nomenklatura's explanation of the name alignment)."""
    from nomenklatura.matching.types import ScoringConfig  # noqa: PLC0415 - as LogicV2

    result = _algorithm().compare(_entity(query_name, "Person"), _entity(list_name, schema), ScoringConfig.defaults())
    detail = result.explanations.get("name_match")
    return max(0.0, min(1.0, float(result.score))), (detail.detail or "") if detail is not None else ""
