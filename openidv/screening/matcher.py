"""Blocking index and two name scorers, Jaro-Winkler best-pair and nomenklatura's logic-v2 (the higher
wins), with qualifiers from birth date, nationality, gender and identity numbers.

Every hit carries its explanation: matched name and alias kind, part-by-part alignment, both scores,
the winning scorer and its version, and the qualifiers that moved the score.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from rapidfuzz.distance import JaroWinkler

from openidv.screening import logic_v2
from openidv.screening.normalise import phonetic, tokens
from openidv.screening.record import Record

SCORER = "jaro-winkler-best-pair"
SCORER_VERSION = f"1 (rapidfuzz {version('rapidfuzz')})"
# logic-v2 runs only on candidates whose best-pair score is within this of the threshold, at most this many
LOGIC_V2_MARGIN = 0.35
LOGIC_V2_MAX = 12
PRESETS = {"exact": 1.0, "strict": 0.92, "tolerant": 0.85}
# every query token must pair with a list token at least this similar (one weak token sinks a near-miss)
TOKEN_FLOOR = {"exact": 1.0, "strict": 0.8, "tolerant": 0.7}
DATE_BONUS = {"day": 0.03, "month": 0.02, "year": 0.0}
MAX_CANDIDATES = 300


@dataclass
class Query:
    name: str
    birthdate: str | None = None  # YYYY-MM-DD
    country: str | None = None  # ISO alpha-2
    gender: str | None = None  # male | female
    documents: tuple[str, ...] = ()  # identity document numbers

    @property
    def tokens(self) -> list[str]:
        return tokens(self.name)


@dataclass
class Hit:
    list_name: str
    record: Record
    score: float
    explanation: dict[str, Any] = field(default_factory=dict)


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:  # an initial agrees with the name it abbreviates
        return 0.9 if a[0] == b[0] else 0.0
    return JaroWinkler.similarity(a, b)


def best_pair(query: list[str], candidate: list[str]) -> tuple[float, list[dict[str, Any]]]:
    """Greedy best pairing of tokens (order-free); unmatched candidate tokens cost a little, unmatched query tokens a lot."""
    pairs = sorted(((_token_similarity(q, c), i, j) for i, q in enumerate(query) for j, c in enumerate(candidate)), reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    alignment = []
    gained = 0.0
    for sim, i, j in pairs:
        if i in used_q or j in used_c or sim < 0.7:
            continue
        used_q.add(i)
        used_c.add(j)
        weight = max(len(query[i]), 2)
        gained += sim * weight
        alignment.append({"query": query[i], "list": candidate[j], "similarity": round(sim, 4)})
    total = sum(max(len(t), 2) for t in query) + 0.1 * sum(max(len(t), 2) for j, t in enumerate(candidate) if j not in used_c)
    return (gained / total if total else 0.0), alignment


def _date_qualifier(query_date: str | None, record: Record) -> tuple[float, dict[str, Any] | None]:
    if not query_date or not record.birth_dates:
        return 0.0, None
    for bd in record.birth_dates:
        if query_date.startswith(bd.value):
            bonus = DATE_BONUS[bd.precision]
            return bonus, {"qualifier": "birthdate", "effect": "match", "list": bd.value, "precision": bd.precision, "delta": bonus}
    years = [int(bd.value[:4]) for bd in record.birth_dates]
    near = any(abs(int(query_date[:4]) - y) <= 1 for y in years)
    delta = -0.1 if near else -0.2
    return delta, {"qualifier": "birthdate", "effect": "conflict", "list": [bd.value for bd in record.birth_dates], "delta": delta}


def _country_qualifier(country: str | None, record: Record) -> tuple[float, dict[str, Any] | None]:
    known = set(record.nationalities) | set(record.countries)
    if not country or not known:
        return 0.0, None
    if country.upper() in known:
        return 0.02, {"qualifier": "country", "effect": "match", "list": sorted(known), "delta": 0.02}
    return -0.05, {"qualifier": "country", "effect": "conflict", "list": sorted(known), "delta": -0.05}


def _gender_qualifier(gender: str | None, record: Record) -> tuple[float, dict[str, Any] | None]:
    if gender not in ("male", "female") or record.gender not in ("male", "female"):
        return 0.0, None
    if gender == record.gender:
        return 0.0, {"qualifier": "gender", "effect": "match", "list": record.gender, "delta": 0.0}
    return -0.1, {"qualifier": "gender", "effect": "conflict", "list": record.gender, "delta": -0.1}


def _identifier(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())


def _document_qualifier(numbers: tuple[str, ...], record: Record) -> tuple[float, dict[str, Any] | None]:
    """A shared identity number confirms the person; a different one proves nothing (people hold several)."""
    listed = {_identifier(d.number): d for d in record.documents if _identifier(d.number)}
    shared = [listed[n] for n in dict.fromkeys(_identifier(x) for x in numbers) if n in listed]
    if not shared:
        return 0.0, None
    return 0.1, {"qualifier": "identity-document", "effect": "match", "list": [f"{d.kind} {d.number}" for d in shared], "delta": 0.1}


class Index:
    """In-memory blocking index over every alias of every record of one or more lists."""

    def __init__(self) -> None:
        self.names: list[tuple[str, Record, int, list[str]]] = []  # (list name, record, name position, tokens)
        self.blocks: dict[str, list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self.names)

    def add(self, list_name: str, record: Record) -> None:
        for position, name in enumerate(record.names):
            toks = tokens(name.full)
            if not toks:
                continue
            slot = len(self.names)
            self.names.append((list_name, record, position, toks))
            for key in _keys(toks):
                self.blocks[key].append(slot)

    def candidates(self, toks: list[str]) -> list[int]:
        counts: dict[int, int] = defaultdict(int)
        for key in _keys(toks):
            for slot in self.blocks.get(key, ()):
                counts[slot] += 1
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])
        return [slot for slot, _ in ranked[:MAX_CANDIDATES]]

    def search(self, query: Query, preset: str = "strict", *, second_scorer: bool = True, reverse: bool = False) -> list[Hit]:
        """Hits at or above the preset's threshold, best first. `reverse`: the index holds the subjects and the
        query is a list name (delta screening), so logic-v2 scores in the subject-to-list direction."""
        threshold = PRESETS[preset]
        qtoks = query.tokens
        if not qtoks:
            return []
        scored: list[tuple[float, int, list[dict[str, Any]], bool]] = []  # (best-pair score, slot, alignment, passes)
        for slot in self.candidates(qtoks):
            list_name, record, position, ctoks = self.names[slot]
            name = record.names[position]
            exact = sorted(ctoks) == sorted(qtoks)
            if (name.kind == "weak" or preset == "exact") and not exact:
                continue
            alignment: list[dict[str, Any]]
            if exact:
                score, alignment = 1.0, [{"query": t, "list": t, "similarity": 1.0} for t in qtoks]
            else:
                score, alignment = best_pair(qtoks, ctoks)
            passes = exact or (score >= threshold - 0.1 and len(alignment) == len(qtoks) and min(a["similarity"] for a in alignment) >= TOKEN_FLOOR[preset])
            if passes or (second_scorer and preset != "exact" and score >= threshold - LOGIC_V2_MARGIN):
                scored.append((score, slot, alignment, passes))
        # the cheap pre-filter: logic-v2 sees the candidates that pass, and the best few near misses
        grey = sorted((c for c in scored if not c[3]), key=lambda c: -c[0])[:LOGIC_V2_MAX]
        best: dict[tuple[str, str], Hit] = {}
        for score, slot, alignment, passes in [c for c in scored if c[3]] + grey:
            list_name, record, position, ctoks = self.names[slot]
            name = record.names[position]
            scores = {SCORER: round(score, 4)}
            scorer, version_, name_score, detail = SCORER, SCORER_VERSION, score, None
            if second_scorer and preset != "exact" and score < 1.0:
                pair = (name.full, query.name) if reverse else (query.name, name.full)
                lv2, detail = logic_v2.score(*pair, record.schema)
                scores[logic_v2.NAME] = round(lv2, 4)
                if lv2 > score:
                    scorer, version_, name_score = logic_v2.NAME, logic_v2.VERSION, lv2
            if not passes and (scorer == SCORER or name_score < threshold - 0.1):
                continue
            qualifiers = []
            final = name_score
            for delta, why in (_date_qualifier(query.birthdate, record), _country_qualifier(query.country, record),
                               _gender_qualifier(query.gender, record), _document_qualifier(query.documents, record)):
                if why:
                    final += delta
                    qualifiers.append(why)
            final = max(0.0, min(1.0, final))
            if final < threshold and not (name_score >= 1.0 and preset == "exact"):
                continue
            key = (list_name, record.entity_id)
            if key in best and best[key].score >= final:
                continue
            best[key] = Hit(list_name, record, round(final, 4), {
                "list": list_name, "entity-id": record.entity_id, "matched-name": name.full, "alias-kind": name.kind,
                "name-score": round(name_score, 4), "score": round(final, 4), "threshold": threshold, "preset": preset,
                "scorer": scorer, "scorer-version": version_, "scores": scores, "alignment": alignment,
                **({"logic-v2-alignment": detail} if detail else {}), "qualifiers": qualifiers,
            })
        return sorted(best.values(), key=lambda h: -h.score)


def _keys(toks: list[str]) -> set[str]:
    keys: set[str] = set()
    for t in toks:
        if len(t) < 2:
            continue
        keys.add("t:" + t)
        keys.add("p:" + phonetic(t))
        keys.add("x:" + t[:3])
    return keys
