"""List adapters: each official format into the canonical record; bad files get clear errors."""

import io
from pathlib import Path

import pytest

from openidv.screening import adapters
from openidv.screening.adapters import ListFormatError

FIXTURES = Path(__file__).parent / "fixtures"


def _parse(name: str, source: str):
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
    assert adapters.list_type("ftm", [person]) == "sanction" and adapters.list_type("pep-csv", [first]) == "pep"
    line = b'{"id": "Q1", "schema": "Person", "properties": {"name": ["Ana Ruiz"], "topics": ["role.pep"], "position": ["Mayor of X"]}}\n'
    peps = adapters.parse(io.BytesIO(line), "ftm")
    assert adapters.list_type("ftm", peps) == "pep" and peps[0].positions == ["Mayor of X"]
    assert person.names[1].full == "Елена Коваленко" and person.birth_dates[0].precision == "month" and person.nationalities == ["UA"]


def test_ofac_advanced_xml() -> None:
    person, company = _parse("sdn_advanced.xml", "ofac-sdn")
    assert person.entity_id == "ofac-9001" and person.schema == "Person" and person.gender == "male"
    assert [(n.full, n.kind) for n in person.names] == [("Viktor Ivanovich PETROVSKY", "primary"), ("Виктор Петровский", "aka"), ("THE BEAR", "weak")]
    assert person.names[0].parts == {"first": "Viktor Ivanovich", "last": "PETROVSKY"}
    assert [(b.value, b.precision) for b in person.birth_dates] == [("1961-03-14", "day"), ("1962", "year")]
    assert person.nationalities == ["RU"] and person.programs == ["RUSSIA-EO14024"] and person.listed_on == "2022-03-11"
    assert (person.documents[0].kind, person.documents[0].number, person.documents[0].country) == ("Passport", "720011223", "RU")
    assert company.schema == "Entity" and company.names[0].full == "OCEANIC TRADING LLC" and company.programs == ["IRAN"]
    legacy = _parse("sdn.xml", "ofac-sdn")[0]  # the same party in both formats has the same entity id
    assert legacy.entity_id == person.entity_id


def test_eu_fsf_xml() -> None:
    person, company = _parse("eu.xml", "eu")
    assert person.entity_id == "eu-130001" and person.schema == "Person" and person.gender == "female"
    assert [(n.full, n.kind) for n in person.names] == [("Elena Sergeyevna Kovalenko", "primary"), ("Елена Сергеевна Коваленко", "aka"), ("Lena K", "weak")]
    assert person.names[0].parts == {"first": "Elena Sergeyevna", "last": "Kovalenko"}
    assert [(b.value, b.precision) for b in person.birth_dates] == [("1975-09-21", "day"), ("1976", "year")]
    assert person.nationalities == ["RU"] and person.programs == ["RUS"] and person.listed_on == "2022-03-15"
    assert (person.documents[0].kind, person.documents[0].number, person.documents[0].country) == ("passport", "4509 112233", "RU")
    assert company.schema == "Organization" and company.names[0].kind == "primary"


def test_uk_fcdo_xml() -> None:
    person, company = _parse("uk.xml", "uk")
    assert person.entity_id == "uk-RUS9001" and person.schema == "Person" and person.gender == "male"
    assert [(n.full, n.kind) for n in person.names] == [
        ("Dmitri Olegovich VOLKOV", "primary"), ("Dmitry VOLKOFF", "aka"), ("The Wolf", "weak"), ("Дмитрий Олегович Волков", "aka"),
    ]
    assert [(b.value, b.precision) for b in person.birth_dates] == [("1968-11-02", "day"), ("1969", "year")]
    assert person.nationalities == ["RU"] and person.countries == ["RU"] and person.programs == ["Russia"] and person.listed_on == "2022-03-15"
    assert person.documents[0].number == "753300112" and person.positions == ["Governor of an oblast"]
    assert company.schema == "Organization" and company.entity_id == "uk-IRN9002"


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
    (b"<x/>", "eu", "unexpected root element <x>, expected <export>"),
    (b"<sdnList/>", "uk", "expected <Designations>"),
    (b"<export><sanctionEntity logicalId='1'><nameAlias wholeName=''/></sanctionEntity></export>", "eu", "sanctionEntity 1 has no nameAlias"),
    (b"<export><sanctionEntity><nameAlias wholeName='A'/></sanctionEntity></export>", "eu", "without logicalId"),
    (b"<Designations><Designation><UniqueID>X1</UniqueID><IndividualEntityShip>Robot</IndividualEntityShip></Designation></Designations>", "uk",
     "IndividualEntityShip must be"),
    (b"<Designations><Designation><UniqueID>X1</UniqueID><IndividualEntityShip>Individual</IndividualEntityShip></Designation></Designations>", "uk",
     "X1 has no name"),
    (b"<Sanctions><ReferenceValueSets/></Sanctions>", "ofac-sdn", "without <DistinctParties>"),
    (b"<Sanctions><DistinctParties><DistinctParty FixedRef='5'><Profile ID='5'/></DistinctParty></DistinctParties></Sanctions>", "ofac-consolidated",
     "DistinctParty 5 has no name"),
    (b"<Sanctions><DistinctParties><DistinctParty FixedRef='5'>", "ofac-sdn", "malformed or truncated XML"),
    (b"<Designations><Designation>", "uk", "malformed or truncated XML"),
    (b"<x/>", "acme", "unknown list source"),
])
def test_bad_files_get_clear_errors(raw: bytes, source: str, message: str) -> None:
    with pytest.raises(ListFormatError, match=None) as err:
        adapters.parse(io.BytesIO(raw), source)
    assert message in str(err.value)
