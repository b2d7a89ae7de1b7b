"""Partial-name search on sealed names (per-token blind indexes) and Persona's POST /inquiries/search and /accounts/search."""

from core_support import API, assert_error, counts, create
from sqlalchemy import select

from openidv.kit import name_tokens
from openidv.models import NameToken


def _names(client, world, *people: tuple[str, str]) -> list[str]:
    template = world.templates["Government ID"]
    return [create(client, template, attrs={"fields": {"name-first": first, "name-last": last}})["data"]["id"] for first, last in people]


def _search(client, query=None, **body):
    return client.post(f"{API}/inquiries/search", json={**({"query": query} if query is not None else {}), **body})


def _ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["data"]]


def test_tokens_normalise_accents_case_and_keep_prefixes_of_three(settings) -> None:
    assert name_tokens.tokens("  Zoë-Ångström  o'Brien ") == ["zoe", "angstrom", "o", "brien"]
    first = name_tokens.of_names("Bulk7 Tester")
    for query in ("Tester", "Test", "tes", "BULK7", "bul", "tést"):
        assert set(name_tokens.of_query(query)) <= first, query
    for query in ("te", "b", "testers", "ulk"):
        assert not set(name_tokens.of_query(query)) <= first, query
    assert name_tokens.of_query("li") == sorted(name_tokens.of_names("Li"))  # a two-letter name is found whole


def test_partial_name_search_finds_without_decrypting(client, world, db) -> None:
    bulk, ada, zoe = _names(client, world, ("Bulk7", "Tester"), ("Ada", "Lovelace"), ("Zoë", "Testa"))
    name = {"attribute": "name", "operator": "eq", "value": "Test"}
    assert set(_ids(_search(client, name))) == {bulk, zoe}
    assert _ids(_search(client, {**name, "value": "tester bul"})) == [bulk]
    assert _ids(_search(client, {"attribute": "fields.name_first", "operator": "eq", "value": "zoe"})) == [zoe]
    assert _ids(_search(client, {"attribute": "fields.name-last", "operator": "eq", "value": "LOVE"})) == [ada]
    assert _ids(_search(client, {**name, "value": "Nobody"})) == []
    # The table holds HMACs only: no name, no prefix in clear.
    stored = list(db.scalars(select(NameToken.token).where(NameToken.owner_id == bulk)))
    assert len(stored) == len(name_tokens.of_names("Bulk7", "Tester")) and not any("test" in t or "bulk" in t for t in stored)


def test_tokens_follow_field_changes_and_redaction(client, world, db) -> None:
    (inquiry_id,) = _names(client, world, ("Bulk7", "Tester"))
    name = {"attribute": "name", "operator": "eq", "value": "Tester"}
    client.patch(f"{API}/inquiries/{inquiry_id}", json={"data": {"attributes": {"fields": {"name-last": "Smith"}}}})
    assert _ids(_search(client, name)) == []
    assert _ids(_search(client, {**name, "value": "smi"})) == [inquiry_id]
    assert client.delete(f"{API}/inquiries/{inquiry_id}").status_code == 200
    assert _ids(_search(client, {**name, "value": "bulk7"})) == []
    db.rollback()
    assert db.scalars(select(NameToken).where(NameToken.owner_id == inquiry_id)).first() is None


def test_account_search_and_account_redaction_reaches_tokens(client, world, db) -> None:
    made = client.post(f"{API}/accounts", json={"data": {"attributes": {"fields": {"name-first": "Grace", "name-last": "Hopper"}}}}).json()["data"]
    client.post(f"{API}/accounts", json={"data": {"attributes": {"fields": {"name-first": "Alan", "name-last": "Turing"}}}})
    inquiry = create(client, world.templates["Government ID"], attrs={"account-id": made["id"], "fields": {"name-first": "Grace", "name-last": "Hopper"}})
    found = client.post(f"{API}/accounts/search", json={"query": {"attribute": "name", "operator": "eq", "value": "hop"}})
    assert _ids(found) == [made["id"]]
    assert found.json()["links"] == {"prev": None, "next": None}
    assert client.delete(f"{API}/accounts/{made['id']}").status_code == 200
    db.rollback()
    assert db.scalars(select(NameToken).where(NameToken.owner_id.in_([made["id"], inquiry["data"]["id"]]))).first() is None
    assert _ids(client.post(f"{API}/accounts/search", json={"query": {"attribute": "name", "operator": "eq", "value": "grace"}})) == []


