"""MRZ near misses: one character read as its look-alike (`mrz_reader.LOOKALIKES`), in every field of a
TD3 and a TD1 MRZ, surely or in doubt. A disagreement a look-alike explains asks for a retake
(unreadable); it is never reported as the document's own (`check_digits_disagree`, a tamper signal),
and a misread a check digit sees is never accepted as a reading. The decision is tested on every pair
without OCR; the issue's case (a clean expired passport whose `M` was read `V`) and every near miss of
one passport run through the real recogniser (`testdata.misread.Misread`)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from openidv.checks import mrz, mrz_reader as mr
from openidv.checks.government_id import Evidence, evaluate
from openidv.testdata.idgen import make
from openidv.testdata.misread import FIELDS, Misread, NearMiss, near_miss_cases

CHECKED = {"document_number", "check_digit", "birthdate", "expiration_date", "optional_data", "composite"}


def _read(lines: list[str], fmt: str, at: tuple[int, int], wrong: str, share: float) -> mr._Read:
    """Every cell sure of its character, except `at`, read as `wrong` with `share` (the truth has the rest)."""
    probs = []
    for line in lines:
        p = np.full((len(line), len(mr.ALPHABET)), 0.001, np.float32)
        p[np.arange(len(line)), [mr.ALPHABET.index(c) for c in line]] = 0.99
        probs.append(p)
    row, i = at
    probs[row][i, mr.ALPHABET.index(wrong)] = share
    probs[row][i, mr.ALPHABET.index(lines[row][i])] = 0.99 - share if share < 0.99 else 0.001
    return mr._Read(fmt, probs)


def _document(fmt: str, field: str, char: str) -> tuple[list[str], int, int] | None:
    """An MRZ holding `char` in `field` (None when the field cannot hold it), and where it stands."""
    number, birth, expiry, optional, sex, surname = "L8B9Z2C4", "850314", "320915", "", "F", "ERIKSSON"
    allowed = {"document_number": mr.ALPHABET[1:], "birthdate": "0123456789", "expiration_date": "0123456789",
               "optional_data": mr.ALPHABET[1:], "names": mr.ALPHABET[11:], "sex": "MF<"}
    if field in allowed and char not in allowed[field]:
        return None
    if field == "document_number":
        number = char + number
    elif field == "birthdate":
        birth = "8" + char + birth[2:]
    elif field == "expiration_date":
        expiry = "3" + char + expiry[2:]
    elif field == "optional_data":
        optional = "7" + char + "41"
    elif field == "names":
        surname = "P" + char + "TERS"
    elif field == "sex":
        sex = char
    elif field in ("check_digit", "composite"):
        if char not in "0123456789":
            return None
        for k in range(200):  # a number (and expiry) whose check digit (or the composite) is `char`
            number, expiry = f"L8B9Z{k:03d}", f"32091{k % 9 + 1}"
            lines = _build(fmt, number, birth, expiry, optional, sex, surname)
            _, row, start, _ = next(f for f in FIELDS[fmt] if f[0] == field)
            if lines[row][start] == char:
                return lines, row, start
        return None  # (a TD3 composite of these fields is always even)
    else:
        return None
    lines = _build(fmt, number, birth, expiry, optional, sex, surname)
    _, row, start, end = next(f for f in FIELDS[fmt] if f[0] == field)
    return lines, row, lines[row].index(char, start, end)


def _build(fmt: str, number: str, birth: str, expiry: str, optional: str, sex: str, surname: str) -> list[str]:
    return mrz.build(fmt, document_code="P" if fmt == "TD3" else "ID", issuing_state="NLD", document_number=number,
                     nationality="NLD", birthdate=birth, sex=sex, expiration=expiry, surname=surname,
                     given_names="ANNA", optional=optional)


def _layout_kind(fmt: str, row: int, i: int) -> str:
    return mr.LAYOUT[fmt][row][i]


@pytest.mark.parametrize("fmt", ["TD3", "TD1"])
def test_every_lookalike_in_every_field_is_a_retake_never_tampering(fmt: str) -> None:
    fields = sorted({f[0] for f in FIELDS[fmt]} - {"nationality"})
    tried = 0
    for field in fields:
        for true, wrongs in sorted(mr.LOOKALIKES.items()):
            made = _document(fmt, field, true)
            if made is None:
                continue
            lines, row, i = made
            kind = _layout_kind(fmt, row, i)
            for wrong in wrongs:
                wrong = mr._FOLD[kind].get(wrong, wrong)  # what the position lets the recogniser say
                if wrong == true or wrong not in mr._ALLOWED[kind]:
                    continue  # the field's type folds the look-alike back (a date's `O` is `0`)
                for share in (0.99, 0.6):  # read surely, or with the truth as a close runner-up
                    tried += 1
                    parsed, _, why = mr._decide(_read(lines, fmt, (row, i), wrong, share))
                    case = f"{fmt} {field}: {true!r} read {wrong!r} at share {share}"
                    assert why != mr.CHECK_DIGITS_DISAGREE, case
                    seen = mrz.char_value(true) % 10 != mrz.char_value(wrong) % 10
                    if field in CHECKED and seen or share < 0.99:
                        # A misread the check digits see, or one in doubt, is never taken as a reading.
                        assert parsed is None or parsed.lines == lines, case
    assert tried > 150


def test_the_issue_case_a_clean_expired_passport_with_m_read_v_asks_for_a_retake() -> None:
    sample = make("passport", 7, "expired")  # number M8C007049: its `M` is read `V`, surely
    assert sample.mrz_lines[1][0] == "M"
    misread = Misread(NearMiss("document_number", 1, 0, "M", "V"))
    front = sample.jpeg("front", 90)
    reading = mr.read_mrz(np.asarray(Image.open(io.BytesIO(front)).convert("RGB")), recogniser=misread)
    assert misread.injected and reading.raw[1][0] == "V"
    assert reading.mrz is None and reading.reasons == ["check_digits_near_miss"] and not reading.mismatch_certain

    from openidv.checks.government_id import Readers

    result = evaluate(Evidence(front, id_class="pp"), readers=Readers(mrz=lambda image: mr.read_mrz(image, recogniser=misread)))
    detection, consistency = result.check("id_mrz_detection"), result.check("id_mrz_inconsistency_detection")
    assert (detection["status"], detection["reasons"]) == ("failed", ["mrz_unreadable"])
    assert detection["metadata"]["reader-reason"] == "check_digits_near_miss"
    assert consistency["status"] == "not_applicable"


def test_every_near_miss_of_a_real_passport_is_read_or_a_retake() -> None:
    # The real recogniser on a real band: each look-alike of each character the MRZ holds, field by field.
    sample = make("passport", 7)
    rgb = np.asarray(sample.front.convert("RGB"))
    cases = [c for c in near_miss_cases("TD3", sample.mrz_lines) if c.field in CHECKED]
    assert {c.field for c in cases} == CHECKED
    injected = 0
    for case in cases:
        misread = Misread(case)
        reading = mr.read_mrz(rgb, recogniser=misread)
        injected += misread.injected
        assert not reading.mismatch_certain, case
        if reading.mrz is not None and mrz.char_value(case.true) % 10 != mrz.char_value(case.wrong) % 10:
            assert reading.mrz.lines == sample.mrz_lines, case
    assert injected == len(cases)


def test_a_certain_disagreement_is_still_tampering() -> None:
    # The generator's bad check digit is one no look-alike misread explains (a date digit read `0`
    # for `8` can make a wrong birth date check digit agree, the composite too): certain.
    sample = make("passport", 3, "bad_check_digit")
    assert mrz.parse(sample.mrz_lines).failed_checks == ["birthdate", "composite"]
    assert not any(mr._parse(c) for c in mr.near_misses("TD3", sample.mrz_lines))
    result = evaluate(Evidence(sample.jpeg("front", 90), id_class="pp"))
    assert result.check("id_mrz_inconsistency_detection")["reasons"] == ["check_digit_mismatch"]
