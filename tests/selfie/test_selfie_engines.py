"""The selfie engines on generated selfies (public-domain faces): the ID holder passes, another person
fails the ID comparison, printed-photo and screen attacks fail liveness, one frame for all poses fails the
repeat check, a second face and an ID card held to the camera are caught. Pure engines, no database."""

import io

import numpy as np
import pytest
from PIL import Image

from openidv.checks import faces
from openidv.checks.selfie import PRESETS, SelfieEvidence, SelfieSettings, evaluate, similarity_score
from openidv.testdata import selfiegen


def status(result, name: str) -> str:
    return result.check(name)["status"]


@pytest.fixture(scope="module")
def ids() -> dict[str, bytes]:
    return {name: selfiegen.id_front_with_portrait(name) for name in selfiegen.FACES}


@pytest.fixture(scope="module")
def holder(ids):
    center, left, right = selfiegen.three_poses("astronaut")
    return evaluate(SelfieEvidence([center], [left], [right], id_portrait=ids["astronaut"]))


def test_faces_engine_finds_one_face_with_landmarks_and_embedding() -> None:
    rgb = selfiegen.frame_of("hopper")
    found = faces.engine().detect(rgb, small_faces=True)
    assert len(found) == 1 and found[0].score > 0.8
    points, presence = faces.engine().landmarks(rgb, found[0])
    assert points.shape == (468, 3) and presence > 0.9
    x0, y0, x1, y1 = found[0].box
    assert x0 < points[faces.NOSE_TIP, 0] < x1 and y0 < points[faces.NOSE_TIP, 1] < y1
    mirrored = np.ascontiguousarray(rgb[:, ::-1])
    same = faces.distance(faces.engine().embedding(rgb, found[0]),
                          faces.engine().embedding(mirrored, faces.engine().detect(mirrored)[0]))
    assert same < PRESETS["default"].match_distance


class DlibAligned:
    """Another real face engine (a `FacePipeline`): openidv's detector and FaceMesh, but each embedding
    aligned by dlib's own 5-point predictor rather than on the FaceMesh points."""

    def __init__(self) -> None:
        self.engine = faces.engine()
        self.embedded = 0

    def detect(self, rgb, min_score=0.5, small_faces=False):
        return self.engine.detect(rgb, min_score, small_faces)

    def landmarks(self, rgb, face):
        return self.engine.landmarks(rgb, face)

    def eye_openness(self, rgb, points):
        return self.engine.eye_openness(rgb, points)

    def embedding(self, rgb, face, points=None):
        self.embedded += 1
        return self.engine.embedding(rgb, face)


def test_evaluate_uses_the_face_engine_it_is_given(holder, ids) -> None:
    from openidv.checks import quality

    center = selfiegen.three_poses("astronaut")[0]
    other = DlibAligned()
    result = evaluate(SelfieEvidence([center], id_portrait=ids["astronaut"]), SelfieSettings(kind="center-only"), engine=other)
    assert other.embedded == 2  # the selfie's face and the ID portrait's
    rgb = quality.decode(center, max_side=1280).rgb
    face = faces.engine().detect(rgb, small_faces=True)[0]
    assert result.embedding == [float(v) for v in faces.engine().embedding(rgb, face)] != holder.embedding
    assert status(result, "selfie_id_comparison") == "passed"  # the same person, however aligned


def test_id_holder_passes_every_check(holder) -> None:
    failed = [c["name"] for c in holder.checks if c["status"] == "failed" and c["requirement"] == "required"]
    assert failed == []
    assert status(holder, "selfie_liveness_detection") == "passed"
    assert status(holder, "selfie_pose_detection") == "passed"
    assert holder.document_similarity_score is not None and holder.document_similarity_score > 90
    assert holder.embedding is not None and len(holder.embedding) == 128
    assert status(holder, "selfie_account_comparison") == "not_applicable"
    assert "embedding" not in str(holder.attributes)


def test_another_person_fails_id_comparison(ids) -> None:
    center, left, right = selfiegen.three_poses("hopper", seed=1)
    result = evaluate(SelfieEvidence([center], [left], [right], id_portrait=ids["astronaut"]))
    assert status(result, "selfie_id_comparison") == "failed"
    assert result.check("selfie_id_comparison")["reasons"] == ["face_mismatch"]
    assert result.document_similarity_score is not None and result.document_similarity_score < 50
    assert status(result, "selfie_liveness_detection") == "passed"


@pytest.mark.parametrize("attack", ["printed_photo", "screen_replay"])
def test_photo_held_to_the_camera_fails_liveness(attack: str) -> None:
    center, left, right = getattr(selfiegen, attack)("astronaut", seed=3)
    result = evaluate(SelfieEvidence([center], [left], [right]))
    live = result.check("selfie_liveness_detection")
    assert live["status"] == "failed" and "low_liveness_confidence" in live["reasons"]
    assert status(result, "selfie_pose_detection") == "failed"


def test_same_frame_for_all_poses_fails_repeat_detection() -> None:
    result = evaluate(SelfieEvidence(*map(lambda b: [b], selfiegen.same_frame("hopper"))))
    assert status(result, "selfie_pose_repeat_detection") == "failed"
    assert status(result, "selfie_liveness_detection") == "failed"


