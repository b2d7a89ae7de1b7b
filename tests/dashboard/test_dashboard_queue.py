"""The review queue that works (issue 15, item 3): names and template names in the lists, times with their zone,
partial-name search, the next inquiry after a decision with a message, a confirmation before a decision reverses
another, bulk tags and the CSV export of a filtered list."""

import csv
import io

import pytest
from dashboard_support import csrf_of, make_user, new_inquiry, post, signed_in, simulate
from sqlalchemy import select

from openidv.models import AuditLog, Inquiry


@pytest.fixture
def people(engine, world):
    return {role: make_user(engine, f"{role}@example.com", role) for role in ("admin", "reviewer", "viewer")}


def _review(client, world, first: str, last: str) -> str:
    inquiry_id = new_inquiry(client, world.templates["Government ID"], fields={"name-first": first, "name-last": last})
    simulate(client, inquiry_id, "start_inquiry", "mark_for_review_inquiry")
    return inquiry_id


def test_lists_show_names_template_names_and_times_with_their_zone(app, client, people, world):
    inquiry_id = new_inquiry(client, world.templates["Government ID"], fields={"name-first": "Quinn", "name-last": "Tester <i>"})
    reviewer = signed_in(app, "reviewer@example.com").get("/dashboard/inquiries").text
    row = reviewer.split(f'href="/dashboard/inquiries/{inquiry_id}"')[1].split("</tr>")[0]
    assert "Quinn Tester &lt;i&gt;" in row and "Government ID" in row
    assert '<time datetime="' in row and ' UTC</time>' in row  # without JS: UTC, said so
    assert '<script src="/dashboard/static/queue.js" defer></script>' in reviewer
    viewer = signed_in(app, "viewer@example.com").get("/dashboard/inquiries").text
    assert inquiry_id in viewer and "Quinn" not in viewer and "Government ID" in viewer  # a viewer sees no personal data


def test_partial_name_search(app, client, people, world):
    bulk = new_inquiry(client, world.templates["Government ID"], fields={"name-first": "Bulk7", "name-last": "Tester"})
    zoe = new_inquiry(client, world.templates["Government ID"], fields={"name-first": "Zoë", "name-last": "Ångström"})
    other = new_inquiry(client, world.templates["Government ID"], fields={"name-first": "Ada", "name-last": "Lovelace"})
    c = signed_in(app, "reviewer@example.com")

    def found(search: str) -> set[str]:
        page = c.get("/dashboard/inquiries", params={"search": search})
        assert page.status_code == 200, page.text
        return {i for i in (bulk, zoe, other) if i in page.text}

    assert found("Tester") == found("Test") == found("tes") == found("bulk7 tester") == {bulk}
    assert found("zoe ang") == found("ÅNGSTRÖM") == {zoe}
    assert found("te") == set() and found("ester") == set()  # prefixes only, of three letters or more
    assert c.get("/dashboard/inquiries", params={"search": "--"}).status_code == 400
    accounts = c.get("/dashboard/accounts", params={"search": "Tes"})
    assert accounts.status_code == 200


def test_a_decision_from_the_queue_opens_the_next_with_a_message(app, client, people, world, db):
    first, second = _review(client, world, "Ada", "One"), _review(client, world, "Bob", "Two")
    c = signed_in(app, "reviewer@example.com")
    assert f'href="/dashboard/queue/open/{first}">Start reviewing' in c.get("/dashboard/queue").text
    assert c.get(f"/dashboard/queue/open/{first}", follow_redirects=False).headers["location"] == f"/dashboard/inquiries/{first}"
    answer = post(c, f"/dashboard/inquiries/{first}/approve", comment="ok")
    assert answer.status_code == 303 and answer.headers["location"] == f"/dashboard/inquiries/{second}"
    page = c.get(answer.headers["location"])
    assert f'<p class="flash" role="status">Approved {first}. Next in the queue: {second}.</p>' in page.text
    assert 'class="flash"' not in c.get(f"/dashboard/inquiries/{second}").text  # shown once
    answer = post(c, f"/dashboard/inquiries/{second}/decline")
    assert answer.headers["location"] == "/dashboard/queue"
    assert f"Declined {second}. The review queue is empty." in c.get("/dashboard/queue").text
    # A forged message cookie is ignored.
    forger = signed_in(app, "viewer@example.com")
    forger.cookies.set("openidv_flash", "eyJmbGFzaCI6IjxiPmhpPC9iPiJ9.00", path="/dashboard")
    assert "flash" not in forger.get("/dashboard/queue").text.split("<main")[1].split("<h1")[0]
    db.rollback()
    assert [db.get(Inquiry, i).status for i in (first, second)] == ["approved", "declined"]
    # Deciding on an inquiry not opened from the queue stays on it, with its message.
    third = _review(client, world, "Cy", "Three")
    answer = post(c, f"/dashboard/inquiries/{third}/approve")
    assert answer.headers["location"] == f"/dashboard/inquiries/{third}" and f"Approved {third}." in c.get(answer.headers["location"]).text


def test_next_key_target_walks_the_queue(app, client, people, world):
    first, second = _review(client, world, "Ada", "One"), _review(client, world, "Bob", "Two")
    c = signed_in(app, "viewer@example.com")
    assert c.get(f"/dashboard/queue/next?after={first}", follow_redirects=False).headers["location"] == f"/dashboard/inquiries/{second}"
    assert c.get(f"/dashboard/queue/next?after={second}", follow_redirects=False).headers["location"] == f"/dashboard/inquiries/{first}"
    assert c.get("/dashboard/queue/next?after=inq_nope").status_code == 404
    client.post(f"/api/v1/inquiries/{first}/approve", json={})
    alone = c.get(f"/dashboard/queue/next?after={second}")  # the only one left comes round again, and says so
    assert str(alone.url).endswith(f"/dashboard/inquiries/{second}") and "No other inquiry waits in the review queue." in alone.text


