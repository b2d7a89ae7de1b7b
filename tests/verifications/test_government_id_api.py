"""Government-ID verifications through the API: a generated passport is uploaded (base64), stored
sealed, submitted, processed by the job function, and passes with its attributes filled; photos are
served only through signed URLs; bad uploads get Persona-shaped 4xx. Then every check of issue 7
through the API: each generated defect fails with its check and reason, a licence's barcode and
front must agree, template age/country/type limits, repeat and seen-before across accounts, and
hostile images end in a failed id_entity_detection or a 4xx."""

import base64
import io

import pytest
from sqlalchemy import select

from openidv.kit.db import session_factory, transaction
from openidv.models import GovernmentIdFingerprint, Verification
from openidv.testdata.bombs import png_bomb
from openidv.testdata.idgen import make
from openidv.verifications.government_id import service as government_ids

BASE = "/api/v1/verification/government-ids"


def _jpeg(image) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _create(client, inquiry_id, front: bytes, **extra):
    attributes = {"inquiry-id": inquiry_id, "country-code": "US", "id-class": "pp",
                  "front-photo": {"data": base64.b64encode(front).decode(), "filename": "front.jpg"}, **extra}
    return client.post(BASE, json={"data": {"type": "verification/government-id", "attributes": attributes}})


def _process(engine, vid: str) -> None:
    with transaction(session_factory(engine, writer=True)) as db:
        government_ids.process_government_id(db, db.get(Verification, vid))


def test_clean_passport_passes_and_fills_attributes(client, api, world, engine, valid, settings) -> None:
    sample = make("passport", 21)
    front = _jpeg(sample.front)
    inquiry = api.new_inquiry(world.templates["Government ID"])
    made = _create(client, inquiry["id"], front)
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    valid(made.json()["data"], "verification-government-id")
    stored = (settings.data_dir / "files" / f"{vid}-front").read_bytes()
    assert front[:200] not in stored and len(stored) > len(front)  # sealed on disk

    submitted = client.post(f"{BASE}/{vid}/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["data"]["attributes"]["status"] == "submitted"
    _process(engine, vid)

    done = client.get(f"{BASE}/{vid}").json()["data"]
    valid(done, "verification-government-id")
    a = done["attributes"]
    assert a["status"] == "passed", [c for c in a["checks"] if c["status"] == "failed"]
    t = sample.truth
    assert (a["name-first"], a["name-last"], a["identification-number"]) == (t["name-first"], t["name-last"], t["identification-number"])
    assert a["birthdate"] == t["birthdate"].isoformat() and a["expiration-date"] == t["expiration-date"].isoformat()
    assert a["id-class"] == "pp"
    photo = client.get(a["front-photo-url"].split("127.0.0.1:8000", 1)[-1] if "8000" in a["front-photo-url"] else a["front-photo-url"])
    assert photo.status_code == 200 and photo.content == front
    forged = a["front-photo-url"].rsplit("access_token=", 1)[0] + "access_token=9999999999.AAAA"
    refused = client.get(forged[forged.index("/api/v1"):])
    assert refused.status_code == 401 and refused.json()["errors"][0]["title"]
    assert api.inquiry(inquiry["id"])["status"] in ("completed", "pending")
    # Processing again changes nothing (jobs run at least once).
    _process(engine, vid)
    assert client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["status"] == "passed"


def test_a_heic_photo_from_a_phone_is_read(client, api, world, engine) -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    sample = make("passport", 22)
    buf = io.BytesIO()
    sample.front.convert("RGB").save(buf, "HEIF", quality=90)
    assert buf.getvalue()[4:12] == b"ftypheic"
    inquiry = api.new_inquiry(world.templates["Government ID"])
    made = _create(client, inquiry["id"], buf.getvalue())
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    _process(engine, vid)
    a = client.get(f"{BASE}/{vid}").json()["data"]["attributes"]
    assert a["status"] == "passed", [c for c in a["checks"] if c["status"] == "failed"]
    assert a["identification-number"] == sample.truth["identification-number"]


def test_expired_passport_fails_with_its_check(client, api, world, engine) -> None:
    inquiry = api.new_inquiry(world.templates["Government ID"])
    vid = _create(client, inquiry["id"], _jpeg(make("passport", 22, "expired").front)).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/submit")
    _process(engine, vid)
    a = client.get(f"{BASE}/{vid}").json()["data"]["attributes"]
    assert a["status"] == "failed"
    assert {c["name"] for c in a["checks"] if c["status"] == "failed" and c["requirement"] == "required"} == {"id_expired_detection"}


def test_bad_uploads_are_refused(client, api, world) -> None:
    inquiry = api.new_inquiry(world.templates["Government ID"])
    for front, status in ((b"", 422), (b"not an image at all " * 1000, 422), (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 422)):
        answer = _create(client, inquiry["id"], front)
        assert answer.status_code == status, answer.text
        assert answer.json()["errors"][0]["details"]
    bad64 = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry["id"], "front-photo": {"data": "@@@"}}}})
    assert bad64.status_code == 400 and bad64.json()["errors"]
    wrong_class = _create(client, inquiry["id"], _jpeg(make("passport", 23).front), **{"id-class": "spaceship"})
    assert wrong_class.status_code == 400
    nothing = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry["id"]}}}).json()["data"]["id"]
    assert client.post(f"{BASE}/{nothing}/submit").status_code == 422
    huge = client.post(BASE, content=b"{" + b" " * (21 * 1024 * 1024) + b"}", headers={"content-type": "application/json"})
    assert 400 <= huge.status_code < 500


