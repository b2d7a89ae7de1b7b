"""Government-ID verifications through the API: a generated passport is uploaded (base64), stored
sealed, submitted, processed by the job function, and passes with its attributes filled; photos are
served only through signed URLs; bad uploads get Persona-shaped 4xx."""

import base64
import io

from openidv.kit.db import session_factory, transaction
from openidv.models import Verification
from openidv.testdata.idgen import make
from openidv.verifications import government_ids

BASE = "/api/v1/verification/government-ids"


def _jpeg(image) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _create(client, inquiry_id, front: bytes, **extra):  # noqa: ANN001, ANN003, ANN202
    attributes = {"inquiry-id": inquiry_id, "country-code": "US", "id-class": "pp",
                  "front-photo": {"data": base64.b64encode(front).decode(), "filename": "front.jpg"}, **extra}
    return client.post(BASE, json={"data": {"type": "verification/government-id", "attributes": attributes}})


def _process(engine, vid: str) -> None:  # noqa: ANN001
    with transaction(session_factory(engine, writer=True)) as db:
        government_ids.process_government_id(db, db.get(Verification, vid))


def test_clean_passport_passes_and_fills_attributes(client, api, world, engine, valid, settings) -> None:  # noqa: ANN001
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


def test_expired_passport_fails_with_its_check(client, api, world, engine) -> None:  # noqa: ANN001
    inquiry = api.new_inquiry(world.templates["Government ID"])
    vid = _create(client, inquiry["id"], _jpeg(make("passport", 22, "expired").front)).json()["data"]["id"]
    client.post(f"{BASE}/{vid}/submit")
    _process(engine, vid)
    a = client.get(f"{BASE}/{vid}").json()["data"]["attributes"]
    assert a["status"] == "failed"
    assert {c["name"] for c in a["checks"] if c["status"] == "failed" and c["requirement"] == "required"} == {"id_expired_detection"}


def test_bad_uploads_are_refused(client, api, world) -> None:  # noqa: ANN001
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


def test_flow_engine_reads_sealed_uploads(client, api, world, engine) -> None:  # noqa: ANN001
    """The hosted flow's hook: uploads (sealed FlowUpload rows) in, the same checks out."""
    from openidv.flow import steps as flow_steps
    from openidv.inquiry_templates.config import Step
    from openidv.kit.clock import now
    from openidv.kit.ids import new_id
    from openidv.models import FlowUpload, Inquiry

    sample = make("drivers_license", 24)
    inquiry = api.new_inquiry(world.templates["Government ID"])
    vid = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry["id"]}}}).json()["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as db:
        verification = db.get(Verification, vid)
        uploads = {}
        for role, image in (("front", sample.front), ("back", sample.back)):
            row = FlowUpload(id=new_id("file"), inquiry_id=inquiry["id"], step_id=verification.step_id, role=role,
                             mime_type="image/jpeg", byte_size=1, created_at=now())
            row.content = _jpeg(image)
            db.add(row)
            db.flush()
            uploads[role] = row.id
        step = Step(kind="government-id", settings={"allowed_id_classes": ["dl"]})
        checks = government_ids.flow_engine(db, db.get(Inquiry, inquiry["id"]), step,
                                            verification, flow_steps.Captured(values={"id-class": "dl"}, upload_ids=uploads))
        failed = [c["name"] for c in checks if c["status"] == "failed" and c["requirement"] == "required"]
        assert failed == [] and verification.data["extracted"]["identification-number"] == sample.truth["identification-number"]