def test_boolean_clauses_times_sort_and_pages(client, world) -> None:
    ids = _names(client, world, ("Ada", "One"), ("Ada", "Two"), ("Ada", "Three"), ("Bob", "Four"))
    client.post(f"{API}/inquiries/{ids[1]}/expire")
    query = {"and": [{"attribute": "name", "operator": "eq", "value": "ada"},
                     {"not": {"attribute": "status", "operator": "eq", "value": "expired"}}]}
    assert _ids(_search(client, query)) == [ids[2], ids[0]]
    either = {"or": [{"attribute": "fields.name_last", "operator": "eq", "value": "two"}, {"attribute": "name", "operator": "eq", "value": "bob"}]}
    assert _ids(_search(client, either)) == [ids[3], ids[1]]
    created = client.get(f"{API}/inquiries/{ids[2]}").json()["data"]["attributes"]["created-at"]
    assert ids[3] in _ids(_search(client, {"attribute": "created_at", "operator": "gte", "value": created}))
    assert ids[0] not in _ids(_search(client, {"attribute": "created_at", "operator": "gte", "value": created}))
    # Oldest first, two a page, following the links with the same body.
    body = {"query": {"attribute": "name", "operator": "eq", "value": "ada"}, "sort": {"attribute": "created_at", "direction": "asc"}, "page": {"size": 2}}
    first = client.post(f"{API}/inquiries/search", json=body)
    assert _ids(first) == [ids[0], ids[1]]
    links = first.json()["links"]
    assert links["prev"] is None and links["next"].startswith("/api/v1/inquiries/search?")
    second = client.post(links["next"], json=body)
    assert _ids(second) == [ids[2]] and second.json()["links"]["next"] is None
    back = client.post(second.json()["links"]["prev"], json=body)
    assert _ids(back) == [ids[0], ids[1]]
    # Newest first by default.
    assert _ids(_search(client))[:4] == list(reversed(ids))


def test_bad_searches_answer_400_and_write_nothing(client, world, engine) -> None:
    _names(client, world, ("Ada", "One"))
    before = counts(engine)
    bad = [
        {"query": {"attribute": "nope", "operator": "eq", "value": "x"}},
        {"query": {"attribute": "status", "operator": "like", "value": "x"}},
        {"query": {"attribute": "status", "operator": "gt", "value": "x"}},
        {"query": {"attribute": "created_at", "operator": "gt", "value": "yesterday"}},
        {"query": {"attribute": "name", "operator": "eq", "value": "--"}},
        {"query": {"attribute": "name", "operator": "eq", "value": {"a": 1}}},
        {"query": {"and": []}},
        {"query": {"and": [{"or": [{"not": {"attribute": "status", "operator": "eq", "value": "x"}}]}]}},
        {"query": {"and": [{"attribute": "status", "operator": "eq", "value": "x"}] * 21}},
        {"query": {"and": [{}], "or": []}},
        {"query": []},
        {"sort": {"attribute": "name", "direction": "asc"}},
        {"sort": {"attribute": "created_at", "direction": "sideways"}},
        {"page": {"size": 0}},
        {"page": {"after": "inq_missing"}},
        {"unknown": 1},
    ]
    for body in bad:
        assert_error(client.post(f"{API}/inquiries/search", json=body), 400)
    assert_error(client.post(f"{API}/inquiries/search", json=[1]), 400)
    assert_error(client.post(f"{API}/accounts/search", json={"query": {"attribute": "identifiers.user_id", "operator": "eq", "value": "x"}}), 400)
    assert counts(engine) == before


def test_search_stays_in_its_environment(client, world) -> None:
    (sandbox_id,) = _names(client, world, ("Ada", "Sandbox"))
    client.headers["Authorization"] = f"Bearer {world.production_key}"
    assert _ids(_search(client, {"attribute": "name", "operator": "eq", "value": "ada"})) == []
    assert_error(_search(client, page={"after": sandbox_id}), 400)


def test_common_names_take_the_other_plan_with_the_same_answers(client, world, monkeypatch) -> None:
    from openidv.search import repository as search_repository

    ids = _names(client, world, ("Ada", "One"), ("Ada", "Two"), ("Bob", "Ada"))
    query = {"and": [{"attribute": "name", "operator": "eq", "value": "ada"}, {"not": {"attribute": "name", "operator": "eq", "value": "two"}}]}
    few = _ids(_search(client, query))
    monkeypatch.setattr(search_repository, "FEW", 1)  # as if "ada" were common: the ordered walk with the subqueries
    assert _ids(_search(client, query)) == few == [ids[2], ids[0]]
    assert _ids(_search(client, {"attribute": "name", "operator": "eq", "value": "ada one"})) == [ids[0]]
