"""Test selfies the project makes itself from public-domain photos that ship in packages.

Faces: scikit-image's astronaut (Eileen Collins, NASA) and matplotlib's Grace Hopper (US Navy), both public
domain. `three_poses(face_source)` turns the frontal photo into center / left / right frames with a 3D-ish
warp (an ellipsoid head with a nose, turned about its vertical axis, so the face moves with parallax as a
real head does), plus camera noise and JPEG. Attacks: `printed_photo`, `screen_replay`, `same_frame`,
`second_face`, `id_card_photo`, `swapped_poses`. `id_front_with_portrait` pastes the face on a generated ID
card (`openidv.testdata.idgen`, read-only). The ID generator's own portraits are drawings, not faces.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from openidv.checks.faces import Face

FACES = ("astronaut", "hopper")
FRAME = (480, 640)  # width, height of a phone selfie frame


def photo(name: str) -> np.ndarray:
    """A public-domain photo by name, RGB."""
    if name == "astronaut":
        from skimage import data

        return np.ascontiguousarray(data.astronaut())
    if name == "hopper":
        import importlib.util

        spec = importlib.util.find_spec("matplotlib")
        assert spec is not None and spec.submodule_search_locations
        path = Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "sample_data" / "grace_hopper.jpg"
        return np.asarray(Image.open(path).convert("RGB"))
    raise ValueError(f"unknown face {name!r}; one of {FACES}")


def _rgb(face_source: str | bytes | np.ndarray | Image.Image) -> np.ndarray:
    if isinstance(face_source, str):
        return photo(face_source)
    if isinstance(face_source, bytes):
        return np.asarray(Image.open(io.BytesIO(face_source)).convert("RGB"))
    if isinstance(face_source, Image.Image):
        return np.asarray(face_source.convert("RGB"))
    return np.ascontiguousarray(face_source[..., :3])


def jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _three(frames: Sequence[bytes]) -> tuple[bytes, bytes, bytes]:
    center, left, right = frames
    return center, left, right


def locate(rgb: np.ndarray) -> tuple[Face, np.ndarray]:
    """The main face of a photo and its 468 landmarks."""
    from openidv.checks import faces

    eng = faces.engine()
    found = eng.detect(rgb)
    if not found:
        raise ValueError("no face found in the source photo")
    points, _ = eng.landmarks(rgb, found[0])
    return found[0], points


def frame_of(face_source: str | bytes | np.ndarray | Image.Image, face_width: int = 190, seed: int = 0) -> np.ndarray:
    """A portrait phone frame (480x640) cut from the photo around its face, the face about `face_width` wide."""
    rgb = _rgb(face_source)
    face, _ = locate(rgb)
    rng = random.Random(seed)
    scale = face_width * rng.uniform(0.95, 1.05) / face.width
    cx = (face.box[0] + face.box[2]) / 2 + rng.uniform(-4, 4)
    cy = (face.box[1] + face.box[3]) / 2 + rng.uniform(-4, 4)
    w, h = FRAME
    m = np.array([[scale, 0, w / 2 - cx * scale], [0, scale, h * 0.42 - cy * scale]], np.float32)
    return cv2.warpAffine(rgb, m, FRAME, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)


def turn(rgb: np.ndarray, degrees: float, points: np.ndarray | None = None) -> np.ndarray:
    """The head turned by `degrees` about its vertical axis (positive: the subject's own left, the nose
    toward the image's right), the background left in place. Depth: an ellipsoid head plus a nose."""
    if points is None:
        _, points = locate(rgb)
    h, w = rgb.shape[:2]
    left, right, top, chin, nose = (points[i, :2] for i in (234, 454, 10, 152, 1))
    a = np.linalg.norm(right - left) / 2 * 1.2
    b = np.linalg.norm(chin - top) / 2 * 1.35
    cx, cy = (left[0] + right[0]) / 2, (top[1] + chin[1]) / 2 - 0.1 * b
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.radians(degrees)
    sin, cos = np.sin(theta), np.cos(theta)

    def depth(x: np.ndarray) -> np.ndarray:
        u, v = (x - cx) / a, (ys - cy) / b
        head = 0.85 * a * np.sqrt(np.clip(1 - u**2 - v**2, 0, None))
        bump = 0.3 * a * np.exp(-(((x - nose[0]) / (0.16 * a)) ** 2 + ((ys - nose[1] + 0.15 * a) / (0.35 * a)) ** 2))
        return head + bump

    src_x = xs.copy()
    for _ in range(4):  # backward map: solve x' = cx + (x - cx) cos + z(x) sin for x
        src_x = cx + (xs - cx - depth(src_x) * sin) / cos
    u, v = (xs - cx) / (a * 1.1), (ys - cy) / (b * 1.1)
    weight = np.clip((1 - (u**2 + v**2)) * 4, 0, 1)  # the head moves, the room stays
    map_x = (weight * src_x + (1 - weight) * xs).astype(np.float32)
    shade = 1 + 0.12 * np.sign(degrees) * np.clip((xs - cx) / a, -1, 1) * weight  # the turned side lit differently
    out = cv2.remap(rgb, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101).astype(np.float32)
    return np.clip(out * shade[..., None], 0, 255).astype(np.uint8)


def camera(rgb: np.ndarray, seed: int, shift: float = 3.0, noise: float = 2.5, gain: float = 0.04) -> np.ndarray:
    """What a phone adds between frames: a little hand shake, exposure change and sensor noise."""
    rng = np.random.default_rng(seed)
    m = np.array([[1, 0, rng.uniform(-shift, shift)], [0, 1, rng.uniform(-shift, shift)]], np.float32)
    out = cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), borderMode=cv2.BORDER_REFLECT101).astype(np.float32)
    out = out * (1 + rng.uniform(-gain, gain)) + rng.normal(0, noise, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def three_poses(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0, degrees: float = 28.0,
                quality: int = 90) -> tuple[bytes, bytes, bytes]:
    """(center, left, right) JPEG frames of a live person turning their head."""
    frame = frame_of(face_source, seed=seed)
    _, points = locate(frame)
    rng = random.Random(seed)
    left = turn(frame, degrees * rng.uniform(0.9, 1.1), points)
    right = turn(frame, -degrees * rng.uniform(0.9, 1.1), points)
    return _three([jpeg(camera(f, seed * 3 + i), quality) for i, f in enumerate((frame, left, right))])


def _plane(rgb: np.ndarray, yaw_degrees: float, pitch_degrees: float = 0.0, distance: float = 3.0,
           size: float = 0.92) -> np.ndarray:
    """The picture as a flat sheet (or screen) turned before a pinhole camera (one homography), held
    before a dim, out-of-focus room."""
    h, w = rgb.shape[:2]
    f = distance * w
    corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]], np.float32)
    ty, tp = np.radians(yaw_degrees), np.radians(pitch_degrees)
    ry = np.array([[np.cos(ty), 0, np.sin(ty)], [0, 1, 0], [-np.sin(ty), 0, np.cos(ty)]])
    rx = np.array([[1, 0, 0], [0, np.cos(tp), -np.sin(tp)], [0, np.sin(tp), np.cos(tp)]])
    pts = corners @ (rx @ ry).T * size
    proj = np.array([[f * x / (z + f) + w / 2, f * y / (z + f) + h / 2] for x, y, z in pts], np.float32)
    m = cv2.getPerspectiveTransform(np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32), proj)
    room: np.ndarray = (cv2.GaussianBlur(cv2.resize(rgb, (w // 8, h // 8)), (0, 0), 3).astype(np.float32) * 0.55).astype(np.uint8)
    room = cv2.resize(room[::-1], (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.warpPerspective(rgb, m, (w, h), dst=room, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_TRANSPARENT)


def _print_texture(rgb: np.ndarray, seed: int) -> np.ndarray:
    """Ink on paper: a rotated halftone screen, a narrower gamut, a paper-white floor."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle, period = np.radians(rng.uniform(15, 45)), rng.uniform(3.2, 4.5)
    u, v = xs * np.cos(angle) + ys * np.sin(angle), -xs * np.sin(angle) + ys * np.cos(angle)
    dots = np.cos(2 * np.pi * u / period) * np.cos(2 * np.pi * v / period)
    out = 30 + rgb.astype(np.float32) * 0.78
    out = out * (1 + 0.09 * dots[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def _screen_texture(rgb: np.ndarray, seed: int) -> np.ndarray:
    """A photo of a screen: the pixel grid beating against the camera's (moiré), a cooler backlight."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = np.radians(rng.uniform(-12, 12))
    u = xs * np.cos(angle) + ys * np.sin(angle)
    v = -xs * np.sin(angle) + ys * np.cos(angle)
    p1, p2 = rng.uniform(2.6, 3.4), rng.uniform(2.6, 3.4)
    grid = 0.5 * np.cos(2 * np.pi * u / p1) + 0.5 * np.cos(2 * np.pi * v / p2)
    beat = np.cos(2 * np.pi * (u / rng.uniform(18, 40) + v / rng.uniform(25, 60)))
    out = rgb.astype(np.float32) * (1 + 0.08 * grid[..., None] + 0.05 * beat[..., None])
    out = out * np.array([0.95, 1.0, 1.08], np.float32) + 10
    return np.clip(out, 0, 255).astype(np.uint8)


def _bent(rgb: np.ndarray, degrees: float, bend: float) -> np.ndarray:
    """The sheet bowed toward the camera about its vertical axis (a cylinder), turned by `degrees`."""
    h, w = rgb.shape[:2]
    cx, half = w / 2, w / 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    sin, cos = np.sin(np.radians(degrees)), np.cos(np.radians(degrees))
    src_x = xs.copy()
    for _ in range(4):
        z = bend * half * (1 - np.clip((src_x - cx) / half, -1, 1) ** 2)
        src_x = cx + (xs - cx - z * sin) / cos
    return cv2.remap(rgb, src_x.astype(np.float32), ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def printed_photo(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0,
                  curved: bool = False) -> tuple[bytes, bytes, bytes]:
    """A printed photo of the person held to the camera and turned for the left and right poses;
    `curved`: the sheet bowed toward the camera, so the picture moves by more than one homography."""
    frame = _print_texture(frame_of(face_source, seed=seed), seed)
    rng = random.Random(seed)
    if curved:
        bend = rng.uniform(0.25, 0.45)
        views = [_plane(_bent(frame, 0, bend), 0), _plane(_bent(frame, rng.uniform(30, 45), bend), 0),
                 _plane(_bent(frame, -rng.uniform(30, 45), bend), 0)]
    else:
        views = [_plane(frame, rng.uniform(-5, 5)), _plane(frame, rng.uniform(30, 45), rng.uniform(-8, 8)),
                 _plane(frame, -rng.uniform(30, 45), rng.uniform(-8, 8))]
    return _three([jpeg(camera(v, seed * 7 + i)) for i, v in enumerate(views)])


def screen_replay(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0,
                  video: bool = False) -> tuple[bytes, bytes, bytes]:
    """A phone or monitor showing the person, filmed by the camera. `video`: the screen plays a video in
    which the person does turn (3D poses); otherwise a still photo, the screen itself turned."""
    frame = frame_of(face_source, seed=seed)
    rng = random.Random(seed)
    if video:
        _, points = locate(frame)
        views = [frame, turn(frame, 28, points), turn(frame, -28, points)]
    else:
        views = [frame, _plane(frame, rng.uniform(30, 45)), _plane(frame, -rng.uniform(30, 45))]
    return _three([jpeg(camera(_screen_texture(v, seed + i), seed * 11 + i)) for i, v in enumerate(views)])


def same_frame(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0) -> tuple[bytes, bytes, bytes]:
    center = jpeg(camera(frame_of(face_source, seed=seed), seed))
    return center, center, center


def swapped_poses(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0) -> tuple[bytes, bytes, bytes]:
    """Three photos of the person turning, each from another occasion (another background and light)."""
    frame = frame_of(face_source, seed=seed)
    _, points = locate(frame)
    rng = np.random.default_rng(seed)
    views = [frame, turn(frame, 28, points), turn(frame, -28, points)]
    out = []
    for i, v in enumerate(views):
        if i:  # another room: recolour everything outside the head, another exposure
            tint = rng.uniform(0.55, 1.45, 3).astype(np.float32)
            mask: np.ndarray = np.zeros(v.shape[:2], np.float32)
            left, right, top, chin = (points[k, :2] for k in (234, 454, 10, 152))
            cv2.ellipse(mask, (int((left[0] + right[0]) / 2), int((top[1] + chin[1]) / 2)),
                        (int(np.linalg.norm(right - left) * 0.75), int(np.linalg.norm(chin - top) * 0.9)), 0, 0, 360, 1, -1)
            mask = cv2.GaussianBlur(mask, (0, 0), 9)[..., None]
            v = np.clip(v * (mask + (1 - mask) * tint) * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)
        out.append(jpeg(camera(v, seed * 13 + i)))
    return _three(out)


def second_face(face_source: str | bytes | np.ndarray | Image.Image, other: str | bytes | np.ndarray | Image.Image,
                seed: int = 0) -> tuple[bytes, bytes, bytes]:
    """Live poses, with another person's face in the background of every frame."""
    extra = frame_of(other, face_width=120, seed=seed)
    _, pts = locate(extra)
    x0, y0 = int(pts[:, 0].min() - 25), int(pts[:, 1].min() - 35)
    x1, y1 = int(pts[:, 0].max() + 25), int(pts[:, 1].max() + 20)
    patch = extra[max(0, y0):y1, max(0, x0):x1]
    out = []
    for data in three_poses(face_source, seed):
        f = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).copy()
        f[8:8 + patch.shape[0], 480 - 8 - patch.shape[1]:480 - 8] = patch[: f.shape[0] - 8]
        out.append(jpeg(f))
    return _three(out)


def id_front_with_portrait(face_source: str | bytes | np.ndarray | Image.Image, kind: str = "id_card",
                           seed: int = 0) -> bytes:
    """A generated ID card's front (JPEG) with this person's face as its portrait."""
    from openidv.testdata import idgen

    sample = idgen.make(kind, seed)
    front = sample.front.copy()
    portrait = frame_of(face_source, face_width=150, seed=seed)[40:380, 90:390]  # head and shoulders
    size = (240, 300) if kind == "passport" else (250, 310)
    at = (30, 90) if kind == "drivers_license" else (30, 80)
    front.paste(Image.fromarray(portrait).resize(size, Image.Resampling.LANCZOS), at)
    buf = io.BytesIO()
    front.convert("RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def id_card_photo(face_source: str | bytes | np.ndarray | Image.Image, seed: int = 0) -> tuple[bytes, bytes, bytes]:
    """The "selfie" is a photo of the person's ID card held to the camera."""
    card = np.asarray(Image.open(io.BytesIO(id_front_with_portrait(face_source, seed=seed))).convert("RGB"))
    w, h = FRAME
    rng = np.random.default_rng(seed)
    background = cv2.resize(rng.integers(70, 160, (12, 9, 3), dtype=np.uint8), FRAME, interpolation=cv2.INTER_CUBIC)
    scale = (w * 0.9) / card.shape[1]
    m = np.array([[scale, 0, w * 0.05], [0, scale, h * 0.3]], np.float32)
    frame = background.copy()
    warped = cv2.warpAffine(card, m, FRAME)
    mask = cv2.warpAffine(np.full(card.shape[:2], 255, np.uint8), m, FRAME) > 0
    frame[mask] = warped[mask]
    views = [frame, _plane(frame, 25), _plane(frame, -25)]
    return _three([jpeg(camera(v, seed * 17 + i)) for i, v in enumerate(views)])


def with_glasses(rgb: np.ndarray, points: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Spectacles drawn on the face: two rims, a bridge over the nose and the temples."""
    if points is None:
        _, points = locate(rgb)
    rng = random.Random(seed)
    out = rgb.copy()
    shades: list[tuple[int, int, int]] = [(20, 20, 20), (60, 35, 20), (90, 90, 100)]
    colour = tuple(int(c) for c in rng.choice(shades))
    thick = max(2, int(np.linalg.norm(points[263, :2] - points[33, :2]) / 40))
    for eye in ((33, 133, 159, 145), (362, 263, 386, 374)):
        a, b, top, bottom = (points[i, :2] for i in eye)
        c = (a + b) / 2
        ax = int(np.linalg.norm(b - a) * 0.85)
        ay = int(max(float(np.linalg.norm(bottom - top)) * 2.2, ax * 0.7))
        angle = float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))
        cv2.ellipse(out, (int(c[0]), int(c[1])), (ax, ay), angle, 0, 360, colour, thick, cv2.LINE_AA)
    inner_r, inner_l = points[133, :2], points[362, :2]
    bridge = points[168, :2]
    cv2.line(out, (int(inner_r[0] + 0.15 * (bridge[0] - inner_r[0])), int(bridge[1])),
             (int(inner_l[0] + 0.15 * (bridge[0] - inner_l[0])), int(bridge[1])), colour, thick, cv2.LINE_AA)
    for corner, ear in ((33, 234), (263, 454)):
        cv2.line(out, tuple(int(v) for v in points[corner, :2] + (points[ear, :2] - points[corner, :2]) * 0.35),
                 tuple(int(v) for v in points[ear, :2]), colour, thick, cv2.LINE_AA)
    return out


EYE_CONTOURS = ((33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7),
                (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249))


def closed_eyes(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The eyes shut: each eye's opening painted over with the skin of the cheek below, a lash line
    along the lower lid."""
    out: np.ndarray = rgb.copy()
    mask: np.ndarray = np.zeros(rgb.shape[:2], np.uint8)
    for contour, cheek in zip(EYE_CONTOURS, (50, 280), strict=True):
        poly = points[list(contour), :2].astype(np.int32)
        cv2.fillPoly(mask, [poly], 255)
        cx, cy = points[cheek, :2].astype(int)
        skin = rgb[max(0, cy - 4):cy + 4, max(0, cx - 4):cx + 4].reshape(-1, 3).mean(0)
        cv2.fillPoly(out, [poly], tuple(float(v) for v in skin))
    mask = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    soft = cv2.GaussianBlur(mask, (0, 0), 2).astype(np.float32)[..., None] / 255
    out = (cv2.GaussianBlur(out, (0, 0), 1.5) * soft + rgb * (1 - soft)).astype(np.uint8)
    for contour in EYE_CONTOURS:
        lid = points[[contour[0], *contour[12:8:-1], contour[8]], :2].astype(np.int32)
        cv2.polylines(out, [lid], False, (50, 35, 30), 2, cv2.LINE_AA)
    return out


def blink_burst(face_source: str | bytes | np.ndarray | Image.Image, frames: int = 5, seed: int = 0,
                blink: bool = True) -> list[bytes]:
    """A short burst of center frames; with `blink`, the eyes are shut in one of them."""
    frame = frame_of(face_source, seed=seed)
    _, points = locate(frame)
    shut = closed_eyes(frame, points)
    return [jpeg(camera(shut if blink and i == frames // 2 else frame, seed * 19 + i)) for i in range(frames)]
