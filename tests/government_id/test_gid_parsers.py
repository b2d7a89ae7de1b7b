"""The ICAO 9303 MRZ parser and the AAMVA payload parser: every check digit, corrections only where
a field's type allows them, both AAMVA date orders, malformed input refused with our own errors."""

from datetime import date

import pytest
from hypothesis import given, settings, strategies as st

from openidv.checks import aamva, icao_countries, mrz

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]


def test_check_digit_examples() -> None:
    assert mrz.check_digit("L898902C3") == "6"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("120415") == "9"
    assert mrz.check_digit("<<<<") == "0"


@pytest.mark.parametrize("lines,fmt", [(TD3, "TD3"), (TD2, "TD2"), (TD1, "TD1")])
def test_icao_specimens(lines: list[str], fmt: str) -> None:
    m = mrz.parse(lines, today=date(2020, 1, 1))
    assert (m.format, m.valid, m.corrected) == (fmt, True, False)
    assert (m.surname, m.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert m.birthdate == date(1974, 8, 12) and m.expiration_date == date(2012, 4, 15)
    assert m.sex == "F" and m.issuing_state == "UTO" and m.nationality == "UTO"
    assert m.document_number == ("L898902C3" if fmt == "TD3" else "D23145890")


def _flip(lines: list[str], row: int, col: int) -> list[str]:
    line = lines[row]
    c = line[col]
    new = str((int(c) + 1) % 10) if c.isdigit() else ("B" if c != "B" else "C")
    return [*lines[:row], line[:col] + new + line[col + 1:], *lines[row + 1:]]


@pytest.mark.parametrize("lines,row,col,failed", [
    (TD3, 1, 9, "document_number"), (TD3, 1, 19, "birthdate"), (TD3, 1, 27, "expiration_date"),
    (TD3, 1, 42, "optional_data"), (TD3, 1, 43, "composite"),
    (TD2, 1, 9, "document_number"), (TD2, 1, 19, "birthdate"), (TD2, 1, 27, "expiration_date"), (TD2, 1, 35, "composite"),
    (TD1, 0, 14, "document_number"), (TD1, 1, 6, "birthdate"), (TD1, 1, 14, "expiration_date"), (TD1, 1, 29, "composite"),
])
def test_every_check_digit_is_verified(lines: list[str], row: int, col: int, failed: str) -> None:
    m = mrz.parse(_flip(lines, row, col))
    assert failed in m.failed_checks and not m.valid


def test_corrections_follow_field_types() -> None:
    ocr = ["P<UT0ERIKSS0N<<ANNA<MAR1A<<<<<<<<<<<<<<<<<<<", "L898902C36UT07408I22F12O4159ZE184226B<<<<<10"]
    m = mrz.parse(ocr)
    assert m.valid and m.corrected
    assert m.lines == TD3
    # A digit in an alphanumeric document number is not touched when its check digit already agrees.
    assert mrz.parse(TD3).document_number == "L898902C3"


def test_document_number_repaired_only_when_unique() -> None:
    lines = [TD3[0], "L8989O2C36" + TD3[1][10:]]  # 0 read as O inside the document number
    m = mrz.parse(lines)
    assert m.document_number == "L898902C3" and m.valid


def test_long_td1_document_number() -> None:
    l1 = "I<UTOD23145890<7349<<<<<<<<<<<"
    number = "D23145890734"
    assert mrz.check_digit(number) == "9"
    l2 = "3407127M9507122UTO<<<<<<<<<<<"
    l2 += mrz.check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    m = mrz.parse([l1, l2, "STEVENSON<<PETER<JOHN<<<<<<<<<"])
    assert m.document_number == number and m.valid


@pytest.mark.parametrize("bad", [
    "", "hello world", "P<UTO\nshort", TD3[0] + "\n" + TD3[1][:-1], "\n".join(TD3 + TD3[:1]),
    TD3[0].replace("<", "#", 1) + "\n" + TD3[1], "Z<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" + TD3[1],
])
def test_malformed_mrz_refused(bad: str) -> None:
    with pytest.raises(mrz.MrzError):
        mrz.parse(bad)


names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
numbers = st.text(alphabet="ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=9, max_size=9)
dates = st.dates(date(1931, 1, 1), date(2029, 12, 31)).map(lambda d: d.strftime("%y%m%d"))


@settings(max_examples=150, deadline=None)
@given(fmt=st.sampled_from(["TD1", "TD2", "TD3"]), surname=names, given_name=names, number=numbers,
       birth=dates, expiry=dates, sex=st.sampled_from("MF<"), state=st.sampled_from(["D", "UTO", "USA", "FRA", "GBD"]))
def test_build_then_parse_round_trip(fmt: str, surname: str, given_name: str, number: str, birth: str, expiry: str,
                                     sex: str, state: str) -> None:
    lines = mrz.build(fmt, document_code="P" if fmt == "TD3" else "ID", issuing_state=state, document_number=number,
                      nationality=state, birthdate=birth, sex=sex, expiration=expiry, surname=surname, given_names=given_name)
    m = mrz.parse(lines)
    assert m.valid and not m.corrected
    assert m.surname == surname and m.given_names == given_name[: len(m.given_names)]
    assert m.document_number == number and m.birthdate_raw == birth and m.expiration_raw == expiry


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_arbitrary_text_never_crashes(text: str) -> None:
    try:
        mrz.parse(text)
    except mrz.MrzError:
        pass


def test_icao_country_table() -> None:
    assert icao_countries.to_iso2("D<<") == "DE"
    assert icao_countries.to_iso2("GBD") == "GB"
    assert icao_countries.to_iso2("USA") == "US"
    assert icao_countries.to_iso2("XXA") is None and icao_countries.to_iso2("QQQ") is None
    assert icao_countries.from_iso2("DE") == "D" and icao_countries.from_iso2("FR") == "FRA"


# ---------------------------------------------------------------- AAMVA

US = {"DAQ": "D1234567", "DCS": "PUBLIC", "DAC": "JOHN", "DAD": "Q", "DBB": "07041985", "DBA": "07042030",
      "DBD": "01022022", "DBC": "1", "DAG": "123 MAIN ST", "DAI": "ANYTOWN", "DAJ": "CA", "DAK": "902230000", "DCG": "USA"}


@pytest.mark.parametrize("version", range(1, 11))
def test_aamva_versions(version: int) -> None:
    elements = dict(US)
    if version == 1:
        elements = {k: v for k, v in elements.items() if k not in ("DCS", "DAC", "DAD")}
        elements |= {"DAA": "PUBLIC,JOHN,Q", "DBB": "19850704", "DBA": "20300704", "DBD": "20220102"}
    card = aamva.parse(aamva.build(elements, version=version, jurisdiction_version=3))
    assert card.version == version and card.jurisdiction_version == (None if version == 1 else 3)
    assert card.names() == ("JOHN", "Q", "PUBLIC")
    assert card.date("DBB") == date(1985, 7, 4) and card.date("DBA") == date(2030, 7, 4)
    assert card.attributes()["identification-number"] == "D1234567" and card.sex == "M"


def test_aamva_canadian_date_order() -> None:
    elements = dict(US) | {"DBB": "19850704", "DBA": "20300704", "DBD": "20220102", "DCG": "CAN", "DAJ": "ON"}
    card = aamva.parse(aamva.build(elements, iin="636012"))
    assert card.country == "CA" and card.date("DBB") == date(1985, 7, 4)
    # The same digits read in US order are no date at all.
    assert aamva.parse_date("19850704", "MMDDCCYY") is None


def test_aamva_subfiles_and_offsets() -> None:
    payload = aamva.build(US, extra_subfiles={"ZC": {"ZCA": "X"}})
    card = aamva.parse(payload)
    assert [s.type for s in card.subfiles] == ["DL", "ZC"] and card.id_class == "dl"
    assert card.elements["ZCA"] == "X"
    bad_offset = payload.replace("DL0041", "DL0090", 1)
    assert bad_offset != payload
    with pytest.raises(aamva.AamvaError):
        aamva.parse(bad_offset)


@pytest.mark.parametrize("mutate", [
    lambda p: p[1:], lambda p: p.replace("ANSI ", "ANSX ", 1), lambda p: p.replace("636000", "63600X", 1),
    lambda p: p.replace("63600010", "63600011", 1), lambda p: p.replace("63600010", "63600000", 1),
    lambda p: p[:40], lambda _p: "", lambda p: p.replace("DAQ", "", 1), lambda p: p.replace("DL0", "D?0", 1),
])
def test_aamva_malformed_refused(mutate) -> None:
    with pytest.raises(aamva.AamvaError):
        aamva.parse(mutate(aamva.build(US)))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_aamva_arbitrary_text_never_crashes(text: str) -> None:
    try:
        aamva.parse("@\n\x1e\rANSI " + text)
    except aamva.AamvaError:
        pass
