"""Selfie verifications through the API: a government ID with the person's portrait is submitted
first, then three poses; the `selfie.process` job compares the face with that portrait and checks
pose and basic liveness. Attacks fail their named check; embeddings never leave the server and go,
with the photos, on redaction and after the retention period; bad uploads get Persona-shaped 4xx."""

import base64
import json
import time
from datetime import timedelta

import jsonschema
import pytest
from persona_spec import spec_path
from sqlalchemy import func, select

from openidv.kit.clock import now
from openidv.kit.db import session_factory, transaction
from openidv.models import SelfieBiometric, Verification
from openidv.testdata import selfiegen
from openidv.verifications.selfie import service as selfies

BASE = "/api/v1/verification/selfies"
GOV = "/api/v1/verification/government-ids"
TEMPLATE = "Government ID and Selfie"
SPEC = spec_path("2025-12-08")


@pytest.fixture(scope="module")
def valid():
    """Assert a resource object validates against a schema of Persona's spec."""
    spec = json.loads(SPEC.read_text())

    def check(resource: dict, schema_name: str) -> None:
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
        jsonschema.validate(resource, schema, cls=jsonschema.Draft202012Validator)

    return check


@pytest.fixture(scope="module")
def faces():
    """The photos, made once; the face engines load here, once for the module."""
    from openidv.checks import faces as engines

    engines.engine()
    return {
        "live": selfiegen.three_poses("astronaut", seed=1),
        "live_again": selfiegen.three_poses("astronaut", seed=6),
        "id_astronaut": selfiegen.id_front_with_portrait("astronaut", kind="passport", seed=1),
        "id_hopper": selfiegen.id_front_with_portrait("hopper", kind="passport", seed=2),
        "printed": selfiegen.printed_photo("astronaut", seed=3),
        "same": selfiegen.same_frame("astronaut", seed=4),
        "second": selfiegen.second_face("astronaut", "hopper", seed=5),
    }


def _photo(data: bytes, name: str = "selfie.jpg") -> dict[str, str]:
    return {"data": base64.b64encode(data).decode(), "filename": name}


def _inquiry(client, world, id_front: bytes | None, reference_id: str | None = None) -> str:
    """An inquiry whose government ID (with this portrait) is submitted."""
    attributes = {"inquiry-template-id": world.templates[TEMPLATE], **({"reference-id": reference_id} if reference_id else {})}
    made = client.post("/api/v1/inquiries", json={"data": {"attributes": attributes}})
    assert made.status_code == 201, made.text
    inquiry_id = made.json()["data"]["id"]
    if id_front is not None:
        attributes = {"inquiry-id": inquiry_id, "country-code": "US", "id-class": "pp", "front-photo": _photo(id_front, "front.jpg")}
        gid = client.post(GOV, json={"data": {"attributes": attributes}})
        assert gid.status_code == 201, gid.text
        assert client.post(f"{GOV}/{gid.json()['data']['id']}/submit").status_code == 200
    return inquiry_id


def _create(client, inquiry_id: str, poses: tuple[bytes, ...], **extra):
    # strict=False: a center-only selfie sends one pose
    attributes = {"inquiry-id": inquiry_id, **{f"{p}-photo": _photo(d, f"{p}.jpg") for p, d in zip(selfies.POSES, poses, strict=False)}, **extra}
    return client.post(BASE, json={"data": {"type": "verification/selfie", "attributes": attributes}})


def _process(engine, vid: str) -> None:
    """What the `selfie.process` job does, run here so each test waits on nothing."""
    with transaction(session_factory(engine, writer=True)) as db:
        selfies.process_selfie(db, db.get(Verification, vid))


def _selfie(client, engine, inquiry_id: str, poses: tuple[bytes, ...]) -> dict:
    made = _create(client, inquiry_id, poses)
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    _process(engine, vid)
    return client.get(f"{BASE}/{vid}").json()["data"]


def _failed(data: dict) -> set[str]:
    return {c["name"] for c in data["attributes"]["checks"] if c["status"] == "failed"}


def _path(settings, name: str):
    return settings.data_dir / "files" / name


