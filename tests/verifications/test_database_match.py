"""The comparison engine attribute by attribute, and the benchmark's floors on a small generated set."""

import importlib.util
from pathlib import Path

import pytest

from openidv.checks import database_match as m

RECORD = {
    "name-first": "José", "name-middle": "Luis", "name-last": "García Pérez", "birthdate": "1984-03-07",
    "address-street-1": "123 North Main Street", "address-street-2": "Apartment 4", "address-city": "San Francisco",
    "address-subdivision": "California", "address-postal-code": "94111", "address-country-code": "US",
    "phone-number": "+14155550132", "email-address": "Jose.Garcia@gmail.com", "identification-number": "536-90-4399",
}


@pytest.mark.parametrize(("claim", "expected"), [
    ({"name-first": "José", "name-middle": "Luis", "name-last": "García Pérez"}, "full"),
    ({"name-first": "GARCIA PEREZ", "name-last": "jose luis"}, "full"),
    ({"name-first": "Jose", "name-last": "Garcia Perez"}, "full"),
    ({"name-first": "Jose", "name-middle": "L.", "name-last": "Garcia Perez"}, "full"),
    ({"name-first": "Jsoe", "name-last": "Garcia Perez"}, "partial"),
    ({"name-first": "J.", "name-last": "García"}, "partial"),
    ({"name-first": "Pepe", "name-last": "García"}, "partial"),
    ({"name-first": "Maria", "name-last": "García Pérez"}, "none"),
    ({"name-first": "José", "name-last": "Fernández"}, "none"),
    ({"name-first": "José", "name-middle": "Antonio", "name-last": "García Pérez"}, "none"),
    ({}, "not_applicable"),
])
def test_names(claim, expected):
    assert m.compare_names(claim, RECORD) == expected


def test_other_attributes():
    assert m.compare_birthdates("1984-03-07", RECORD["birthdate"]) == "full"
    assert m.compare_birthdates("1984-07-03", RECORD["birthdate"]) == "partial"
    assert m.compare_birthdates("1985-03-07", RECORD["birthdate"]) == "none"
    assert m.compare_birthdates("", RECORD["birthdate"]) == "not_applicable"
    same = {"address-street-1": "123 N Main St", "address-street-2": "#4", "address-postal-code": "94111-2233", "address-city": "san francisco"}
    assert m.compare_addresses(same, RECORD) == "full"
    assert m.compare_addresses({**same, "address-street-1": "123 N Mian St", "address-street-2": "Apt 4"}, RECORD) == "partial"
    elsewhere = {**same, "address-street-1": "9 Elm Rd", "address-street-2": "", "address-postal-code": "10001", "address-city": "New York"}
    assert m.compare_addresses(elsewhere, RECORD) == "none"
    assert m.compare_addresses({**same, "address-country-code": "CA"}, RECORD) == "none"
    assert m.compare_phones("(415) 555-0132", RECORD["phone-number"]) == "full"
    assert m.compare_phones("+1 212 555 0132", RECORD["phone-number"]) == "partial"
    assert m.compare_emails("josegarcia+bank@gmail.com", RECORD["email-address"]) == "full"
    assert m.compare_emails("jose.garcia@yahoo.com", RECORD["email-address"]) == "partial"
    assert m.compare_id_numbers("536904399", RECORD["identification-number"]) == "full"
    assert m.compare_id_numbers("4399", RECORD["identification-number"]) == "partial"
    assert m.id_number_valid("536-90-4399", "US") is True
    assert m.id_number_valid("000-90-4399", "US") is False
    assert m.id_number_valid("12345678Z", "ES") is True and m.id_number_valid("12345678A", "ES") is False
    assert m.id_number_valid("anything", "ZZ") is None
    assert m.is_po_box("P.O. Box 12") and m.is_po_box("Apartado Postal 7") and not m.is_po_box("12 Boxwood Lane")


def test_identity_needs_name_and_an_exact_anchor():
    base = {"name-first": "Jose", "name-last": "Garcia", "birthdate": "1984-03-07"}
    assert m.compare(base, RECORD).identity
    assert not m.compare({**base, "birthdate": "1984-03-08"}, RECORD).identity
    assert m.compare({**base, "birthdate": "1984-03-08"}, RECORD).reasons == ["property_conflict"]
    assert not m.compare({**base, "name-first": "Maria"}, RECORD).identity
    assert not m.compare({"name-first": "Jose", "name-last": "Garcia"}, RECORD).identity  # no anchor
    assert m.compare({"name-first": "Jose", "name-last": "Garcia", "identification-number": "536904399"}, RECORD).identity


def test_benchmark_floors_on_a_small_set():
    path = Path(__file__).resolve().parents[2] / "bench" / "database_match.py"
    spec = importlib.util.spec_from_file_location("bench_database_match", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    result = bench.run(250, seed=11)
    assert result["recall"] >= 0.98, result
    assert result["precision"] >= 0.995, result
