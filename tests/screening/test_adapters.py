"""List adapters: each official format into the canonical record; bad files get clear errors."""

import io
from pathlib import Path

import pytest

from openidv.screening import adapters
from openidv.screening.adapters import ListFormatError

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str, source: str):  # noqa: ANN202
    return adapters.parse(io.BytesIO((FIXTURES / name).read_bytes()), source)


def test_ofac_sdn_xml() -> None:
    person, company = _parse("sdn.xml", "ofac-sdn")
    assert person.entity_id == "ofac-9001" and person.schema == "Person"
    assert [(n.full, n.kind) for n in person.names] == [("Viktor Ivanovich PETROVSKY", "primary"), ("Viktor PETROVSKII", "aka"), ("THE BEAR", "weak")]
    assert person.names[0].parts == {"first": "Viktor Ivanovich", "last": "PETROVSKY"}
    assert [(b.value, b.precision) for b in person.birth_dates] == [("1961-03-14", "day")]
    assert person.nationalities == ["RU"] and person.programs == ["RUSSIA-EO14024"]
    assert person.documents[0].number == "720011223" and person.documents[0].country == "RU"
    assert company.schema == "Entity" and len(person.content_hash()) == 64


def test_un_xml() -> None:
    (person,) = _parse("un.xml", "un")
    assert person.entity_id == "un-6908001" and person.names[0].full == "WON HO RI"
    assert [n.kind for n in person.names] == ["primary", "aka", "weak"]
    assert person.nationalities == ["KP"] and person.gender == "male" and person.listed_on == "2016-03-02"
    assert person.birth_dates[0].value == "1964-07-17" and person.programs == ["DPRK"]


def test_pep_csv_and_ftm() -> None:
    first, second = _parse("pep.csv", "pep-csv")
    assert first.positions == ["Minister of Finance"] and first.countries == ["CO"] and first.names[1].kind == "aka"
    assert second.birth_dates[0].precision == "year"
    (person,) = _parse("ftm.jsonl", "ftm")  # the company is not a person: skipped
    assert person.names[1].full == "Елена Коваленко" and person.birth_dates[0].precision == "month" and person.nationalities == ["UA"]


@pytest.mark.parametrize(("raw", "source", "message"), [
    (b"<sdnList><sdnEntry><uid>1</uid>", "ofac-sdn", "malformed or truncated XML"),
    (b"<other/>", "ofac-sdn", "unexpected root element <other>"),
    (b"<sdnList/>", "ofac-sdn", "no entries"),
    (b"<sdnList><sdnEntry><uid>1</uid></sdnEntry></sdnList>", "ofac-sdn", "without uid or lastName"),
    (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><sdnList/>', "ofac-sdn", "DOCTYPE"),
    (b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>", "un", "without DATAID or FIRST_NAME"),
    (b"id,name\nx,\n", "pep-csv", "row 2: id and name are required"),
    (b"name\nA\n", "pep-csv", "missing the column(s) id"),
    (b"id,name\na,A\na,B\n", "pep-csv", "appears twice"),
    (b"{not json\n", "ftm", "line 1: not JSON"),
    (b"<x/>", "eu", "not supported yet"),
    (b"<x/>", "acme", "unknown list source"),
])
def test_bad_files_get_clear_errors(raw: bytes, source: str, message: str) -> None:
    with pytest.raises(ListFormatError, match=None) as err:
        adapters.parse(io.BytesIO(raw), source)
    assert message in str(err.value)