def test_id_holder_passes_through_the_job(client, world, engine, faces, valid, settings, job_worker) -> None:
    inquiry_id = _inquiry(client, world, faces["id_astronaut"])
    made = _create(client, inquiry_id, faces["live"])
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    valid(made.json()["data"], "verification-selfie")
    stored = _path(settings, f"{vid}-center").read_bytes()
    assert faces["live"][0][:200] not in stored and len(stored) > len(faces["live"][0])  # sealed on disk

    assert client.post(f"{BASE}/{vid}/submit").json()["data"]["attributes"]["status"] == "submitted"
    data = _wait_concluded(client, vid)
    valid(data, "verification-selfie")
    a = data["attributes"]
    assert a["status"] == "passed", [c for c in a["checks"] if c["status"] == "failed"]
    checks = {c["name"]: c for c in a["checks"]}
    assert checks["selfie_id_comparison"]["status"] == "passed"
    assert a["document-similarity-score"] is not None and a["document-similarity-score"] > 0
    assert a["capture-method"] == "photo"
    for pose, sent in zip(selfies.POSES, faces["live"], strict=True):
        url = a[f"{pose}-photo-url"]
        photo = client.get(url[url.index("/api/v1"):])
        assert photo.status_code == 200 and photo.content == sent
    forged = a["center-photo-url"].rsplit("access_token=", 1)[0] + "access_token=9999999999.AAAA"
    assert client.get(forged[forged.index("/api/v1"):]).status_code == 401
    with transaction(session_factory(engine)) as db:
        row = db.get(SelfieBiometric, vid)
        assert row is not None and len(row.embedding) == 128 and row.embedding_sealed[:1] == b"\x01"


def _wait_concluded(client, vid: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"{BASE}/{vid}").json()["data"]
        if data["attributes"]["status"] in ("passed", "failed"):
            return data
        time.sleep(0.1)
    raise AssertionError(f"{vid} still {data['attributes']['status']}")


@pytest.mark.parametrize(("id_front", "poses", "check"), [
    ("id_hopper", "live", "selfie_id_comparison"),  # another person than the ID holder
    ("id_astronaut", "printed", "selfie_liveness_detection"),  # a printed photo held to the camera and turned
    ("id_astronaut", "same", "selfie_pose_repeat_detection"),  # the same frame sent for every pose
    ("id_astronaut", "second", "selfie_multiple_faces_detection"),  # another face in the background
], ids=["another-person", "photo-held-to-camera", "same-frame-every-pose", "second-face"])
def test_each_attack_fails_its_check(client, world, engine, faces, id_front, poses, check) -> None:
    data = _selfie(client, engine, _inquiry(client, world, faces[id_front]), faces[poses])
    assert data["attributes"]["status"] == "failed"
    assert check in _failed(data), data["attributes"]["checks"]


def test_a_later_selfie_is_compared_with_the_accounts_earlier_one(client, world, engine, faces) -> None:
    first = _selfie(client, engine, _inquiry(client, world, faces["id_astronaut"], "user-42"), faces["live"])
    assert first["attributes"]["status"] == "passed"
    assert {c["name"]: c["status"] for c in first["attributes"]["checks"]}["selfie_account_comparison"] == "not_applicable"
    later = _selfie(client, engine, _inquiry(client, world, None, "user-42"), faces["live_again"])
    checks = {c["name"]: c for c in later["attributes"]["checks"]}
    assert checks["selfie_account_comparison"]["status"] == "passed", checks["selfie_account_comparison"]
    other_account = _selfie(client, engine, _inquiry(client, world, None, "user-43"), faces["live_again"])
    assert {c["name"]: c["status"] for c in other_account["attributes"]["checks"]}["selfie_account_comparison"] == "not_applicable"


