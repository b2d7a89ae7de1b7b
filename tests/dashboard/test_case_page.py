"""The reviewer's case page and `GET /inquiries/{id}/print` on inquiries with real evidence (a passport with a
real face and a three-pose selfie, read by the real engines): photos through signed links, what was read beside
the inquiry's fields with differences marked, the MRZ, the face-match score and liveness signals with their
thresholds, every check with its requirement and metadata; the PDF holds the same; redaction leaves none of it."""

import io
import re

import pytest
from case_support import API, TEMPLATE, evidence_inquiry
from dashboard_support import make_user, signed_in
from pypdf import PdfReader

IMG = re.compile(r'<img src="(/api/v1/[^"]+)"')


@pytest.fixture
def evidence(client, engine, world):
    """One inquiry with a passport (LUCIA ROSSI) and a selfie of the same face: its fields are filled from the ID."""
    from openidv.checks import faces

    faces.engine()
    make_user(engine, "reviewer@example.com", "reviewer")
    return evidence_inquiry(client, engine, world.templates[TEMPLATE])


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_case_page_shows_every_piece_of_evidence(app, client, evidence) -> None:
    reviewer = signed_in(app, "reviewer@example.com")
    page = reviewer.get(f"/dashboard/inquiries/{evidence}")
    assert page.status_code == 200, page.text
    html = page.text
    # ID front, then the portrait beside the three poses: every image a same-origin signed link that serves a JPEG.
    links = IMG.findall(html)
    assert any("/government-ids/" in u and "front-photo" in u for u in links)
    assert {p for p in ("center", "left", "right") if any(f"{p}-photo" in u for u in links)} == {"center", "left", "right"}
    assert "ID portrait" in html and 'data-act="rotate"' in html and "/dashboard/static/case.js" in html
    for url in set(links):
        photo = reviewer.get(url.replace("&amp;", "&"))
        assert photo.status_code == 200 and photo.content[:3] == b"\xff\xd8\xff", url
    # Read from the ID beside the fields (filled from it).
    assert re.search(r"<th scope=\"row\">Last name</th><td>ROSSI</td><td>ROSSI</td>\s*<td>Same", html), html
    assert 'class="differs"' not in html
    # The MRZ as read, and no barcode on a passport.
    mrz = re.search(r'<pre class="mrz">([^<]+)</pre>', html)
    assert mrz and mrz.group(1).startswith("P&lt;CAN") or mrz and "ROSSI" in mrz.group(1), html
    assert "No barcode read." in html
    # The face match with its threshold, and liveness signals with theirs.
    assert re.search(r"same person at or under <strong>0\.55</strong>", html)
    assert re.search(r"score <strong>[0-9.]+</strong> / 100", html)
    assert "<th scope=\"row\">parallax</th>" in html and "at least 0.045" in html and "at most 2.0" in html
    # Every check with its requirement and metadata.
    assert html.count("<strong>Required</strong>") >= 5 and "Not required" in html
    assert "selfie_id_comparison" in html and "id_mrz_inconsistency_detection" in html and "\"threshold\": 0.55" in html
    # The timeline says who acted: here the API key that made the verifications.
    assert re.search(r"<code>verification\.submitted</code></td><td>API key api_", html), html


def test_the_pdf_holds_the_case_and_is_permission_checked(app, client, evidence) -> None:
    answer = client.get(f"{API}/inquiries/{evidence}/print")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    text = _pdf_text(answer.content)
    assert evidence in text and "LUCIA ROSSI" in text
    for check in ("selfie_id_comparison", "selfie_liveness_detection", "id_mrz_detection"):
        assert check in text
    pictures = sum(len(page.images) for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert pictures >= 4  # ID front, the portrait beside the selfie, three poses
    reviewer = signed_in(app, "reviewer@example.com")
    same = reviewer.get(f"/dashboard/inquiries/{evidence}/print")
    assert same.status_code == 200 and same.headers["content-type"] == "application/pdf" and evidence in _pdf_text(same.content)


def test_differences_between_the_id_and_the_claimed_fields_are_marked(app, client, engine, world) -> None:
    make_user(engine, "reviewer@example.com", "reviewer")
    claimed = evidence_inquiry(client, engine, world.templates[TEMPLATE], selfie_face=None, fields={"name-first": "Lucy", "name-last": "Rossi"})
    html = signed_in(app, "reviewer@example.com").get(f"/dashboard/inquiries/{claimed}").text
    row = re.search(r'<tr class="differs"><th scope="row">First name</th><td>([^<]+)</td><td>([^<]+)</td>\s*<td><strong class="mark-differs">Differs', html)
    assert row and row.groups() == ("LUCIA", "Lucy"), html
    assert re.search(r"<th scope=\"row\">Last name</th><td>ROSSI</td><td>Rossi</td>\s*<td>Same", html)  # case and spacing aside
    assert re.search(r"id_inquiry_comparison</td><td><span class=\"status s-failed\">failed</span></td>\s*<td><strong>Required", html)
    text = _pdf_text(client.get(f"{API}/inquiries/{claimed}/print").content)
    assert "First name: ID LUCIA | inquiry Lucy" in text and "DIFFERS" in text


def test_print_answers_persona_errors(app, client, world) -> None:
    missing = client.get(f"{API}/inquiries/inq_doesnotexist/print")
    assert missing.status_code == 404 and missing.json()["errors"][0]["title"]
    from fastapi.testclient import TestClient

    anonymous = TestClient(app).get(f"{API}/inquiries/inq_doesnotexist/print")
    assert anonymous.status_code == 401 and "errors" in anonymous.json()
    other_environment = TestClient(app, headers={"Authorization": f"Bearer {world.production_key}"})
    made = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates[TEMPLATE]}}}).json()["data"]["id"]
    assert other_environment.get(f"{API}/inquiries/{made}/print").status_code == 404


