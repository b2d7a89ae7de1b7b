"""The hosted flow's selfie step with the real face engines: over HTTP with three live poses and a burst
(passes, biometric consent recorded before the capture, redaction forgets the captures and the
embedding), and in headless Chromium whose fake camera shows a still photo of a face (the burst is
captured; the selfie fails: a picture held to the camera does not turn its head)."""

import time
from pathlib import Path

import cv2
import httpx
import pytest
from fastapi.testclient import TestClient
from flow_support import CSRF, STEP_ID, camera_browser
from flow_support.fixtures import needs_chromium
from playwright.sync_api import expect
from sqlalchemy import select

from openidv.flow import engines
from openidv.models import FlowConsent, SelfieBiometric, Verification
from openidv.testdata import selfiegen
from openidv.verifications.selfie import service as selfies

TEMPLATE = "Government ID and Selfie"


@pytest.fixture(scope="module")
def faces():
    from openidv.checks import faces as engines

    engines.engine()  # the face models load once for the module
    return {"live": selfiegen.three_poses("astronaut", seed=21), "id": selfiegen.id_front_with_portrait("astronaut", kind="passport", seed=1)}


@pytest.fixture
def selfie_engine(job_worker):
    """The real selfie checks in the sandbox (the government ID stays simulated), run by the selfie.process job."""
    engines.override(selfies.KIND, selfies.stored_checks)
    yield
    engines.remove_override(selfies.KIND)


def _selfie_rows(db, inquiry_id: str) -> tuple[Verification, dict[str, int], FlowConsent]:
    """The selfie once its job concluded it, its frames per pose, the biometric consent."""
    deadline = time.monotonic() + 60
    while True:
        db.rollback()  # a fresh snapshot
        verification = db.scalar(select(Verification).where(Verification.inquiry_id == inquiry_id, Verification.kind == "selfie"))
        if verification.status != "submitted" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    consent = db.scalar(select(FlowConsent).where(FlowConsent.inquiry_id == inquiry_id, FlowConsent.kind == "biometric"))
    return verification, dict(verification.data.get("frames") or {}), consent


def test_selfie_step_over_http_passes_and_redaction_forgets_it(app, client, world, db, faces, selfie_engine) -> None:
    with TestClient(app, follow_redirects=False) as browser:
        assert browser.get(f"/verify?inquiry-template-id={world.templates[TEMPLATE]}").status_code == 303
        page = browser.get("/verify").text
        assert browser.post("/flow/consent", data={"csrf": CSRF.search(page).group(1), "accept": "yes"}).status_code == 303
        page = browser.get("/verify").text
        csrf, step_id = CSRF.search(page).group(1), STEP_ID.search(page).group(1)
        # The government ID step (the sandbox's simulation: no ID engine registered) keeps the portrait's upload.
        sent = browser.post("/flow/step", data={"csrf": csrf, "step-id": step_id, "country": "US", "id-class": "pp"},
                            files={"front": ("front.jpg", faces["id"], "image/jpeg")})
        assert sent.status_code == 303, sent.text
        page = browser.get("/verify").text
        assert 'data-poses="center left right"' not in page  # biometric consent first, no camera yet
        assert browser.post("/flow/consent", data={"csrf": csrf, "accept": "yes"}).status_code == 303
        page = browser.get("/verify").text
        assert 'data-poses="center left right"' in page and 'data-burst="3"' in page
        center, left, right = faces["live"]
        files = {"center": ("c.jpg", center, "image/jpeg"), "center-1": ("c1.jpg", center, "image/jpeg"),
                 "left": ("l.jpg", left, "image/jpeg"), "right": ("r.jpg", right, "image/jpeg")}
        sent = browser.post("/flow/step", data={"csrf": csrf, "step-id": STEP_ID.search(page).group(1)}, files=files)
        assert sent.status_code == 303, sent.text
        inquiry_id = db.scalar(select(Verification.inquiry_id).where(Verification.kind == "selfie"))
        verification, frames, consent = _selfie_rows(db, inquiry_id)
        assert "Thank you" in browser.get("/verify").text
    assert verification.status == "passed", [c for c in verification.checks if c["status"] == "failed"]
    assert {c["name"]: c["status"] for c in verification.checks}["selfie_id_comparison"] == "passed"
    assert frames == {"center": 2, "left": 1, "right": 1}
    assert consent is not None and consent.accepted_at <= verification.created_at
    assert db.get(SelfieBiometric, verification.id).embedding
    url = client.get(f"/api/v1/verification/selfies/{verification.id}").json()["data"]["attributes"]["left-photo-url"]
    assert client.get(url[url.index("/api/v1"):]).content == left  # flow captures are served like API photos

    assert client.delete(f"/api/v1/inquiries/{inquiry_id}").status_code == 200
    verification, frames, _ = _selfie_rows(db, inquiry_id)
    assert frames == {} and db.get(SelfieBiometric, verification.id) is None and verification.redacted_at is not None
    assert client.get(url[url.index("/api/v1"):]).status_code == 404  # the sealed copy went too


