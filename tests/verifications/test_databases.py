"""Database verifications against records imported with `openidv records import` (the real CLI,
the real database), and the import's per-row report."""

import json

import pytest
from sqlalchemy import func, select

from openidv.cli import main
from openidv.models import Record, Verification

BASE = "/api/v1/verification/databases"
HEADER = ("reference,name_first,name_middle,name_last,birthdate,address_street_1,address_city,address_subdivision,address_postal_code,country_code,"
          "phone_number,email_address,identification_number,deceased")
CSV = HEADER + """
c-1,José,Luis,García Pérez,1984-03-07,123 Main Street,San Francisco,California,94111,US,+1 415 555 0132,jose@example.com,536-90-4399,
c-2,Mary,,O'Brien,1990-12-01,PO Box 55,Boston,MA,02101,US,,,,
c-3,Walter,,White,1958-09-07,308 Negra Arroyo Lane,Albuquerque,NM,87104,US,,,,yes
bad-1,,,,1990-01-01,,,,,,,,,
bad-2,Ann,,Lee,1990-13-45,,,,,,,,,
bad-3,Tom,,Fox,1970-01-01,,,,,,,not-an-email,,
bad-4,Zed,,Ray,1970-01-01,,,,,,,,,,extra,cells
"""


@pytest.fixture
def cli_env(settings, monkeypatch):
    """The CLI reads the same database and keys as the app under test."""
    secrets = settings.secrets
    monkeypatch.setenv("OPENIDV_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("OPENIDV_DATABASE_URL", settings.resolved_database_url)
    for key, value in secrets.items():
        monkeypatch.setenv("OPENIDV_" + key.upper(), value)


@pytest.fixture
def records(world, cli_env, tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    assert main(["records", "import", str(path), "--source", "default"]) == 0
    return capsys.readouterr()


def _create(client, inquiry_id, **claims):
    return client.post(BASE, json={"data": {"type": "verification/database", "attributes": {"inquiry-id": inquiry_id, **claims}}})


def test_import_reports_broken_rows_and_seals_the_rest(records, db):
    assert "source default: 3 imported, 0 replaced, 4 rejected" in records.out
    assert "row 4: name-first or name-last is missing" in records.out
    assert "row 5: birthdate '1990-13-45' is not a date" in records.out
    assert "row 6: email-address is not an e-mail address" in records.out
    assert "row 7: the row has more cells than the header" in records.out
    assert "3/7 rows" not in records.err and "7/7 rows" in records.err  # progress bar
    rows = list(db.scalars(select(Record)))
    assert len(rows) == 3
    assert all(b"Garc" not in r.data_sealed and r.birthdate_index for r in rows)
    assert {r.data["name-last"] for r in rows} == {"García Pérez", "O'Brien", "White"}


def test_reimport_replaces_and_strict_writes_nothing(records, tmp_path, capsys, db):
    again = tmp_path / "again.json"
    again.write_text(json.dumps([{"reference": "c-2", "nameFirst": "Mary", "nameLast": "O'Brien", "birthdate": "1990-12-02"}, {"reference": "c-9"}]))
    assert main(["records", "import", str(again), "--source", "default", "--strict"]) == 1
    assert "nothing imported" in capsys.readouterr().out
    assert db.scalar(select(func.count()).select_from(Record)) == 3
    assert main(["records", "import", str(again), "--source", "default"]) == 0
    assert "1 replaced, 1 rejected" in capsys.readouterr().out
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    assert main(["records", "import", str(broken), "--source", "default"]) == 1


def test_matching_identity_passes_and_completes_the_inquiry(client, api, world, records, valid):
    fields = {"name-first": "Jose", "name-last": "Garcia", "birthdate": "1984-03-07"}  # transliterated, second surname left out
    inquiry = api.new_inquiry(world.templates["Database"], fields)
    made = _create(client, inquiry["id"], **{"address-street-1": "123 main st", "address-city": "san francisco", "address-subdivision": "CA",
                                             "address-postal-code": "94111-1234", "country-code": "US", "identification-number": "536904399"})
    assert made.status_code == 201, made.text
    valid(made.json()["data"], "verification-database")
    done = client.post(f"{BASE}/{made.json()['data']['id']}/submit")
    assert done.status_code == 200, done.text
    body = done.json()["data"]
    valid(body, "verification-database")
    attributes = body["attributes"]
    assert attributes["status"] == "passed", attributes["checks"]
    assert attributes["name-first"] == "Jose" and attributes["birthdate"] == "1984-03-07"
    assert attributes["normalized-address-street-1"] == "123 Main St" and attributes["normalized-address-postal-code"] == "94111"
    checks = {c["name"]: c for c in attributes["checks"]}
    identity = checks["database_identity_comparison"]
    assert identity["status"] == "passed" and identity["requirement"] == "required"
    assert {r["name"]: r["match_result"] for r in identity["metadata"]["check_requirements"]} == {
        "database_name_comparison": "partial", "database_birthdate_comparison": "full", "database_identification_number_comparison": "full",
    }
    assert checks["database_address_comparison"]["metadata"]["match_result"] == "full"
    assert checks["database_phone_number_comparison"]["status"] == "not_applicable"
    assert checks["database_deceased_detection"]["status"] == "passed"
    assert api.inquiry(inquiry["id"])["status"] == "completed"


def test_conflicting_birthdate_fails_and_the_step_retries(client, api, world, records):
    inquiry = api.new_inquiry(world.templates["Database"], {"name-first": "José", "name-last": "García Pérez", "birthdate": "1984-03-08"})
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    attributes = client.post(f"{BASE}/{vid}/submit").json()["data"]["attributes"]
    assert attributes["status"] == "failed"
    identity = next(c for c in attributes["checks"] if c["name"] == "database_identity_comparison")
    assert identity["status"] == "failed" and identity["reasons"] == ["property_conflict"]
    assert api.inquiry(inquiry["id"])["next-step-name"] == "retry_verification_database"


def test_unknown_person_deceased_record_po_box_and_bad_number(client, api, world, records):
    inquiry = api.new_inquiry(world.templates["Database"], {"name-first": "Nobody", "name-last": "Known", "birthdate": "2000-01-01"})
    unknown = client.post(f"{BASE}/{_create(client, inquiry['id']).json()['data']['id']}/submit").json()["data"]["attributes"]
    assert unknown["status"] == "failed"
    assert next(c for c in unknown["checks"] if c["name"] == "database_identity_comparison")["reasons"] == ["no_record_found"]

    inquiry = api.new_inquiry(world.templates["Database"], {"name-first": "Walter", "name-last": "White", "birthdate": "1958-09-07"})
    dead = client.post(f"{BASE}/{_create(client, inquiry['id']).json()['data']['id']}/submit").json()["data"]["attributes"]
    assert dead["status"] == "failed"
    assert next(c for c in dead["checks"] if c["name"] == "database_deceased_detection")["reasons"] == ["deceased"]

    inquiry = api.new_inquiry(world.templates["Database"], {"name-first": "mary", "name-last": "obrien", "birthdate": "1990-12-01"})
    boxed_id = _create(client, inquiry["id"], **{"address-street-1": "P.O. Box 55"}).json()["data"]["id"]
    boxed = client.post(f"{BASE}/{boxed_id}/submit").json()["data"]["attributes"]
    checks = {c["name"]: c for c in boxed["checks"]}
    assert boxed["status"] == "passed"  # the PO box check is not required by default
    assert checks["database_po_box_detection"]["status"] == "failed" and checks["database_po_box_detection"]["requirement"] == "not_required"

    inquiry = api.new_inquiry(world.templates["Database"], {"name-first": "José", "name-last": "García", "birthdate": "1984-03-07"})
    vid = _create(client, inquiry["id"], **{"identification-number": "000-12-3456", "country-code": "US"}).json()["data"]["id"]
    checked = client.post(f"{BASE}/{vid}/submit").json()["data"]["attributes"]
    number = next(c for c in checked["checks"] if c["name"] == "database_identification_number_comparison")
    assert number["status"] == "failed" and number["reasons"] == ["invalid_identification_number"]
    assert checked["status"] == "failed"  # a different number is a conflict


def test_bad_claims_are_400_and_write_nothing(client, api, world, db):
    inquiry = api.new_inquiry(world.templates["Database"])
    for claims, message in (({"birthdate": "07/03/84x"}, "birthdate must be a valid date"), ({"name-first": 7}, "name-first must be a string"),
                            ({"country-code": "USA"}, "country-code must be an ISO")):
        answer = _create(client, inquiry["id"], **claims)
        assert answer.status_code == 400 and message in answer.json()["errors"][0]["details"], answer.text
    assert db.scalar(select(func.count()).select_from(Verification)) == 0
    vid = _create(client, inquiry["id"]).json()["data"]["id"]
    nameless = client.post(f"{BASE}/{vid}/submit")
    assert nameless.status_code == 400
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] == "initiated"  # nothing half-written


def test_two_plus_two_across_two_sources(client, api, world, records, tmp_path, capsys):
    second = tmp_path / "registry.jsonl"
    second.write_text(json.dumps({"id": "r-1", "name_first": "Jose", "name_last": "Garcia", "birthdate": "1984-03-07"}) + "\n")
    assert main(["records", "import", str(second), "--source", "registry"]) == 0
    config = {"steps": [{"kind": "database", "settings": {"sources": ["default", "registry"], "two_plus_two": True}}]}
    template = client.post("/api/v1/inquiry-templates", json={"data": {"attributes": {"name": "2+2", "configuration": config}}}).json()["data"]["id"]

    def run(fields):
        inquiry = api.new_inquiry(template, fields)
        vid = _create(client, inquiry["id"]).json()["data"]["id"]
        attributes = client.post(f"{BASE}/{vid}/submit").json()["data"]["attributes"]
        return attributes["status"], next(c for c in attributes["checks"] if c["name"] == "database_two_plus_two_detection")

    status, check = run({"name-first": "José", "name-last": "García Pérez", "birthdate": "1984-03-07"})
    assert status == "passed" and check["metadata"] == {"agreeing_sources": 2}
    status, check = run({"name-first": "Mary", "name-last": "O'Brien", "birthdate": "1990-12-01"})  # only in one source
    assert status == "failed" and check["reasons"] == ["not_enough_sources"] and check["requirement"] == "required"