def test_second_face_fails_multiple_faces_detection() -> None:
    center, left, right = selfiegen.second_face("astronaut", "hopper")
    result = evaluate(SelfieEvidence([center], [left], [right]))
    assert status(result, "selfie_multiple_faces_detection") == "failed"
    assert "center_multiple_faces" in result.check("selfie_multiple_faces_detection")["reasons"]


def test_id_card_held_to_the_camera_is_suspicious() -> None:
    center, left, right = selfiegen.id_card_photo("hopper")
    result = evaluate(SelfieEvidence([center], [left], [right]))
    assert status(result, "selfie_suspicious_entity_detection") == "failed"
    assert status(result, "selfie_liveness_detection") == "failed"


def test_account_comparison_and_center_only(holder, ids) -> None:
    center = selfiegen.three_poses("astronaut", seed=5)[0]
    settings = SelfieSettings(kind="center-only")
    same = evaluate(SelfieEvidence([center], account_embeddings=[holder.embedding]), settings)
    assert status(same, "selfie_account_comparison") == "passed"
    assert status(same, "selfie_pose_repeat_detection") == "not_applicable"
    assert status(same, "selfie_id_comparison") == "not_applicable"
    other = evaluate(SelfieEvidence([selfiegen.three_poses("hopper")[0]], account_embeddings=[holder.embedding]), settings)
    assert status(other, "selfie_account_comparison") == "failed"


def test_glasses_drawn_on_and_real_are_reported() -> None:
    frame = selfiegen.frame_of("astronaut")
    bare = evaluate(SelfieEvidence([selfiegen.jpeg(frame)]), SelfieSettings(kind="center-only"))
    worn = evaluate(SelfieEvidence([selfiegen.jpeg(selfiegen.with_glasses(frame))]), SelfieSettings(kind="center-only"))
    assert status(bare, "selfie_glasses_detection") == "passed"
    assert status(worn, "selfie_glasses_detection") == "failed"
    assert worn.check("selfie_glasses_detection")["requirement"] == "not_required"
    real = evaluate(SelfieEvidence([selfiegen.jpeg(selfiegen.frame_of("hopper"))]), SelfieSettings(kind="center-only"))
    assert status(real, "selfie_glasses_detection") == "failed"  # Grace Hopper wears glasses in her portrait


def test_unreadable_or_faceless_photos_fail_cleanly() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (480, 360, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    result = evaluate(SelfieEvidence([b"not an image" * 2000], [buf.getvalue()], [buf.getvalue()]),
                      SelfieSettings(preset="strict"))
    assert status(result, "selfie_image_quality_detection") == "failed"
    assert "center_unreadable" in result.check("selfie_image_quality_detection")["reasons"]
    assert status(result, "selfie_liveness_detection") == "failed"
    assert result.embedding is None and result.document_similarity_score is None


def test_similarity_score_is_50_at_the_threshold() -> None:
    t = PRESETS["default"].match_distance
    assert similarity_score(t, t) == 50.0
    assert similarity_score(0.2, t) > 99 and similarity_score(0.9, t) < 1


def test_blink_across_a_burst() -> None:
    strict = SelfieSettings(preset="strict", kind="center-only")
    blinked = evaluate(SelfieEvidence(selfiegen.blink_burst("hopper")), strict)
    assert blinked.attributes["liveness-signals"]["blink"] is True
    assert status(blinked, "selfie_liveness_detection") == "passed"
    staring = evaluate(SelfieEvidence(selfiegen.blink_burst("hopper", blink=False)), strict)
    assert "no_blink" in staring.check("selfie_liveness_detection")["reasons"]
    short = evaluate(SelfieEvidence(selfiegen.blink_burst("hopper", frames=3, blink=False)), strict)
    assert status(short, "selfie_liveness_detection") == "passed"  # 3 frames: a blink is not required, noise is not frozen
    frozen = evaluate(SelfieEvidence([selfiegen.blink_burst("hopper", frames=1)[0]] * 3), strict)
    assert "frozen_burst" in frozen.check("selfie_liveness_detection")["reasons"]


def test_id_portrait_found_on_a_phone_photo_of_the_card(holder, ids) -> None:
    import cv2

    card = np.asarray(Image.open(io.BytesIO(ids["astronaut"])).convert("RGB"))
    h, w = card.shape[:2]
    corners = np.float32([[400, 300], [1550, 360], [1520, 1080], [380, 1050]])
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), corners)
    photo = cv2.warpPerspective(card, matrix, (2000, 1500), dst=np.full((1500, 2000, 3), 90, np.uint8),
                                borderMode=cv2.BORDER_TRANSPARENT)
    center = selfiegen.three_poses("astronaut")[0]
    result = evaluate(SelfieEvidence([center], id_portrait=selfiegen.jpeg(photo)), SelfieSettings(kind="center-only"))
    assert status(result, "selfie_id_comparison") == "passed"


def test_mirrored_preview_passes_and_photos_swapped_between_poses_fail() -> None:
    center, left, right = selfiegen.three_poses("hopper", seed=2)
    mirrored = evaluate(SelfieEvidence([center], [right], [left]))
    assert status(mirrored, "selfie_pose_detection") == "passed"
    assert mirrored.check("selfie_pose_detection")["metadata"]["mirrored"] is True
    swapped = evaluate(SelfieEvidence(*map(lambda b: [b], selfiegen.swapped_poses("hopper", seed=2))))
    assert "scene_changed_between_poses" in swapped.check("selfie_liveness_detection")["reasons"]