def test_reversing_a_decision_needs_a_confirmation(app, client, people, world, db):
    inquiry_id = _review(client, world, "Ada", "One")
    c = signed_in(app, "reviewer@example.com")
    post(c, f"/dashboard/inquiries/{inquiry_id}/approve")
    db.rollback()
    audits = len(db.scalars(select(AuditLog)).all())
    ask = post(c, f"/dashboard/inquiries/{inquiry_id}/decline", comment="second look <b>")
    assert ask.status_code == 200 and "was approved" in ask.text and 'name="confirmed" value="yes"' in ask.text
    assert "second look &lt;b&gt;" in ask.text
    db.rollback()
    assert db.get(Inquiry, inquiry_id).status == "approved" and len(db.scalars(select(AuditLog)).all()) == audits  # nothing written yet
    token = csrf_of(ask.text)
    done = c.post(f"/dashboard/inquiries/{inquiry_id}/decline", data={"csrf": token, "confirmed": "yes", "comment": "second look"}, follow_redirects=False)
    assert done.status_code == 303
    db.rollback()
    row = db.get(Inquiry, inquiry_id)
    assert row.status == "declined" and row.reviewer_comment == "second look"
    # Approving it again asks again; approving an undecided inquiry does not ask.
    assert "was declined" in post(c, f"/dashboard/inquiries/{inquiry_id}/approve").text


def test_bulk_tagging(app, client, people, world, db):
    ids = [new_inquiry(client, world.templates["Government ID"], fields={"name-first": f"P{n}"}) for n in range(3)]
    c = signed_in(app, "reviewer@example.com")
    page = c.get("/dashboard/inquiries?template=" + world.templates["Government ID"])
    assert f'name="pick-{ids[0]}"' in page.text and 'id="bulk"' in page.text
    form = {"csrf": csrf_of(page.text), "tag": "batch-7", f"pick-{ids[0]}": "on", f"pick-{ids[2]}": "on"}
    answer = c.post("/dashboard/inquiries/bulk-tag?template=" + world.templates["Government ID"] + "&evil=https://x", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/inquiries?template=" + world.templates["Government ID"]
    assert "Tagged 2 of 2 inquiries with “batch-7”." in c.get(answer.headers["location"]).text
    db.rollback()
    assert [("batch-7" in db.get(Inquiry, i).tags) for i in ids] == [True, False, True]
    rows = db.scalars(select(AuditLog).where(AuditLog.action == "tags")).all()
    assert sorted(r.object_id for r in rows) == sorted([ids[0], ids[2]]) and all(r.user_email == "reviewer@example.com" for r in rows)
    # Nothing chosen, a bad tag, or a viewer: refused, nothing written.
    assert c.post("/dashboard/inquiries/bulk-tag", data={"csrf": form["csrf"], "tag": "x"}).status_code == 400
    assert c.post("/dashboard/inquiries/bulk-tag", data={**form, "tag": "a" * 300}).status_code == 400
    assert c.post("/dashboard/inquiries/bulk-tag", data={**form, f"pick-{ids[1]}": "on", "tag": "t2", "pick-inq_nope": "on"}).status_code == 404
    viewer = signed_in(app, "viewer@example.com")
    assert 'id="bulk"' not in viewer.get("/dashboard/inquiries").text
    assert post(viewer, "/dashboard/inquiries/bulk-tag", tag="x", **{f"pick-{ids[1]}": "on"}).status_code == 403
    db.rollback()
    assert db.get(Inquiry, ids[1]).tags == [] and len(db.scalars(select(AuditLog).where(AuditLog.action == "tags")).all()) == 2


def test_csv_export_of_the_filtered_list(app, client, people, world, db):
    gov, phone = world.templates["Government ID"], world.templates["Phone"]
    evil = new_inquiry(client, gov, fields={"name-first": "=HYPERLINK(\"http://x\")", "name-last": "Doe"}, **{"reference-id": "+1-2"})
    plain = new_inquiry(client, gov, fields={"name-first": "Jane", "name-last": "Roe"})
    elsewhere = new_inquiry(client, phone, fields={"name-first": "John", "name-last": "Roe"})
    c = signed_in(app, "reviewer@example.com")
    answer = c.get("/dashboard/inquiries.csv", params={"template": gov})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith('attachment; filename="inquiries-')
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == ["inquiry id", "status", "name", "template", "reference id", "tags", "created at (UTC)"]
    body = {r[0]: r for r in table[1:]}
    assert set(body) == {evil, plain} and elsewhere not in answer.text
    assert body[evil][2] == "'=HYPERLINK(\"http://x\") Doe" and body[evil][4] == "'+1-2"  # never a formula
    assert body[plain][2] == "Jane Roe" and body[plain][3] == "Government ID" and body[plain][6].endswith("Z")
    viewer = signed_in(app, "viewer@example.com").get("/dashboard/inquiries.csv", params={"search": "roe"})
    rows = list(csv.reader(io.StringIO(viewer.text)))
    assert "name" not in rows[0] and {r[0] for r in rows[1:]} == {plain, elsewhere} and "Jane" not in viewer.text
    assert c.get("/dashboard/inquiries.csv", params={"status": "bogus"}).status_code == 400
    db.rollback()
    exports = db.scalars(select(AuditLog).where(AuditLog.action == "inquiries.export")).all()
    assert len(exports) == 2 and {e.user_email for e in exports} == {"reviewer@example.com", "viewer@example.com"}
