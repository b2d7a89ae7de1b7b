"""Normalisation, blocking and scoring with their explanations."""

from openidv.screening import logic_v2
from openidv.screening.matcher import Index, Query, best_pair
from openidv.screening.normalise import normal, phonetic, tokens
from openidv.screening.record import BirthDate, IdentityDocument, Name, Record


def _index() -> Index:
    index = Index()
    names = [Name("Viktor Ivanovich PETROVSKY"), Name("THE BEAR", "weak")]
    index.add("ofac", Record("e1", names=names, birth_dates=[BirthDate("1961-03-14", "day")], nationalities=["RU"]))
    index.add("un", Record("e2", names=[Name("WON HO RI"), Name("Ри Вон Хо", "aka")], birth_dates=[BirthDate("1964", "year")]))
    index.add("pep", Record("e3", names=[Name("José María Álvarez-Núñez")]))
    return index


def test_normalisation_is_shared() -> None:
    assert tokens("Dr. José  O'Neill-Smith") == ["jose", "oneill", "smith"]
    assert normal("Ри Вон Хо") == "ri von kho"
    assert phonetic("petrovsky") == phonetic("petrovski")


def test_variants_match_with_explanation() -> None:
    index = _index()
    for query in ("Viktor Petrovsky", "PETROVSKY, Viktor Ivanovich", "Victor Petrovskiy", "V. I. Petrovsky", "Jose Maria Alvarez Nunez"):
        hits = index.search(Query(query), "tolerant")
        assert hits, query
    (hit,) = index.search(Query("Viktor Petrovsky", "1961-03-14", "RU"), "strict")
    why = hit.explanation
    assert why["entity-id"] == "e1" and why["alias-kind"] == "primary"
    assert why["scorer"] == "jaro-winkler-best-pair" and why["scorer-version"].startswith("1 (rapidfuzz")
    assert set(why["scores"]) == {"jaro-winkler-best-pair", "nomenklatura-logic-v2"} and why["name-score"] == max(why["scores"].values())
    assert {q["qualifier"] for q in why["qualifiers"]} == {"birthdate", "country"}
    assert {a["query"] for a in why["alignment"]} == {"viktor", "petrovsky"}


def test_conflicting_birthdate_scores_lower_and_unrelated_people_do_not_match() -> None:
    index = _index()
    same = index.search(Query("Victor Petrovsky", "1961-03-14"), "tolerant")[0].score
    other = index.search(Query("Victor Petrovsky", "1990-01-01"), "tolerant")
    assert not other or other[0].score < same
    assert index.search(Query("Jane Smith"), "tolerant") == []
    assert index.search(Query("Viktor Ivanov"), "strict") == []


def test_weak_alias_only_exact_and_exact_preset() -> None:
    index = _index()
    assert index.search(Query("The Bear"), "tolerant")[0].explanation["alias-kind"] == "weak"
    assert index.search(Query("The Bears"), "tolerant") == []
    assert index.search(Query("Won Ho Ri"), "exact") and not index.search(Query("Won Hoo Ri"), "exact")


def test_best_pair_is_order_free_and_penalises_missing_query_tokens() -> None:
    assert best_pair(["ri", "won", "ho"], ["won", "ho", "ri"])[0] == 1.0
    assert best_pair(["john", "smith"], ["john", "robert", "smith"])[0] > best_pair(["john", "robert", "smith"], ["john", "smith"])[0]


def test_logic_v2_wins_where_best_pair_misses() -> None:
    """Cross-script and name-variant knowledge: logic-v2 lifts what Jaro-Winkler scores low; the higher wins."""
    index = Index()
    index.add("un", Record("e2", names=[Name("Ри Вон Хо")]))
    index.add("un", Record("e4", names=[Name("Muhammad Al Qahtani")]))
    assert index.search(Query("Won Ho Ri"), "tolerant", second_scorer=False) == []  # best-pair alone misses it
    (hit,) = index.search(Query("Won Ho Ri"), "tolerant")
    assert hit.record.entity_id == "e2" and hit.explanation["scorer"] == "nomenklatura-logic-v2"
    (hit,) = index.search(Query("Mohammed al-Qahtani"), "strict")
    why = hit.explanation
    assert why["scorer"] == "nomenklatura-logic-v2" and why["scorer-version"] == logic_v2.VERSION
    assert why["scores"]["nomenklatura-logic-v2"] > why["scores"]["jaro-winkler-best-pair"] and "symbolMatch" in why["logic-v2-alignment"]
    assert index.search(Query("Mohammed Khan"), "tolerant") == []


def test_gender_and_identity_number_qualifiers() -> None:
    index = Index()
    index.add("uk", Record("e5", names=[Name("Dmitri Olegovich VOLKOV")], gender="male", documents=[IdentityDocument("passport", "753 300112")]))
    plain = index.search(Query("Dmitri Volkov"), "tolerant")[0]
    confirmed = index.search(Query("Dmitri Volkov", documents=("753300112",)), "tolerant")[0]
    assert confirmed.score > plain.score
    assert confirmed.explanation["qualifiers"] == [{"qualifier": "identity-document", "effect": "match", "list": ["passport 753 300112"], "delta": 0.1}]
    conflicting = index.search(Query("Dmitri Volkov", gender="female"), "tolerant")
    assert not conflicting or conflicting[0].score < plain.score
    assert index.search(Query("Dmitri Volkov", documents=("999",)), "tolerant")[0].score == plain.score