def test_embeddings_never_leave_and_redaction_forgets_them(client, world, engine, faces, settings) -> None:
    inquiry_id = _inquiry(client, world, faces["id_astronaut"])
    data = _selfie(client, engine, inquiry_id, faces["live"])
    vid = data["id"]
    with transaction(session_factory(engine)) as db:
        embedding = db.get(SelfieBiometric, vid).embedding
    needles = {repr(round(x, 6))[:8] for x in embedding[:16]}
    answers = [client.get(f"{BASE}/{vid}"), client.get(f"/api/v1/verifications/{vid}"),
               client.get(f"/api/v1/inquiries/{inquiry_id}?include=verifications"), client.get("/api/v1/events?page[size]=100")]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        text = answer.text
        assert "embedding" not in text
        assert not any(n in text for n in needles if len(n) >= 7), answer.request.url
        assert not _float_vectors(answer.json())

    redacted = client.delete(f"/api/v1/verifications/{vid}")
    assert redacted.status_code == 200, redacted.text
    a = redacted.json()["data"]["attributes"]
    assert a["center-photo-url"] is None and a["left-photo-url"] is None and a["photo-urls"] == []
    for pose in selfies.POSES:
        assert not _path(settings, f"{vid}-{pose}").exists()
    with transaction(session_factory(engine)) as db:
        assert db.get(SelfieBiometric, vid) is None
        (gid,) = db.scalars(select(Verification.id).where(Verification.inquiry_id == inquiry_id, Verification.kind == "government-id"))
    assert _path(settings, f"{gid}-front").exists()
    assert client.delete(f"/api/v1/inquiries/{inquiry_id}").status_code == 200
    assert not _path(settings, f"{gid}-front").exists()  # the ID's portrait goes with its redaction too


def _float_vectors(value) -> bool:
    """Any list of 64 or more floats anywhere in a JSON answer (an embedding's shape)."""
    if isinstance(value, list):
        if len(value) >= 64 and all(isinstance(x, float) for x in value):
            return True
        return any(_float_vectors(x) for x in value)
    if isinstance(value, dict):
        return any(_float_vectors(x) for x in value.values())
    return False


def test_inquiry_redaction_and_retention_forget_biometrics(client, world, engine, faces, settings) -> None:
    first = _inquiry(client, world, None)
    made = _create(client, first, faces["live"][:1], **{"capture-method": "center-only"})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert made.json()["data"]["attributes"]["left-photo-url"] is None
    assert client.delete(f"/api/v1/inquiries/{first}").status_code == 200
    assert not _path(settings, f"{vid}-center").exists()
    with transaction(session_factory(engine)) as db:
        assert db.get(SelfieBiometric, vid) is None

    # Retention: data older than the setting is purged by the periodic job's function; newer stays.
    from openidv.jobs.port import periodic

    assert periodic["selfies.purge-expired"].fn is selfies.purge_expired_job
    second = _inquiry(client, world, None)
    old = _create(client, second, faces["live"][:1], **{"capture-method": "center-only"}).json()["data"]["id"]
    young = _create(client, second, faces["live"][:1], **{"capture-method": "center-only"}).json()["data"]["id"]
    writer = session_factory(engine, writer=True)
    with transaction(writer) as db:
        db.get(SelfieBiometric, old).created_at = now() - timedelta(days=selfies.Retention.days + 1)
    with transaction(writer) as db:
        assert selfies.purge_expired(db) == 1
    assert not _path(settings, f"{old}-center").exists() and _path(settings, f"{young}-center").exists()
    assert client.get(f"{BASE}/{old}").json()["data"]["attributes"]["center-photo-url"] is None
    assert client.get(f"{BASE}/{young}").json()["data"]["attributes"]["center-photo-url"] is not None
    with transaction(session_factory(engine)) as db:
        assert db.get(SelfieBiometric, old) is None and db.get(SelfieBiometric, young) is not None