def test_a_passed_id_fills_the_inquirys_empty_fields(client, api, world, engine) -> None:
    """An API-made verification on an inquiry: once its job passes it, the inquiry's empty fields hold what
    the ID gave (Persona's field keys), in the `inquiry.completed` event too; a value the API gave stays."""
    sample = make("passport", 21)
    inquiry = api.new_inquiry(world.templates["Government ID"])
    kept = client.patch(f"/api/v1/inquiries/{inquiry['id']}", json={"data": {"attributes": {"fields": {"address-country-code": "CA"}}}})
    assert kept.status_code == 200, kept.text
    made = _create(client, inquiry["id"], _jpeg(sample.front))
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    _process(engine, vid)

    attributes = client.get(f"/api/v1/inquiries/{inquiry['id']}").json()["data"]["attributes"]
    fields, t = attributes["fields"], sample.truth
    assert attributes["status"] == "completed"
    assert fields["address-country-code"]["value"] == "CA"  # not overwritten
    assert fields["name-first"]["value"] == t["name-first"] and fields["name-last"] == {"type": "string", "value": t["name-last"]}
    assert fields["birthdate"] == {"type": "date", "value": t["birthdate"].isoformat()}
    assert fields["identification-number"]["value"] == t["identification-number"]
    assert fields["identification-class"]["value"] == "pp" and fields["selected-id-class"]["value"] == "pp"
    assert fields["selected-country-code"]["value"] == "US"
    assert "expiration-date" not in fields  # the template has no such field
    completed = client.get(f"/api/v1/events?filter[name]=inquiry.completed&filter[object-id]={inquiry['id']}").json()["data"]
    (event,) = completed
    assert event["attributes"]["payload"]["data"]["attributes"]["fields"]["identification-number"]["value"] == t["identification-number"]


# ---------------------------------------------------------------- checks through the API (issue 7, "What it must show")


def _verify(client, engine, inquiry_id: str, front: bytes, back: bytes | None = None, id_class: str = "pp") -> dict:
    """Create, submit and process one verification; its attributes once concluded."""
    extra = {"back-photo": {"data": base64.b64encode(back).decode(), "filename": "back.jpg"}} if back else {}
    made = _create(client, inquiry_id, front, **{"id-class": id_class, **extra})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    _process(engine, vid)
    return client.get(f"{BASE}/{vid}").json()["data"]


def _failed(attributes: dict) -> dict[str, list[str]]:
    return {c["name"]: c["reasons"] for c in attributes["checks"] if c["status"] == "failed" and c["requirement"] == "required"}


def _inquiry(client, template_id: str, reference: str | None = None) -> str:
    attributes = {"inquiry-template-id": template_id, **({"reference-id": reference} if reference else {})}
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": attributes}})
    assert made.status_code == 201, made.text
    return made.json()["data"]["id"]


def _template(engine, world, name: str, **settings) -> str:
    from openidv.inquiry_templates import service as templates
    from openidv.inquiry_templates.config import Step, TemplateConfig

    with transaction(session_factory(engine, writer=True)) as db:
        config = TemplateConfig(steps=[Step(kind="government-id", settings=settings)])
        return templates.create_template(db, world.sandbox_id, name, config)[0].id