def test_a_redacted_case_keeps_no_evidence(app, client, engine, evidence) -> None:
    from sqlalchemy import select

    from openidv.kit.db import session_factory, transaction
    from openidv.models import InquirySession

    made = client.post(f"{API}/inquiry-sessions", json={"data": {"attributes": {"inquiry-id": evidence}}})
    assert made.status_code == 201, made.text
    with transaction(session_factory(engine, writer=True)) as db:  # as the hosted flow keeps them when the person opens it
        row = db.get(InquirySession, made.json()["data"]["id"])
        row.ip_address, row.user_agent = "203.0.113.9", "CaseTest/1.0"
    assert client.delete(f"{API}/inquiries/{evidence}").status_code == 200
    with transaction(session_factory(engine)) as db:  # the sessions forget who opened them
        assert [(r.ip_address, r.user_agent) for r in db.scalars(select(InquirySession).where(InquirySession.inquiry_id == evidence))] == [(None, None)]
    reviewer = signed_in(app, "reviewer@example.com")
    html = reviewer.get(f"/dashboard/inquiries/{evidence}").text
    assert "<strong>Redacted</strong>" in html
    assert "<img" not in html and "access_token" not in html
    for pii in ("LUCIA", "ROSSI", "P&lt;CAN", "\"threshold\"", "203.0.113.9", "CaseTest"):
        assert pii not in html, pii
    assert "selfie_id_comparison" in html  # check names and statuses stay
    text = _pdf_text(client.get(f"{API}/inquiries/{evidence}/print").content)
    assert evidence in text and "Redacted" in text
    for pii in ("LUCIA", "ROSSI", "P<CAN", "203.0.113.9", "CaseTest"):
        assert pii not in text, pii


def test_documents_and_report_matches_are_on_the_case_page(app, client, engine, world) -> None:
    """A document's image shown through its signed link (a PDF linked), and a watchlist report's match with its
    entity, list, score and why it matched; the PDF lists the same."""
    import base64
    from pathlib import Path

    from openidv.kit import clock
    from openidv.kit.db import session_factory, transaction
    from openidv.reports import lists, service as reports
    from openidv.testdata import docgen, idgen

    make_user(engine, "reviewer@example.com", "reviewer")
    made = client.post(f"{API}/inquiries", json={"data": {"attributes": {"inquiry-template-id": world.templates[TEMPLATE]}}})
    inquiry_id = made.json()["data"]["id"]
    bill = idgen.make("passport", 3).jpeg("front")
    lease = docgen.make("lease", issued=clock.now().date()).data
    files = [{"data": base64.b64encode(bill).decode(), "filename": "bill.jpg"}, {"data": base64.b64encode(lease).decode(), "filename": "lease.pdf"}]
    document = client.post(f"{API}/document/generics", json={"data": {"attributes": {"inquiry-id": inquiry_id, "kind": "proof_of_address", "files": files}}})
    assert document.status_code == 201, document.text
    template = client.post(f"{API}/report-templates", json={"data": {"attributes": {"kind": "watchlist", "name": "case page", "match-preset": "tolerant"}}})
    sdn = (Path(__file__).parent.parent / "screening" / "fixtures" / "sdn.xml").read_bytes()
    with transaction(session_factory(engine, writer=True)) as db:
        lists.load(db, io.BytesIO(sdn), "ofac-sdn", "OFAC SDN")
        reports.create(db, world.sandbox_id, kind="watchlist", template_id=template.json()["data"]["id"], inquiry_id=inquiry_id, sync=True,
                       query={"name-first": "Viktor", "name-last": "Petrovsky", "birthdate": "1961-03-14"})

    reviewer = signed_in(app, "reviewer@example.com")
    html = reviewer.get(f"/dashboard/inquiries/{inquiry_id}").text
    (link,) = [u for u in IMG.findall(html) if "/document-files/" in u]
    assert reviewer.get(link.replace("&amp;", "&")).content == bill
    (preview,) = [u for u in re.findall(r'<img src="([^"]+)"', html) if u.endswith("/preview")]  # the PDF's first page
    shown = reviewer.get(preview)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png" and shown.content.startswith(b"\x89PNG")
    assert "Open lease.pdf</a>" in html
    assert reviewer.get(f"/dashboard/inquiries/{inquiry_id}/files/docf_unknown/preview").status_code == 404
    matches = re.search(r'<table class="matches">(.*?)</table>', html, re.S)
    assert matches and "has matches" in matches.group(1) and "OFAC SDN" in matches.group(1), html
    hit = r"<tr><td>([^<]*PETROVSK[^<]*)<small>\(([^)]*)\)</small></td><td>OFAC SDN</td><td>([0-9.]+)</td>\s*<td>name ([0-9.]+) by"
    assert re.search(hit, matches.group(1), re.I), matches.group(1)
    text = _pdf_text(client.get(f"{API}/inquiries/{inquiry_id}/print").content)
    assert "bill.jpg" in text and "OFAC SDN" in text and "PETROVSK" in text.upper() and "birthdate: match" in text
