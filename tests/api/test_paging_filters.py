"""Cursor paging over 250 inquiries both ways, page sizes, and every list filter of COMPAT.md §2.6."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from core_support import API, assert_error, create, simulate

from openidv.inquiries import service as inquiries
from openidv.inquiry_sessions.service import Secrets
from openidv.kit import clock
from openidv.kit.db import session_factory, transaction

TOTAL = 250


@pytest.fixture
def many(world, engine) -> list[str]:
    """250 inquiries made in one transaction (many share a millisecond), newest first."""
    secrets = Secrets("x" * 32, "http://testserver")
    made = []
    with transaction(session_factory(engine, writer=True)) as db:
        for i in range(TOTAL):
            attrs = {"inquiry-template-id": world.templates["Government ID"], "note": f"n{i}"}
            made.append(inquiries.create(db, world.sandbox_id, attrs, {}, actor="test", session_secrets=secrets).inquiry)
            if i % 50 == 0:
                clock.advance(timedelta(milliseconds=1))
    made.sort(key=lambda inq: (inq.created_at, inq.id), reverse=True)
    return [inq.id for inq in made]


def _get(client, url: str, **params):
    answer = client.get(url, params=params or None)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_page_after_following_links(client, many: list[str]) -> None:
    seen, url, pages = [], f"{API}/inquiries?page%5Bsize%5D=37", 0
    while url:
        assert url.startswith("/api/v1/inquiries?")  # relative links
        body = _get(client, url)
        assert set(body) == {"data", "links"} and set(body["links"]) == {"prev", "next"}
        seen += [item["id"] for item in body["data"]]
        assert (body["links"]["prev"] is None) == (pages == 0)
        assert dict(parse_qsl(urlsplit(body["links"]["next"] or "/?").query)).get("page[size]", "37") == "37"
        url, pages = body["links"]["next"], pages + 1
    assert seen == many and pages == -(-TOTAL // 37)


def test_page_after_with_the_last_id_and_empty_end(client, many: list[str]) -> None:
    seen, cursor = [], None
    while True:
        params = {"page[size]": "100", **({"page[after]": cursor} if cursor else {})}
        body = _get(client, f"{API}/inquiries", **params)
        if not body["data"]:
            assert body["links"]["next"] is None
            break
        seen += [item["id"] for item in body["data"]]
        cursor = seen[-1]
    assert seen == many
    end = _get(client, f"{API}/inquiries", **{"page[after]": many[-1]})
    assert end["data"] == [] and end["links"]["next"] is None


def test_page_before_from_the_end(client, many: list[str]) -> None:
    seen, cursor = [], many[-1]
    last = _get(client, f"{API}/inquiries", **{"page[before]": cursor, "page[size]": "40"})
    while True:
        assert last["links"]["next"] is not None
        seen = [item["id"] for item in last["data"]] + seen
        if last["links"]["prev"] is None:
            break
        last = _get(client, last["links"]["prev"])
    assert seen + [many[-1]] == many
    assert _get(client, f"{API}/inquiries", **{"page[before]": many[0]})["data"] == []


def test_default_and_bounded_page_size(client, many: list[str]) -> None:
    assert len(_get(client, f"{API}/inquiries")["data"]) == 10
    assert len(_get(client, f"{API}/inquiries", **{"page[size]": "1"})["data"]) == 1
    assert len(_get(client, f"{API}/inquiries", **{"page[size]": "100"})["data"]) == 100
    for bad in ("0", "101", "-1", "ten"):
        assert_error(client.get(f"{API}/inquiries", params={"page[size]": bad}), 400)
    assert_error(client.get(f"{API}/inquiries", params={"page[after]": "inq_nope"}), 400)
    assert_error(client.get(f"{API}/inquiries", params={"page[after]": many[1], "page[before]": many[0]}), 400)


def test_cursor_from_other_environment_is_refused(client, world, many: list[str]) -> None:
    other = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.production_templates["Government ID"]}}},
                        headers={"Authorization": f"Bearer {world.production_key}"}).json()["data"]["id"]
    assert_error(client.get(f"{API}/inquiries", params={"page[after]": other}), 400)


def _ids(client, path: str, **params) -> list[str]:
    return [item["id"] for item in _get(client, f"{API}/{path}", **{"page[size]": "100", **params})["data"]]


def test_inquiry_filters(client, world) -> None:
    gov, db_tmpl = world.templates["Government ID"], world.templates["Database"]
    a = create(client, gov, attrs={"reference-id": "ref-a", "note": "alpha"})["data"]
    clock.advance(timedelta(seconds=10))
    b = create(client, db_tmpl, attrs={"reference-id": "ref-b"})["data"]
    clock.advance(timedelta(seconds=10))
    c = create(client, gov, attrs={"note": "gamma"})["data"]
    simulate(client, c["id"], "start_inquiry")
    account_a = a["relationships"]["account"]["data"]["id"]

    assert _ids(client, "inquiries", **{"filter[inquiry-id]": f"{a['id']},{c['id']}"}) == [c["id"], a["id"]]
    assert _ids(client, "inquiries", **{"filter[account-id]": account_a}) == [a["id"]]
    assert _ids(client, "inquiries", **{"filter[inquiry-template-id]": gov}) == [c["id"], a["id"]]
    assert _ids(client, "inquiries", **{"filter[template-id]": db_tmpl}) == [b["id"]]
    assert _ids(client, "inquiries", **{"filter[status]": "pending"}) == [c["id"]]
    assert _ids(client, "inquiries", **{"filter[status]": "created,pending"}) == [c["id"], b["id"], a["id"]]
    assert _ids(client, "inquiries", **{"filter[reference-id]": "ref-b"}) == [b["id"]]
    assert _ids(client, "inquiries", **{"filter[note]": "gamma"}) == [c["id"]]
    assert_error(client.get(f"{API}/inquiries", params={"filter[note]": "gamma", "filter[status]": "pending"}), 400)
    assert _ids(client, "inquiries", **{"filter[created-at-start]": b["attributes"]["created-at"]}) == [c["id"], b["id"]]
    assert _ids(client, "inquiries", **{"filter[created-at-end]": b["attributes"]["created-at"]}) == [b["id"], a["id"]]
    created_at = a["attributes"]["created-at"]
    assert _ids(client, "inquiries", **{"filter[created-at-start]": created_at, "filter[created-at-end]": created_at}) == [a["id"]]
    assert_error(client.get(f"{API}/inquiries", params={"filter[created-at-start]": "yesterday"}), 400)
    # Filters survive into the links.
    page = _get(client, f"{API}/inquiries", **{"filter[inquiry-template-id]": gov, "page[size]": "1"})
    assert "filter%5Binquiry-template-id%5D" in page["links"]["next"]
    assert [item["id"] for item in _get(client, page["links"]["next"])["data"]] == [a["id"]]


def test_account_filters(client, world) -> None:
    made = {ref: client.post(f"{API}/accounts", json={"data": {"attributes": {"reference-id": ref}}}).json()["data"]["id"] for ref in ("r1", "r2", "r3")}
    assert _ids(client, "accounts", **{"filter[reference-id]": "r2"}) == [made["r2"]]
    both = client.get(f"{API}/accounts?filter%5Breference-id%5D%5B%5D=r1&filter%5Breference-id%5D%5B%5D=r3").json()["data"]
    assert sorted(item["id"] for item in both) == sorted([made["r1"], made["r3"]])
    assert _ids(client, "accounts", **{"filter[reference-id]": "nobody"}) == []


def test_event_filters(client, world) -> None:
    a = create(client, world.templates["Government ID"])["data"]
    b = create(client, world.templates["Government ID"])["data"]
    simulate(client, b["id"], "start_inquiry")
    created = _ids(client, "events", **{"filter[name]": "inquiry.created"})
    assert len(created) == 2
    started = _ids(client, "events", **{"filter[name]": "inquiry.started,inquiry.created", "filter[object-id]": b["id"]})
    assert len(started) == 2
    only_a = _get(client, f"{API}/events", **{"filter[object-id]": a["id"]})["data"]
    assert [e["attributes"]["name"] for e in only_a] == ["inquiry.created"]
    assert only_a[0]["attributes"]["payload"]["data"]["id"] == a["id"]
    assert _ids(client, "events", **{"filter[id]": f"{only_a[0]['id']},{started[0]}"}) == sorted(
        [only_a[0]["id"], started[0]], key=lambda x: _ids(client, "events").index(x))
    one = client.get(f"{API}/events/{only_a[0]['id']}")
    assert one.status_code == 200 and one.json()["data"]["id"] == only_a[0]["id"]
    assert_error(client.get(f"{API}/events/evt_nope"), 404)


def test_session_filter(client, world) -> None:
    a = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})["data"]
    b = create(client, world.templates["Government ID"], meta={"auto-create-inquiry-session": True})["data"]
    sessions_a = _ids(client, "inquiry-sessions", **{"filter[inquiry-id]": a["id"]})
    assert sessions_a == [a["relationships"]["sessions"]["data"][0]["id"]]
    assert len(_ids(client, "inquiry-sessions")) == 2
    assert _ids(client, "inquiry-sessions", **{"filter[inquiry-id]": b["id"]}) != sessions_a


def test_template_version_filter_is_required(client, world) -> None:
    assert_error(client.get(f"{API}/inquiry-template-versions"), 400)
    tmpl = world.templates["Government ID"]
    versions = _get(client, f"{API}/inquiry-template-versions", **{"filter[inquiry-template-id]": tmpl})["data"]
    assert len(versions) == 1 and versions[0]["relationships"]["inquiry-template"]["data"]["id"] == tmpl
    assert_error(client.get(f"{API}/inquiry-template-versions", params={"filter[inquiry-template-id]": world.production_templates["Government ID"]}), 404)
