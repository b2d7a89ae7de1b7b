"""The documents engine on generated papers: every kind is typed and read, an image-only PDF is read by
OCR, tamper signals are raised only for what the file shows, and dates parse in common forms."""

from datetime import date

import pytest

from openidv.checks import document as engine
from openidv.testdata import docgen

TODAY = date(2026, 12, 2)
ISSUED = date(2026, 11, 20)
CLAIMED = {"name-first": "Jane", "name-last": "Doe", "address-street-1": "1234 Main St", "address-city": "Springfield",
           "address-postal-code": "62704"}
EXPECTED_TYPE = {"utility_bill": "standard_utility_bill", "bank_statement": "bank_statement", "lease": "lease_agreement",
                 "tax_form": "tax_form", "pay_stub": "pay_stub"}


def _evaluate(paper: docgen.Paper, settings: engine.Settings | None = None) -> engine.Result:
    return engine.evaluate([(paper.data, paper.mime)], settings or engine.Settings(), CLAIMED, today=TODAY)


def _statuses(result: engine.Result) -> dict[str, str]:
    return {c["name"]: c["status"] for c in result.checks}


@pytest.mark.parametrize("kind", docgen.KINDS)
def test_each_kind_is_typed_read_and_passes(kind: str) -> None:
    result = _evaluate(docgen.make(kind, issued=ISSUED, seed=7))
    assert result.document_type == EXPECTED_TYPE[kind] and result.source == "text_layer"
    assert result.extracted["issue-date"] == ISSUED.isoformat() and result.extracted["address-postal-code"] == "62704"
    assert all(s in ("passed", "not_applicable") for s in _statuses(result).values()), result.checks


def test_image_only_pdf_is_read_by_ocr() -> None:
    result = _evaluate(docgen.make("utility_bill", issued=ISSUED, variant="image_pdf"))
    assert result.source == "ocr" and result.document_type == "standard_utility_bill"
    assert result.extracted["issue-date"] == ISSUED.isoformat()
    assert _statuses(result)["document_inquiry_comparison"] == "passed"


class BoxByBox:
    """Another real `PageReader`: rapidocr's detector, then its recogniser on the boxes in one batch (as the
    ID's visual zone reads), without rapidocr's direction classifier or its scores."""

    def __init__(self) -> None:
        self.pages = 0

    def read_page(self, rgb):
        from openidv.checks.ocr import RAPIDOCR
        from openidv.checks.protocols import TextLine

        self.pages += 1
        boxes = RAPIDOCR.detect_text(rgb, max(rgb.shape[:2]))
        return [TextLine(box.tolist(), text, 1.0) for box, text in zip(boxes, RAPIDOCR.recognise_text(rgb, boxes), strict=True)]


def test_evaluate_reads_with_the_ocr_it_is_given() -> None:
    reader = BoxByBox()
    paper = docgen.make("utility_bill", issued=ISSUED, variant="png")
    result = engine.evaluate([(paper.data, paper.mime)], engine.Settings(), CLAIMED, today=TODAY, ocr=reader)
    assert reader.pages == 1 and result.source == "ocr" and result.document_type == "standard_utility_bill"
    assert result.extracted["issue-date"] == ISSUED.isoformat()


def test_tamper_signals_and_settings() -> None:
    incremental = _evaluate(docgen.make("bank_statement", issued=ISSUED, variant="incremental"))
    tamper = next(c for c in incremental.checks if c["name"] == "document_tamper_detection")
    assert "incremental_update" in tamper["reasons"] and tamper["metadata"]["revisions"] == 2
    clean = next(c for c in _evaluate(docgen.make("bank_statement", issued=ISSUED)).checks if c["name"] == "document_tamper_detection")
    assert clean["status"] == "passed" and clean["reasons"] == []
    strict = _evaluate(docgen.make("utility_bill", issued=ISSUED), engine.Settings(recency_days=7, allowed_types=("bank_statement",)))
    assert _statuses(strict)["document_recency_detection"] == "failed" and _statuses(strict)["document_type_detection"] == "failed"
    assert engine.Settings.from_step({"recency_days": 30, "allowed_document_types": ["lease_agreement"]}).recency_days == 30


def test_dates_and_addresses() -> None:
    found = [d for _, d, _ in engine.dates_in("Bill date: Nov 3, 2026; due 2026-12-01, paid 12/05/2026, seen 4 March 2026, 0ct14,2026")]
    assert found == [date(2026, 11, 3), date(2026, 12, 1), date(2026, 12, 5), date(2026, 3, 4), date(2026, 10, 14)]
    [address] = engine.addresses(["JANEDOE", "1234MainStreet", "Springfield,IL62704"])  # OCR without spaces
    assert (address.postal_code, engine.match_address([address], CLAIMED)[0]) == ("62704", "full")
    assert engine.match_name(["JANEDOE"], "Jane", "Doe")[0] == "full" and engine.match_name(["JOHN DOE"], "Jane", "Doe")[0] == "partial"
    assert engine.classify("hello there")[0] == "other"
    assert engine.classify("Las Vegas\ncurrent syntax\nparent")[1]["standard_utility_bill"] == 0  # short words only as words
    assert engine.classify("ACME INC\nEarnings statement\nGross pay 1.00\nNet pay 1.00\nStatement date 1/1/2026")[0] == "pay_stub"
    german = ["STADTWERKE", "Rechnungsdatum: 14.11.2026", "Erika Mustermann", "Hauptstrasse 5", "10115 Berlin"]
    claimed = {"address-street-1": "Hauptstrasse 5", "address-postal-code": "10115", "address-city": "Berlin"}
    guided = engine.find_claimed_address(german, claimed)  # a format the patterns do not know, found by the claim
    assert guided is not None and engine.match_address([guided], claimed)[0] == "full"
    assert engine.names(german, [guided]) == ["Erika Mustermann"]
    assert engine.labelled_date(german, engine.ISSUE_LABELS)[0] == date(2026, 11, 14)


def test_extraction_responses_name_the_page() -> None:
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(docgen.make("lease", issued=ISSUED, name="Peter Novak").data)).pages[0])
    writer.add_page(PdfReader(io.BytesIO(docgen.make("utility_bill", issued=ISSUED).data)).pages[0])
    buf = io.BytesIO()
    writer.write(buf)
    result = engine.evaluate([(buf.getvalue(), engine.PDF)], engine.Settings(), CLAIMED, today=TODAY)
    responses = {r["field-name"]: r["results"] for r in result.extraction_responses}
    assert {r["page"] for r in responses["dates"]} == {1, 2}
    assert responses["name"][0]["page"] == 2 and responses["address_postal_code"][0]["page"] in (1, 2)


def test_owner_password_only_pdfs_are_read() -> None:
    """Print/copy restrictions (an owner password, an empty user password) do not stop reading; a user
    password does."""
    import io

    from pypdf import PdfReader, PdfWriter

    paper = docgen.make("bank_statement", issued=ISSUED)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(paper.data)))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    engine.check_upload(buf.getvalue())
    result = engine.evaluate([(buf.getvalue(), engine.PDF)], engine.Settings(), CLAIMED, today=TODAY)
    assert result.document_type == "bank_statement" and result.source == "text_layer"
    with pytest.raises(engine.DocumentRejected, match="password"):
        engine.check_upload(docgen.make("bank_statement", issued=ISSUED, variant="encrypted").data)