def test_clean_passport_runs_every_check(client, world, engine, valid) -> None:
    sample = make("passport", 31)
    done = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(sample.front))
    valid(done, "verification-government-id")
    a = done["attributes"]
    assert a["status"] == "passed", _failed(a)
    checks = {c["name"]: c for c in a["checks"]}
    for name in ("id_portrait_detection", "id_electronic_replica_detection", "id_valid_dates_detection",
                 "id_extraction_inconsistency_detection", "id_compromised_detection", "id_repeat_detection"):
        assert checks[name]["status"] == "passed", checks[name]
    assert checks["id_double_side_detection"]["status"] == "not_applicable"  # a passport has one side
    assert checks["id_portrait_detection"]["metadata"]["portrait-score"] >= 0.6
    assert set(checks["id_extraction_inconsistency_detection"]["metadata"]["front-fields-compared"]) == {
        "name-last", "identification-number", "birthdate"}
    assert a["name-last"] == sample.truth["name-last"] and a["expiration-date"] == sample.truth["expiration-date"].isoformat()


@pytest.mark.parametrize("defect,check,reason", [
    ("bad_check_digit", "id_mrz_inconsistency_detection", "check_digit_mismatch"),
    ("front_mismatch", "id_extraction_inconsistency_detection", "front_mrz_mismatch"),
    ("specimen_number", "id_compromised_detection", "specimen_document"),
    ("screen_photo", "id_electronic_replica_detection", "replica_detected"),
    ("invalid_dates", "id_valid_dates_detection", "expiry_too_far"),
])
def test_each_passport_defect_fails_with_its_check_and_reason(client, world, engine, defect: str, check: str, reason: str) -> None:
    sample = make("passport", 32, defect)
    a = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(sample.front))["attributes"]
    assert a["status"] == "failed"
    failed = _failed(a)
    assert reason in failed.get(check, []), failed
    metadata = next(c for c in a["checks"] if c["name"] == check)["metadata"]
    assert metadata, "a reviewer needs the metadata"


def test_licence_barcode_and_front_must_agree(client, world, engine) -> None:
    good = make("drivers_license", 33)
    a = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(good.front), _jpeg(good.back), "dl")["attributes"]
    assert a["status"] == "passed", _failed(a)
    assert a["identification-number"] == good.truth["identification-number"] and a["address-subdivision"] == "CA"
    checks = {c["name"]: c for c in a["checks"]}
    assert checks["id_double_side_detection"]["status"] == "passed" and checks["id_double_side_detection"]["requirement"] == "required"

    bad = make("drivers_license", 33, "barcode_mismatch")  # the barcode's birthdate differs from the printed one
    a = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(bad.front), _jpeg(bad.back), "dl")["attributes"]
    failed = _failed(a)
    assert a["status"] == "failed" and failed["id_extraction_inconsistency_detection"] == ["front_barcode_mismatch"], failed
    mismatch = next(c for c in a["checks"] if c["name"] == "id_extraction_inconsistency_detection")
    assert mismatch["metadata"]["front-fields-not-printed"] == ["birthdate"]

    twice = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(good.front), _jpeg(good.front), "dl")["attributes"]
    assert _failed(twice)["id_double_side_detection"] == ["side_submitted_twice"]
    one_side = _verify(client, engine, _inquiry(client, world.templates["Government ID"]), _jpeg(good.front), None, "dl")["attributes"]
    assert _failed(one_side)["id_double_side_detection"] == ["missing_back"]


def test_age_limits_countries_and_types_from_the_template(client, world, engine) -> None:
    front = _jpeg(make("passport", 34).front)
    strict = _template(engine, world, "Strict ID", min_age=120, allowed_countries=["FR"], allowed_id_classes=["dl"])
    a = _verify(client, engine, _inquiry(client, strict, "holder-34"), front)["attributes"]
    failed = _failed(a)
    assert a["status"] == "failed"
    assert failed["id_age_comparison"] == ["age_out_of_range"]
    assert failed["id_disallowed_country_detection"] == ["country_not_allowed"]
    assert failed["id_disallowed_type_detection"] == ["type_not_allowed"]
    age = next(c for c in a["checks"] if c["name"] == "id_age_comparison")["metadata"]
    assert age["min-age"] == 120 and age["age"] < 120

    lenient = _template(engine, world, "Adults", min_age=18, max_age=120, allowed_id_classes=["pp", "dl"])
    a = _verify(client, engine, _inquiry(client, lenient, "holder-34"), front)["attributes"]  # same account: no repeat
    assert a["status"] == "passed", _failed(a)