def test_step_settings_choose_the_kind_and_the_preset(client, world, engine, faces) -> None:
    template = world.templates["Government ID"]
    steps = [{"kind": "selfie", "settings": {"kind": "center-only", "preset": "strict"}}]
    draft = client.post(f"/api/v1/inquiry-templates/{template}/versions", json={"data": {"attributes": {"configuration": {"steps": steps}}}})
    assert draft.status_code == 201, draft.text
    assert client.post(f"/api/v1/inquiry-template-versions/{draft.json()['data']['id']}/publish").status_code == 200
    inquiry_id = client.post("/api/v1/inquiries", json={"data": {"attributes": {"inquiry-template-id": template}}}).json()["data"]["id"]
    center, left, right = faces["live"]
    assert _create(client, inquiry_id, (center, left, right)).status_code == 400  # the step takes the center pose only
    made = _create(client, inquiry_id, (center,))
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    _process(engine, vid)
    checks = {c["name"]: c["status"] for c in client.get(f"{BASE}/{vid}").json()["data"]["attributes"]["checks"]}
    assert checks["selfie_pose_repeat_detection"] == "not_applicable" and checks["selfie_id_comparison"] == "not_applicable"
    with transaction(session_factory(engine)) as db:
        assert db.get(Verification, vid).data["engine"]["preset"] == "strict"


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Verification))


def test_bad_input_gets_persona_shaped_4xx(client, world, engine, faces) -> None:
    inquiry_id = _inquiry(client, world, None)
    before = _count(engine)
    center, left, right = faces["live"]
    cases = [
        ((b"not an image at all " * 1000, left, right), {}, 422),
        ((b"", left, right), {}, 422),
        ((center[:5000], left, right), {}, 422),  # too small to be a photo
        ((center, left), {}, 422),  # profile-and-center without the right pose
        ((center, left, right), {"capture-method": "center-only"}, 400),  # center-only takes no profiles
        ((center,), {"capture-method": "sideways"}, 400),
    ]
    for poses, extra, status in cases:
        answer = _create(client, inquiry_id, poses, **extra)
        assert answer.status_code == status, (extra, answer.text)
        errors = answer.json()["errors"]
        assert errors[0]["title"] and errors[0]["details"]
    no_center = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry_id, "left-photo": _photo(left), "right-photo": _photo(right)}}})
    assert no_center.status_code == 422 and "center-photo" in no_center.json()["errors"][0]["details"]
    bad64 = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry_id, "center-photo": {"data": "@@@"}}}})
    assert bad64.status_code == 400 and bad64.json()["errors"][0]["details"]
    burst = client.post(BASE, json={"data": {"attributes": {"inquiry-id": inquiry_id, "capture-method": "center-only",
                                                            "center-photo": [_photo(center)] * (selfies.MAX_FRAMES + 1)}}})
    assert burst.status_code == 400
    huge = client.post(BASE, files={"center-photo": ("c.jpg", center + b"\0" * (16 * 1024 * 1024), "image/jpeg")},
                       data={"inquiry-id": inquiry_id, "capture-method": "center-only"})
    assert huge.status_code == 422 and huge.json()["errors"][0]["details"], huge.text
    assert _count(engine) == before  # nothing half-written

    # Multipart with a burst for the center pose works; submit twice is a 409.
    made = client.post(BASE, files=[("center-photo", ("c0.jpg", center, "image/jpeg")), ("center-photo", ("c1.jpg", center, "image/jpeg"))],
                       data={"inquiry-id": inquiry_id, "capture-method": "center-only"})
    assert made.status_code == 201, made.text
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    again = client.post(f"{BASE}/{vid}/submit")
    assert again.status_code == 409 and again.json()["errors"][0]["details"]
    assert client.get(f"{BASE}/ver_nothere").status_code == 404
    assert json.loads(client.get(f"{BASE}/{vid}").text)["data"]["type"] == "verification/selfie"


def test_a_selfie_whose_processing_gives_up_fails_unprocessable(client, world, engine, faces) -> None:
    from openidv.jobs.port import registry

    inquiry_id = _inquiry(client, world, faces["id_astronaut"])
    made = _create(client, inquiry_id, faces["live"])
    vid = made.json()["data"]["id"]
    assert client.post(f"{BASE}/{vid}/submit").status_code == 200
    with transaction(session_factory(engine, writer=True)) as db:  # what the worker does after the last failed attempt
        registry["selfie.process"].on_give_up(db, verification_id=vid)
    data = client.get(f"{BASE}/{vid}").json()["data"]
    assert data["attributes"]["status"] == "failed"
    assert [(c["name"], c["reasons"]) for c in data["attributes"]["checks"]] == [("selfie_unprocessable_submission_detection", ["processing_error"])]