def test_a_center_only_step_asks_for_the_center_pose_alone(app, client, world, db, faces, selfie_engine) -> None:
    template = world.templates["Phone"]
    configuration = {"steps": [{"kind": "selfie", "settings": {"kind": "center-only"}}]}
    draft = client.post(f"/api/v1/inquiry-templates/{template}/versions", json={"data": {"attributes": {"configuration": configuration}}})
    assert client.post(f"/api/v1/inquiry-template-versions/{draft.json()['data']['id']}/publish").status_code == 200
    with TestClient(app, follow_redirects=False) as browser:
        assert browser.get(f"/verify?inquiry-template-id={template}").status_code == 303
        page = browser.get("/verify").text
        csrf = CSRF.search(page).group(1)
        for _consent in ("general", "biometric"):
            assert browser.post("/flow/consent", data={"csrf": csrf, "accept": "yes"}).status_code == 303
        page = browser.get("/verify").text
        assert 'data-poses="center"' in page and 'name="left"' not in page
        sent = browser.post("/flow/step", data={"csrf": csrf, "step-id": STEP_ID.search(page).group(1)},
                            files={"center": ("c.jpg", faces["live"][0], "image/jpeg")})
        assert sent.status_code == 303, sent.text
    inquiry_id = db.scalar(select(Verification.inquiry_id).where(Verification.kind == "selfie"))
    verification, frames, _ = _selfie_rows(db, inquiry_id)
    assert frames == {"center": 1} and verification.status in ("passed", "failed")
    assert {c["name"]: c["status"] for c in verification.checks}["selfie_pose_detection"] != "failed"


# ---------------------------------------------------------------- Chromium's fake camera


def face_video(path: Path, frames: int = 6) -> Path:
    """A Y4M clip of a still photo of a face (a person's picture held to the camera), camera noise per frame."""
    still = selfiegen.frame_of("astronaut", seed=3)
    height, width = still.shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(selfiegen.camera(still, seed=i, shift=0.5), cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@pytest.fixture(scope="module")
def face_camera(tmp_path_factory):
    with camera_browser(face_video(tmp_path_factory.mktemp("camera") / "face.y4m")) as browser:
        yield browser


@needs_chromium
def test_photo_held_to_the_fake_camera_fails_the_selfie(face_camera, server, world, db, faces, tmp_path, selfie_engine) -> None:
    context = face_camera.new_context(viewport={"width": 360, "height": 740}, base_url=server.url)
    context.grant_permissions(["camera"], origin=server.url)
    page = context.new_page()
    try:
        page.goto(f"/verify?inquiry-template-id={world.templates[TEMPLATE]}")
        page.get_by_role("checkbox").check()
        page.get_by_role("button", name="Continue").click()
        front = tmp_path / "front.jpg"
        front.write_bytes(faces["id"])
        page.get_by_label("Country that issued your ID").select_option("US")
        page.get_by_role("radio", name="Passport", exact=True).check()
        page.locator("#file-front").set_input_files(front)
        page.get_by_role("button", name="Submit").click()
        page.get_by_role("checkbox").check()  # biometric consent, before the camera starts
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Use camera").click()
        for pose in ("Look straight ahead", "Turn your head to the left", "Turn your head to the right"):
            page.get_by_text(pose).wait_for()
            page.get_by_role("button", name="Take photo").click()
        expect(page.locator("[data-submit]")).to_be_enabled(timeout=15_000)  # no eval: the flow's CSP stays on
        page.get_by_role("button", name="Submit").click()
        page.locator(".retry").wait_for()  # the step is offered again, with what went wrong
        assert page.get_by_text("Turn your head a little further").count() == 1
        assert page.get_by_text("Pictures of photos or screens are not accepted").count() == 1
    finally:
        context.close()
    api = httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {world.sandbox_key}"})
    db.rollback()
    inquiry_id = db.scalar(select(Verification.inquiry_id).where(Verification.kind == "selfie"))
    verification, frames, consent = _selfie_rows(db, inquiry_id)
    failed = {c["name"] for c in verification.checks if c["status"] == "failed"}
    assert verification.status == "failed" and "selfie_pose_detection" in failed, verification.checks
    assert set(frames) == {"center", "left", "right"} and frames["center"] > 1  # a burst per pose
    assert consent.accepted_at <= verification.created_at
    shown = api.get(f"/verification/selfies/{verification.id}").json()["data"]["attributes"]
    assert shown["status"] == "failed" and "embedding" not in str(shown)
