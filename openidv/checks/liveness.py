"""Basic liveness signals from landmarks and pixels (no learned anti-spoofing model); the blink comes
from `faces.FaceEngine.eye_openness`.

- `yaw`: head turn from FaceMesh landmarks (nose tip against the two cheek contours).
- `parallax`: a flat photo moved before the camera moves its landmarks by one homography; a head turning
  does not (the nose and the cheeks are at different depths). Residual of the best homography, in units of
  the inter-ocular distance.
- `periodic_texture`: screens (pixel grid, moiré) and prints (halftone screen) leave isolated peaks in the
  face's spectrum that skin does not.
- `scene_change`: the background around the face between poses; a photo swapped between poses brings
  another scene with it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from openidv.checks import faces
from openidv.checks.protocols import Image, Landmarks


def yaw(points: Landmarks) -> float:
    """-1..1: positive when the subject turns to their own left (nose toward the image's right, unmirrored)."""
    nose, right, left = points[faces.NOSE_TIP, :2], points[faces.CHEEK_RIGHT, :2], points[faces.CHEEK_LEFT, :2]
    axis = left - right
    span = float(np.linalg.norm(axis)) or 1.0
    t = float(np.dot(nose - right, axis) / span**2)  # nose position along the cheek-to-cheek line, 0..1
    return float(np.clip(2 * t - 1, -1, 1))


def inter_ocular(points: Landmarks) -> float:
    eye_r = points[list(faces.EYE_R), :2].mean(0)
    eye_l = points[list(faces.EYE_L), :2].mean(0)
    return float(np.linalg.norm(eye_l - eye_r)) or 1.0


# Points on the rigid part of the face (no mouth or eyelids, which move on their own).
RIGID = np.array([1, 4, 5, 6, 168, 197, 195, 10, 151, 9, 8, 33, 133, 362, 263, 234, 454, 127, 356, 93, 323,
                  132, 361, 58, 288, 172, 397, 136, 365, 149, 378, 152, 148, 377, 50, 280, 101, 330, 205, 425,
                  98, 327, 2, 94, 19, 21, 251, 54, 284, 103, 332, 67, 297, 109, 338, 70, 300, 63, 293, 105, 334])


def parallax(center: Landmarks, other: Landmarks) -> float:
    """RMS residual of the best homography center -> other over rigid points, per inter-ocular distance."""
    src, dst = center[RIGID, :2].astype(np.float64), other[RIGID, :2].astype(np.float64)
    h, _ = cv2.findHomography(src, dst, 0)
    if h is None:
        return 0.0
    proj = cv2.perspectiveTransform(src.reshape(-1, 1, 2), h).reshape(-1, 2)
    rms = float(np.sqrt(np.mean(np.sum((proj - dst) ** 2, axis=1))))
    return rms / min(inter_ocular(center), inter_ocular(other))


def face_crop(rgb: Image, face: faces.Face, size: int = 256, scale: float = 1.0) -> Image:
    x0, y0, x1, y1 = face.box
    cx, cy, half = (x0 + x1) / 2, (y0 + y1) / 2, scale * max(x1 - x0, y1 - y0) / 2
    m = np.array([[size / (2 * half), 0, size / 2 - cx * size / (2 * half)],
                  [0, size / (2 * half), size / 2 - cy * size / (2 * half)]], np.float32)
    crop: np.ndarray = cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
    return crop


def periodic_texture(rgb: Image, face: faces.Face) -> float:
    """Prominence of the strongest isolated spectral peak in the face (log-magnitude above its
    neighbourhood's median). Skin and camera noise give a smooth spectrum; a screen's grid, its moiré
    and a print's halftone give sharp peaks. Works on the face at native resolution (no resampling that
    would hide the pattern); JPEG's 8-pixel block grid is masked out."""
    x0, y0, x1, y1 = (int(round(v)) for v in face.box)
    h, w = rgb.shape[:2]
    side = min(x1 - x0, y1 - y0)
    n = 1 << int(np.log2(max(32, min(side, 256))))
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    ys, xs = max(0, min(h - n, cy - n // 2)), max(0, min(w - n, cx - n // 2))
    patch = cv2.cvtColor(rgb[ys:ys + n, xs:xs + n], cv2.COLOR_RGB2GRAY).astype(np.float32)
    if patch.shape != (n, n):
        return 0.0
    patch -= cv2.GaussianBlur(patch, (0, 0), 3)  # keep the fine texture only
    win = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    mag = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(patch * win))))
    base = cv2.medianBlur(mag.astype(np.float32), 5)
    prominence = mag - base
    fy, fx = np.mgrid[-n // 2:n // 2, -n // 2:n // 2] / n
    radius = np.hypot(fx, fy)
    band = (radius > 0.08) & (radius < 0.48)
    for k in (1, 2, 3, 4):  # JPEG block grid harmonics at multiples of 1/8 cycle per pixel
        band &= ~(np.isclose(np.abs(fx), k / 8, atol=1.5 / n) & (np.abs(fy) < 1.5 / n))
        band &= ~(np.isclose(np.abs(fy), k / 8, atol=1.5 / n) & (np.abs(fx) < 1.5 / n))
        band &= ~(np.isclose(np.abs(fx), k / 8, atol=1.5 / n) & np.isclose(np.abs(fy), k / 8, atol=1.5 / n))
    return float(prominence[band].max()) if band.any() else 0.0


def _surround(rgb: Image, face: faces.Face) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """The frame with the face and body masked out, as a small Lab thumbnail and mask."""
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (48, 48), interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(small, cv2.COLOR_RGB2LAB).astype(np.float32)
    mask = np.ones((48, 48), bool)
    x0, y0, x1, y1 = face.box
    fw = x1 - x0
    mx0, mx1 = int(max(0, (x0 - 0.35 * fw) / w * 48)), int(min(48, (x1 + 0.35 * fw) / w * 48 + 1))
    my0 = int(max(0, (y0 - 0.35 * fw) / h * 48))
    mask[my0:, mx0:mx1] = False
    return lab, mask


def scene_change(rgb_a: Image, face_a: faces.Face, rgb_b: Image, face_b: faces.Face) -> float:
    """Mean Lab difference of the background both frames show (0 = same scene), after the best global
    shift (a hand-held phone moves up to ~8 % of the frame between poses) and the mean lightness matched
    (auto-exposure); each pixel is compared with the best of its 3x3 neighbourhood."""
    lab_a, mask_a = _surround(rgb_a, face_a)
    lab_b, mask_b = _surround(rgb_b, face_b)
    padded = cv2.copyMakeBorder(lab_b, 5, 5, 5, 5, cv2.BORDER_REPLICATE)
    pmask = cv2.copyMakeBorder(mask_b.astype(np.uint8), 5, 5, 5, 5, cv2.BORDER_CONSTANT, value=0).astype(bool)
    # Every shift's 3x3 neighbours are windows of b displaced -5..5: their lightness difference and
    # colour distance to a are computed once (11 x 11 windows), not once per shift and neighbour.
    windows = np.lib.stride_tricks.sliding_window_view(padded, (48, 48), axis=(0, 1))  # (11, 11, 3, 48, 48)
    light = lab_a[..., 0] - windows[:, :, 0]
    colour = (lab_a[..., 1] - windows[:, :, 1]) ** 2 + (lab_a[..., 2] - windows[:, :, 2]) ** 2
    best = np.inf
    for sy in range(-4, 5):
        for sx in range(-4, 5):
            mask = mask_a & pmask[5 + sy:5 + sy + 48, 5 + sx:5 + sx + 48]
            if mask.sum() < 40:
                continue
            offset = float(light[5 + sy, 5 + sx][mask].mean())
            near = (light[4 + sy:7 + sy, 4 + sx:7 + sx] - offset) ** 2 + colour[4 + sy:7 + sy, 4 + sx:7 + sx]
            best = min(best, float(np.sqrt(near.reshape(9, 48, 48).min(axis=0))[mask].mean()))
    return 0.0 if best == np.inf else best