def test_repeat_detection_across_accounts(client, world, engine) -> None:
    template = world.templates["Government ID"]
    first = make("passport", 35)
    a = _verify(client, engine, _inquiry(client, template, "customer-1"), _jpeg(first.front))["attributes"]
    assert a["status"] == "passed", _failed(a)
    # The same person again on their own account: not a repeat.
    again = _verify(client, engine, _inquiry(client, template, "customer-1"), _jpeg(first.front))
    assert again["attributes"]["status"] == "passed", _failed(again["attributes"])
    # Another account presents another card carrying the same document number.
    other = make("passport", 35, "same_number")
    assert other.truth["identification-number"] == first.truth["identification-number"]
    assert other.truth["name-last"] != first.truth["name-last"] or other.truth["birthdate"] != first.truth["birthdate"]
    b = _verify(client, engine, _inquiry(client, template, "customer-2"), _jpeg(other.front))["attributes"]
    failed = _failed(b)
    assert failed["id_repeat_detection"] == ["repeat_identification_number"], failed
    repeat = next(c for c in b["checks"] if c["name"] == "id_repeat_detection")["metadata"]
    assert repeat["matches"] == 2 and len(repeat["matching-verification-ids"]) == 2
    # A third account re-sends the first person's photo (re-encoded): the number repeats and the image was seen before.
    buf = io.BytesIO()
    first.front.convert("RGB").save(buf, "JPEG", quality=70)
    third = _verify(client, engine, _inquiry(client, template, "customer-3"), buf.getvalue())
    c = third["attributes"]
    failed = _failed(c)
    assert "repeat_identification_number" in failed["id_repeat_detection"]
    assert "image_seen_before" in failed["id_compromised_detection"], failed
    seen = next(x for x in c["checks"] if x["name"] == "id_compromised_detection")["metadata"]
    assert seen["portrait-seen-on-verification-ids"] and max(seen["portrait-hash-distances"]) <= seen["max-hash-distance"]
    # The number is kept only as a keyed hash.
    with transaction(session_factory(engine)) as db:
        values = [r.value for r in db.scalars(select(GovernmentIdFingerprint).where(GovernmentIdFingerprint.kind == "number"))]
    assert len(values) == 4 and len(set(values)) == 1 and first.truth["identification-number"] not in values[0]
    assert len(values[0]) == 64
    # Redaction forgets a verification's fingerprints with its photos.
    assert client.delete(f"/api/v1/verifications/{third['id']}").status_code == 200
    with transaction(session_factory(engine)) as db:
        left = list(db.scalars(select(GovernmentIdFingerprint.verification_id)))
    assert third["id"] not in left and len(left) == 3 + 3 * 9  # 3 numbers, 3 portraits with 8 bands each


def _declared(width: int, height: int) -> bytes:
    """A small PNG whose header declares a huge canvas (padded past the 10 KB floor)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"pad\x00" + b"x" * 12_000) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) + chunk(b"IEND", b""))


def test_hostile_images_fail_entity_detection_or_are_refused(client, world, engine) -> None:
    template = world.templates["Government ID"]
    inquiry = _inquiry(client, template)
    for name, data in (("zero_bytes", b""), ("not_an_image", b"%PDF-1.4 not an image " * 800),
                       ("twenty_megabytes", b"\xff\xd8\xff" + b"\x00" * (20 * 1024 * 1024))):
        answer = _create(client, inquiry, data)
        assert 400 <= answer.status_code < 500, (name, answer.status_code)
        assert answer.json()["errors"][0]["details"], name
    # Accepted at intake (right type, right size), refused by the engine before decoding: a failed
    # id_entity_detection, the verification concluded, never a crash or a job left running.
    for name, data in (("png_bomb", png_bomb()), ("declared_20000px", _declared(20_000, 20_000))):
        a = _verify(client, engine, _inquiry(client, template), data)["attributes"]
        assert a["status"] == "failed", name
        entity = next(c for c in a["checks"] if c["name"] == "id_entity_detection")
        assert entity["status"] == "failed" and entity["reasons"] == ["cannot_verify_id"] and "too large" in entity["metadata"]["error"], (name, entity)
