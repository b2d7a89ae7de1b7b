"""The face-recognition ResNet run in NumPy gives dlib's own descriptors: dlib's wheel (its reference
implementation of the same network and file) is the oracle, on real face chips and on noise."""

from pathlib import Path

import dlib
import face_recognition_models
import numpy as np
import pytest

from openidv.checks import face_resnet, faces
from openidv.testdata import selfiegen

MODEL = Path(face_recognition_models.face_recognition_model_location())


@pytest.fixture(scope="module")
def dlib_resnet():
    return dlib.face_recognition_model_v1(str(MODEL))


def _chip(name: str) -> np.ndarray:
    rgb = selfiegen.frame_of(name)
    engine = faces.engine()
    face = engine.detect(rgb)[0]
    points, _ = engine.landmarks(rgb, face)
    x0, y0, x1, y1 = face.box
    parts = [dlib.point(int(round(points[i, 0])), int(round(points[i, 1]))) for i in faces.DLIB_FIVE]
    shape = dlib.full_object_detection(dlib.rectangle(int(x0), int(y0), int(x1), int(y1)), parts)
    return dlib.get_face_chip(np.ascontiguousarray(rgb), shape, size=150, padding=0.25)


def test_the_numpy_network_gives_dlibs_descriptors(dlib_resnet) -> None:
    rng = np.random.default_rng(7)
    chips = [_chip(name) for name in selfiegen.FACES] + [rng.integers(0, 256, (150, 150, 3), np.uint8)]
    ours = face_resnet.FaceResNet(MODEL).describe(chips)
    assert ours.shape == (len(chips), 128) and ours.dtype == np.float32
    for chip, descriptor in zip(chips, ours, strict=True):
        expected = np.asarray(dlib_resnet.compute_face_descriptor(chip), np.float32)
        assert np.abs(descriptor - expected).max() < 1e-5  # 2-4e-7 measured; BLAS kernels may sum in another order
    # Different people stay apart and each face stays nearest itself, as with dlib.
    assert faces.distance(ours[0], ours[1]) > 0.6


def test_the_engine_embeds_with_it(dlib_resnet) -> None:
    rgb = selfiegen.frame_of("hopper")
    engine = faces.engine()
    face = engine.detect(rgb)[0]
    points, _ = engine.landmarks(rgb, face)
    expected = np.asarray(dlib_resnet.compute_face_descriptor(_chip("hopper")), np.float32)
    assert np.abs(engine.embedding(rgb, face, points) - expected).max() < 1e-5


def test_another_file_is_refused_with_a_clear_error(tmp_path) -> None:
    other = tmp_path / "shape_predictor.dat"
    other.write_bytes((MODEL.parent / "shape_predictor_5_face_landmarks.dat").read_bytes())
    with pytest.raises(ValueError, match="not dlib's face-recognition ResNet"):
        face_resnet.FaceResNet(other)
    truncated = tmp_path / "truncated.dat"
    truncated.write_bytes(MODEL.read_bytes()[: MODEL.stat().st_size // 2])
    with pytest.raises(ValueError, match="not dlib's face-recognition ResNet"):
        face_resnet.FaceResNet(truncated)


@pytest.mark.parametrize(
    "chips",
    [
        [np.zeros((100, 100, 3), np.uint8)],  # another size
        [np.zeros((150, 150), np.uint8)],  # gray
        [np.zeros((150, 150, 1), np.uint8)],
        [np.zeros((150, 150, 4), np.uint8)],  # RGBA
        [np.zeros((150, 150, 3), np.float32)],  # 0-1 floats would give a meaningless descriptor
        [],
    ],
)
def test_a_chip_that_is_not_150_x_150_rgb_bytes_is_refused(chips) -> None:
    with pytest.raises(ValueError, match="150 x 150 RGB"):
        face_resnet.FaceResNet(MODEL).describe(chips)
