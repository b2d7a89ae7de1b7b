"""The government-ID engines on generated documents: a clean passport and a driver's licence pass and
fill attributes, defects fail with their check, template limits apply, and hostile files are
refused cleanly (a failed `id_entity_detection`, never an exception). OCR is CPU-heavy: few images."""

import io
import struct
import zlib
from datetime import date

import numpy as np
import pytest
from PIL import Image

from openidv.checks import quality
from openidv.checks.government_id import Evidence, Readers, Settings, evaluate
from openidv.testdata.idgen import distort, make


def jpeg(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def failed(result) -> set[str]:
    return {c["name"] for c in result.checks if c["status"] == "failed" and c["requirement"] == "required"}


@pytest.fixture(scope="module")
def passport():
    return make("passport", 11)


@pytest.fixture(scope="module")
def licence():
    return make("drivers_license", 11)


def test_clean_passport_passes_and_fills_attributes(passport) -> None:
    result = evaluate(Evidence(jpeg(passport.front), id_class="pp"))
    assert failed(result) == set()
    assert result.mrz_lines == passport.mrz_lines
    t = passport.truth
    a = result.attributes
    assert (a["name-last"], a["name-first"], a["identification-number"]) == (t["name-last"], t["name-first"], t["identification-number"])
    assert a["birthdate"] == t["birthdate"] and a["expiration-date"] == t["expiration-date"] and a["id-class"] == "pp"
    names = {c["name"] for c in result.checks}
    assert {"id_entity_detection", "id_blur_detection", "id_glare_detection", "id_mrz_detection", "id_mrz_inconsistency_detection",
            "id_barcode_detection", "id_extraction_inconsistency_detection", "id_extracted_properties_detection",
            "id_expired_detection", "id_age_comparison", "id_disallowed_country_detection", "id_disallowed_type_detection",
            "id_inquiry_comparison", "id_compromised_detection"} <= names
    for c in result.checks:
        assert set(c) == {"name", "status", "reasons", "requirement", "metadata"}
    barcode = result.check("id_barcode_detection")  # a passport has no barcode to look for
    assert (barcode["status"], barcode["reasons"], barcode["requirement"]) == ("not_applicable", ["barcode_not_applicable"], "not_required")


def test_passport_with_a_bad_check_digit_fails() -> None:
    sample = make("passport", 12, "bad_check_digit")
    result = evaluate(Evidence(jpeg(sample.front), id_class="pp"))
    assert "id_mrz_inconsistency_detection" in failed(result)
    assert result.check("id_mrz_inconsistency_detection")["metadata"]["failed-checks"] == ["birthdate", "composite"]
    assert result.check("id_entity_detection")["status"] == "passed"


def test_clean_expired_passport_fails_for_its_expiry_only() -> None:
    # The case: a genuine expired passport photographed plainly is expired, never tampered.
    sample = make("passport", 4, "expired")
    result = evaluate(Evidence(jpeg(sample.front), id_class="pp"))
    assert failed(result) == {"id_expired_detection"}
    assert result.mrz_lines == sample.mrz_lines


class NoText:
    """A `TextReader` that finds no text: the front's OCR is not what the test is about (and costs time)."""

    def detect_text(self, rgb, max_side) -> list:
        return []

    def recognise_text(self, rgb, boxes) -> list[str]:
        return ["" for _ in boxes]


def test_an_unsure_mrz_is_unreadable_not_inconsistent(passport) -> None:
    # Rows found whose check digits disagree because a character is in doubt: a retake, not tampering.
    # What the MRZ reader reports is given (Readers.mrz); how evaluate() weighs it is what is tested.
    from openidv.checks.mrz_reader import MrzReading

    raw = [passport.mrz_lines[0], passport.mrz_lines[1][:5] + "V" + passport.mrz_lines[1][6:]]
    front = jpeg(passport.front)
    for reason in ("check_digits_doubtful", "characters_unsure", "ambiguous_repair"):
        reading = MrzReading(None, True, raw, reasons=[reason], failed_checks=["document_number", "composite"])
        result = evaluate(Evidence(front, id_class="pp"), readers=Readers(mrz=lambda _image, reading=reading: reading, text=NoText()))
        detection, consistency = result.check("id_mrz_detection"), result.check("id_mrz_inconsistency_detection")
        assert (detection["status"], detection["reasons"], detection["requirement"]) == ("failed", ["mrz_unreadable"], "required")
        assert detection["metadata"]["raw"] == raw and detection["metadata"]["reader-reason"] == reason
        assert consistency["status"] == "not_applicable" and "id_mrz_inconsistency_detection" not in failed(result)
    certain = MrzReading(None, True, raw, reasons=["check_digits_disagree"], failed_checks=["document_number", "composite"])
    result = evaluate(Evidence(front, id_class="pp"), readers=Readers(mrz=lambda _image: certain, text=NoText()))
    assert result.check("id_mrz_inconsistency_detection")["reasons"] == ["check_digit_mismatch"]
    assert result.check("id_mrz_detection")["status"] == "passed" and "id_mrz_inconsistency_detection" in failed(result)


def test_licence_barcode_read_and_template_limits(licence) -> None:
    evidence = Evidence(jpeg(licence.front), jpeg(licence.back), country_code="US", id_class="dl")
    result = evaluate(evidence)
    assert failed(result) == set() and result.barcode == licence.barcode
    assert result.attributes["identification-number"] == licence.truth["identification-number"]
    assert result.attributes["birthdate"] == licence.truth["birthdate"] and result.attributes["issuing-subdivision"] == "CA"
    age = result.check("id_age_comparison")
    assert age["requirement"] == "not_required"
    too_old = evaluate(evidence, Settings(max_age=10, allowed_countries=["FR"], allowed_id_classes=["pp"]))
    assert {"id_age_comparison", "id_disallowed_country_detection", "id_disallowed_type_detection"} <= failed(too_old)
    allowed = evaluate(evidence, Settings(min_age=18, allowed_countries=["US"], allowed_id_classes=["dl", "pp"]))
    assert failed(allowed) == set()
    other = evaluate(evidence, inquiry_fields={"name-last": "SOMEONEELSE", "birthdate": licence.truth["birthdate"].isoformat()})
    assert "id_inquiry_comparison" in failed(other)
    same = evaluate(evidence, inquiry_fields={"name-last": licence.truth["name-last"].title()})
    assert "id_inquiry_comparison" not in failed(same)


@pytest.mark.parametrize("defect,check", [("expired", "id_expired_detection"), ("specimen_number", "id_compromised_detection")])
def test_licence_defects(defect: str, check: str) -> None:
    sample = make("drivers_license", 13, defect)
    result = evaluate(Evidence(jpeg(sample.front), jpeg(sample.back), id_class="dl"), today=date.today())
    assert check in failed(result)


def test_blur_and_glare(licence) -> None:
    blurred = evaluate(Evidence(jpeg(distort(licence.front, "heavy_blur")), jpeg(licence.back), id_class="dl"))
    assert "id_blur_detection" in failed(blurred)
    glared = evaluate(Evidence(jpeg(distort(licence.front, "heavy_glare")), jpeg(licence.back), id_class="dl"))
    assert "id_glare_detection" in failed(glared)


def _png_header_bomb(width: int, height: int, rows: int = 3000) -> bytes:
    """A small PNG that declares a huge canvas (a decompression bomb's header), padded past 10 KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00" + b"\x00" * width, 9) * 1
    noise = np.random.default_rng(0).bytes(12_000)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"pad\x00" + noise.hex().encode()[:12_000]) + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _real_bomb() -> bytes:
    """A genuine zip bomb: 12,000 x 12,000 black pixels, a few hundred KB compressed."""
    row = b"\x00" + b"\x00" * 12_000
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(12_000)) + comp.flush()
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12_000, 12_000, 8, 0, 0, 0, 0)) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.mark.parametrize("name,data", [
    ("empty", b""),
    ("text", b"this is not an image " * 1000),
    ("twenty_megabytes", b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024)),
    ("declared_20000px", _png_header_bomb(20_000, 20_000)),
    ("truncated_jpeg", b"\xff\xd8\xff\xe0" + b"\x13" * 20_000),
])
def test_hostile_files_fail_entity_detection(name: str, data: bytes) -> None:
    with pytest.raises(quality.ImageRejected):
        quality.decode(data)
    result = evaluate(Evidence(data, id_class="pp"))
    assert result.check("id_entity_detection")["status"] == "failed"
    assert failed(result) == {"id_entity_detection"}


def test_decompression_bomb_refused_before_decoding() -> None:
    bomb = _real_bomb()
    assert 10 * 1024 < len(bomb) < 1024 * 1024
    with pytest.raises(quality.ImageRejected, match="too large"):
        quality.decode(bomb)


def test_image_formats_by_content(licence) -> None:
    for fmt, mime in (("PNG", "image/png"), ("WEBP", "image/webp"), ("JPEG", "image/jpeg")):
        buf = io.BytesIO()
        licence.front.save(buf, fmt)
        decoded = quality.decode(buf.getvalue())
        assert decoded.mime == mime and decoded.rgb.shape[2] == 3


# ---------------------------------------------------------------- MRZ reader decisions (no OCR needed)

def _confident_read(lines: list[str], fmt: str):
    """A reading whose every cell is sure of the given character."""
    from openidv.checks import mrz_reader as mr

    probs = []
    for line in lines:
        p = np.full((len(line), len(mr.ALPHABET)), 0.001, np.float32)
        for i, c in enumerate(line):
            p[i, mr.ALPHABET.index(c)] = 0.99
        probs.append(p)
    return mr._Read(fmt, probs)


def test_mrz_decision_accepts_a_sure_reading_and_refuses_what_check_digits_cannot_see(passport) -> None:
    from openidv.checks import mrz_reader as mr

    read = _confident_read(passport.mrz_lines, "TD3")
    parsed, lines, _ = mr._decide(read)
    assert parsed is not None and lines == passport.mrz_lines
    # A doubt between `<` and `K` (values 0 and 20: the check digit weighs them alike) in the optional data.
    doubtful = _confident_read(passport.mrz_lines, "TD3")
    doubtful.probs[1][30, mr.ALPHABET.index("K")] = 0.6
    assert mr._decide(doubtful)[0] is None
    # A name letter (no check digit covers it) read without confidence.
    unsure = _confident_read(passport.mrz_lines, "TD3")
    unsure.probs[0][6, mr.ALPHABET.index("Q")] = 0.7
    assert mr._decide(unsure)[0] is None


def test_mrz_decision_repairs_one_doubtful_digit_only_when_unique(passport) -> None:
    from openidv.checks import mrz_reader as mr

    lines = passport.mrz_lines
    birth = lines[1][13]
    wrong = str((int(birth) + 1) % 10)
    read = _confident_read([lines[0], lines[1][:13] + wrong + lines[1][14:]], "TD3")
    read.probs[1][13, mr.ALPHABET.index(wrong)] = 0.5
    read.probs[1][13, mr.ALPHABET.index(birth)] = 0.45
    parsed, got, _ = mr._decide(read)
    assert parsed is not None and got == lines  # the runner-up digit makes every check digit agree
    read.probs[1][13, mr.ALPHABET.index(birth)] = 0.001
    assert mr._decide(read)[0] is None  # no plausible alternative: unreadable, never a guess


def test_mrz_decision_tells_a_doubtful_disagreement_from_a_certain_one(passport) -> None:
    from openidv.checks import mrz, mrz_reader as mr

    lines = passport.mrz_lines
    # The printed birth date check digit is wrong and every character was read surely: certain.
    row = lines[1]
    tampered = _confident_read([lines[0], row[:19] + str((int(row[19]) + 3) % 10) + row[20:]], "TD3")
    assert mr._decide(tampered)[0] is None and mr._decide(tampered)[2] == mr.CHECK_DIGITS_DISAGREE
    # A number letter read as another (`M` as `V`, the truth the runner-up) and an expiry digit misread
    # surely: no one exchange repairs both, but the doubtful letter accounts for the number's failure.
    true, misread = row[5], next(c for c in "VNMW" if c != row[5] and mrz.char_value(c) % 10 != mrz.char_value(row[5]) % 10)
    digit = str((int(row[21]) + 5) % 10)
    doubtful = _confident_read([lines[0], row[:5] + misread + row[6:21] + digit + row[22:]], "TD3")
    doubtful.probs[1][5, mr.ALPHABET.index(misread)] = 0.6
    doubtful.probs[1][5, mr.ALPHABET.index(true)] = 0.2
    parsed, got, why = mr._decide(doubtful)
    assert parsed is None and why == "check_digits_doubtful"
    assert mrz.parse(got).failed_checks == ["document_number", "expiration_date", "composite"]
    # Without the doubt the same misreads look like the document's own: certain again.
    doubtful.probs[1][5, mr.ALPHABET.index(misread)] = 0.99
    doubtful.probs[1][5, mr.ALPHABET.index(true)] = 0.001
    assert mr._decide(doubtful)[2] == mr.CHECK_DIGITS_DISAGREE


def test_generated_documents_do_not_follow_the_calendar(monkeypatch) -> None:
    from openidv.testdata import idgen

    class Later(date):
        @classmethod
        def today(cls) -> date:
            return date(2031, 6, 1)

    made = make("passport", 11)
    monkeypatch.setattr(idgen, "date", Later)
    assert make("passport", 11).mrz_lines == made.mrz_lines == make("passport", 11, today=idgen.REFERENCE).mrz_lines
    assert make("passport", 11, "expired").truth["expiration-date"] < idgen.REFERENCE
    assert date.today() < idgen.VALID_UNTIL, "clean generated documents have expired: move idgen.REFERENCE forward"
    assert made.truth["expiration-date"] >= idgen.VALID_UNTIL


def test_no_mrz_is_drawn_without_ocr_b(monkeypatch) -> None:
    from openidv.testdata import idgen

    monkeypatch.setattr(idgen, "OCRB", idgen.Path("/nonexistent/NoSuchFont-OCRB.otf"))
    with pytest.raises(idgen.FontMissing, match="openidv/testdata/fonts"):
        make("passport", 1)
    assert make("drivers_license", 1).barcode  # a licence carries no MRZ


def test_state_codes_are_chosen_among_icao_codes() -> None:
    from openidv.checks import mrz_reader as mr

    sample = make("id_card", 3)  # an NLD card
    lines = [sample.mrz_lines[0], sample.mrz_lines[1][:15] + "NID" + sample.mrz_lines[1][18:], sample.mrz_lines[2]]
    read = _confident_read(lines, "TD1")
    read.probs[1][16, mr.ALPHABET.index("L")] = 0.5
    fixed, risk = mr._codes(read, lines)
    assert fixed[1][15:18] == "NLD" and risk < 1


def test_mrz_read_upside_down_and_on_a_textured_background(passport) -> None:
    from openidv.checks import mrz_reader

    turned = np.asarray(passport.front.rotate(180))
    reading = mrz_reader.read_mrz(turned)
    assert reading.mrz is not None and reading.mrz.lines == passport.mrz_lines and reading.orientation == 180
    card = make("id_card", 4)
    framed = np.asarray(distort(card.back, "background", 4))
    assert quality.card_corners(quality.gray_of(framed)) is not None
    reading = mrz_reader.read_mrz(framed)
    assert reading.mrz is not None and reading.mrz.lines == card.mrz_lines
