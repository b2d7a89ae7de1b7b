"""Selfie checks: photos in, Persona-named check objects, the center face's embedding and the similarity
to the ID portrait out.

`evaluate()` is pure (no database): the caller passes the ID's front photo and the account's earlier
embeddings, stores the returned embedding sealed and never returns it through the API. Thresholds live in
`PRESETS` (strict / default / lenient), calibrated by `bench/selfie.py` on the face engine openidv ships
(`faces.FaceEngine`); another `FacePipeline` (`checks.protocols`) passed as `engine` replaces it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from openidv.checks import faces, liveness, quality
from openidv.checks.protocols import FacePipeline, Image, Landmarks
from openidv.checks.result import CheckResult, check

# A blink is looked for in center bursts of 3+ frames, and required (strict) only from this many: a short
# burst of 3 frames 150 ms apart rarely catches one unless the capture asks for it.
BLINK_BURST = 5


@dataclass(frozen=True)
class Thresholds:
    match_distance: float  # dlib embedding distance at or under which two faces are the same person
    cross_pose_distance: float  # center vs a profile pose: above it, another person turned up
    center_yaw: float  # |yaw| at most, for the center pose
    profile_yaw: float  # |yaw| at least, for the left and right poses
    min_parallax: float  # homography residual per inter-ocular distance a turning head shows at least
    max_texture: float  # spectral peak prominence (screen moiré, print halftone) at most
    max_scene_change: float  # background change between poses at most (photo swapped between poses)
    second_face_score: float  # detector score from which another face counts
    min_face_px: int  # face width at least, in pixels
    min_sharpness: float  # variance of the Laplacian of the face at least
    max_glare: float  # share of blown-out face pixels at most
    glasses_edge: float  # nose-bridge edge strength from which glasses are reported
    require_blink: bool  # a center burst of BLINK_BURST frames or more must show a blink


PRESETS: dict[str, Thresholds] = {
    "strict": Thresholds(match_distance=0.50, cross_pose_distance=0.62, center_yaw=0.22, profile_yaw=0.22,
                         min_parallax=0.05, max_texture=1.8, max_scene_change=10.0, second_face_score=0.70,
                         min_face_px=100, min_sharpness=16.0, max_glare=0.04, glasses_edge=1.0, require_blink=True),
    "default": Thresholds(match_distance=0.55, cross_pose_distance=0.68, center_yaw=0.28, profile_yaw=0.18,
                          min_parallax=0.045, max_texture=2.0, max_scene_change=12.0, second_face_score=0.75,
                          min_face_px=80, min_sharpness=10.0, max_glare=0.06, glasses_edge=1.2, require_blink=False),
    "lenient": Thresholds(match_distance=0.60, cross_pose_distance=0.72, center_yaw=0.35, profile_yaw=0.15,
                          min_parallax=0.042, max_texture=2.2, max_scene_change=14.0, second_face_score=0.80,
                          min_face_px=60, min_sharpness=6.0, max_glare=0.10, glasses_edge=1.5, require_blink=False),
}


@dataclass
class SelfieEvidence:
    center: list[bytes]
    left: list[bytes] = field(default_factory=list)
    right: list[bytes] = field(default_factory=list)
    id_portrait: bytes | None = None  # the government ID's front photo; the face is found on it here
    account_embeddings: list[list[float]] = field(default_factory=list)


@dataclass
class SelfieSettings:
    preset: str = "default"
    kind: str = "profile-and-center"


@dataclass
class SelfieResult:
    checks: list[CheckResult]
    embedding: list[float] | None
    document_similarity_score: float | None
    attributes: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c["name"] == name)


@dataclass
class Frame:
    rgb: Image
    digest: str
    found: list[faces.Face]  # best first
    points: Landmarks | None = None  # landmarks of the main face
    presence: float = 0.0

    @property
    def face(self) -> faces.Face | None:
        return self.found[0] if self.found else None


def _na(name: str, reason: str) -> CheckResult:
    c = check(name, True, reasons=[reason], required=False)
    c["status"] = "not_applicable"
    return c


def similarity_score(distance: float, threshold: float) -> float:
    """0-100, 50 at the preset's match threshold, steep around it (logistic in the distance)."""
    return round(float(100 / (1 + np.exp((distance - threshold) / 0.04))), 1)


def _frame(engine: FacePipeline, data: bytes, *, card: bool = False) -> Frame | str:
    """Decode and find the faces; `card`: a photo of an ID, where a face not found in the whole photo is
    looked for again in the perspective-corrected card."""
    try:
        decoded = quality.decode(data, max_side=1280)
    except quality.ImageRejected as exc:
        return str(exc)
    frame = Frame(decoded.rgb, hashlib.sha256(data).hexdigest(), engine.detect(decoded.rgb, small_faces=True))
    if card and frame.face is None:
        corners = quality.find_card(quality.gray_of(decoded.rgb))
        if corners is not None:
            flat = np.ascontiguousarray(quality.crop_card(decoded.rgb, corners))
            frame = Frame(flat, frame.digest, engine.detect(flat, small_faces=True))
    if frame.face is not None:
        frame.points, frame.presence = engine.landmarks(decoded.rgb, frame.face)
    return frame


def _same_pixels(a: Frame, b: Frame) -> bool:
    """Byte-identical or, after re-encoding, the same picture (tiny mean difference on a thumbnail)."""
    if a.digest == b.digest:
        return True
    ta = cv2.resize(cv2.cvtColor(a.rgb, cv2.COLOR_RGB2GRAY), (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    tb = cv2.resize(cv2.cvtColor(b.rgb, cv2.COLOR_RGB2GRAY), (64, 64), interpolation=cv2.INTER_AREA).astype(np.float32)
    return float(np.abs(ta - tb).mean()) < 2.0


def _frozen(a: Frame, b: Frame) -> bool:
    """Two frames of a burst with no change at all, not even sensor noise: one still image sent again."""
    if a.digest == b.digest:
        return True
    return a.rgb.shape == b.rgb.shape and float(np.abs(a.rgb.astype(np.int16) - b.rgb).mean()) < 0.5


def _glasses(frame: Frame) -> float:
    """Horizontal edges on the nose bridge between the eyes against those on the cheeks: a frame's
    bridge is a bar across the nose there, bare skin is smooth in both places."""
    p = frame.points
    assert p is not None
    gray = cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gy = np.abs(cv2.Sobel(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_32F, 0, 1, ksize=3))
    io = liveness.inter_ocular(p)

    def patch(idx: int) -> float:
        cx, cy = p[idx, :2]
        x0, x1 = int(max(0, cx - 0.12 * io)), int(min(gray.shape[1], cx + 0.12 * io))
        y0, y1 = int(max(0, cy - 0.12 * io)), int(min(gray.shape[0], cy + 0.12 * io))
        region = gy[y0:y1, x0:x1]
        return float(np.percentile(region, 90)) if region.size else 0.0

    cheeks = (patch(205) + patch(425)) / 2  # lower cheeks, below where rims sit
    return round(patch(faces.NOSE_BRIDGE) / (cheeks + 4.0), 3)


def pose_reasons(yaws: dict[str, float], t: Thresholds, profiles: bool) -> list[str]:
    """Center within `center_yaw` of frontal; left and right turned at least `profile_yaw`, opposite ways
    (either way round: a mirrored preview swaps them)."""
    if "center" not in yaws:
        return ["center_face_not_found"]
    reasons = ["center_not_frontal"] if abs(yaws["center"]) > t.center_yaw else []
    if profiles:
        left, right = yaws.get("left"), yaws.get("right")
        if left is None or right is None:
            reasons.append("profile_pose_missing")
        elif min(abs(left - yaws["center"]), abs(right - yaws["center"])) < t.profile_yaw or left * right >= 0:
            reasons.append("profile_pose_not_turned")
    return reasons


def liveness_reasons(signals: dict[str, Any], t: Thresholds, *, profiles: bool, pose: list[str], repeat: bool,
                     switched: bool, face: bool) -> list[str]:
    """The basic liveness verdict from its signals (shared with the benchmark, which replays presets)."""
    reasons = []
    if any(v > t.max_texture for v in signals.get("texture", {}).values()):
        reasons.append("screen_or_print_texture")
    if profiles:
        parallax = signals.get("parallax", {})
        if len(parallax) < 2 or min(parallax.values()) < t.min_parallax:
            reasons.append("flat_motion")
        if any(v > t.max_scene_change for v in signals.get("scene-change", {}).values()):
            reasons.append("scene_changed_between_poses")
        if any(r.startswith("profile_pose") for r in pose) or repeat:
            reasons.append("challenge_not_met")
    if signals.get("burst", 0) >= BLINK_BURST and not signals.get("blink") and t.require_blink:
        reasons.append("no_blink")
    if signals.get("frozen-burst"):
        reasons.append("frozen_burst")
    if not face:
        reasons.append("no_face")
    if switched:
        reasons.append("face_changed_between_poses")
    return reasons


def evaluate(evidence: SelfieEvidence, settings: SelfieSettings | None = None, *,
             engine: FacePipeline = faces.SHARED_ENGINE) -> SelfieResult:
    settings = settings or SelfieSettings()
    t = PRESETS.get(settings.preset, PRESETS["default"])
    profiles = settings.kind != "center-only"
    checks: list[CheckResult] = []
    attrs: dict[str, Any] = {"preset": settings.preset if settings.preset in PRESETS else "default",
                             "liveness-level": "basic"}

    poses: dict[str, list[Frame]] = {}
    errors: dict[str, str] = {}
    for pose, blobs in (("center", evidence.center), ("left", evidence.left), ("right", evidence.right)):
        if pose != "center" and not profiles:
            continue
        frames = []
        for data in blobs:
            got = _frame(engine, data)
            if isinstance(got, str):
                errors.setdefault(pose, got)
            else:
                frames.append(got)
        poses[pose] = frames
    main = {pose: frames[0] for pose, frames in poses.items() if frames}
    center = main.get("center")
    missing = [p for p in poses if p not in main]
    no_face = [p for p, f in main.items() if f.face is None]

    # Quality: decodable, a face, big and sharp enough.
    reasons = ([f"{p}_unreadable" if p in errors else f"{p}_missing" for p in missing]
               + [f"{p}_face_not_found" for p in no_face])
    metrics: dict[str, Any] = {}
    for pose, frame in main.items():
        if frame.face is None:
            continue
        crop = cv2.cvtColor(liveness.face_crop(frame.rgb, frame.face, 200), cv2.COLOR_RGB2GRAY)
        sharp = float(cv2.Laplacian(crop, cv2.CV_32F).var())  # the face at a fixed 200 px, so sizes compare
        metrics[pose] = {"face-width": round(frame.face.width), "sharpness": round(sharp, 1)}
        if frame.face.width < t.min_face_px:
            reasons.append(f"{pose}_face_too_small")
        if sharp < t.min_sharpness:
            reasons.append(f"{pose}_blurry")
    checks.append(check("selfie_image_quality_detection", not reasons, reasons=reasons,
                        metadata={"poses": metrics, **({"errors": errors} if errors else {})}))

    # Glare on the face.
    glare = {p: round(float(np.mean(cv2.cvtColor(liveness.face_crop(f.rgb, f.face, 128, 0.8), cv2.COLOR_RGB2GRAY) >= 250)), 3)
             for p, f in main.items() if f.face is not None}
    glared = [p for p, g in glare.items() if g > t.max_glare]
    checks.append(check("selfie_glare_detection", not glared, reasons=["too_much_glare"] if glared else [],
                        metadata={"glare-fraction": glare}))

    # Embeddings of each pose's face (center first; profiles for the cross-pose identity check).
    embeddings = {p: engine.embedding(f.rgb, f.face, f.points) for p, f in main.items() if f.face is not None}
    center_embedding = embeddings.get("center")

    # Multiple faces: a second face in any frame, or another person in a profile pose.
    extra = sorted({p for p, frames in poses.items() for f in frames
                    if sum(1 for x in f.found if x.score >= t.second_face_score and x.width >= 0.25 * f.found[0].width) > 1})
    cross = {p: round(faces.distance(center_embedding, e), 3) for p, e in embeddings.items()
             if p != "center" and center_embedding is not None}
    switched = [p for p, d in cross.items() if d > t.cross_pose_distance]
    reasons = [f"{p}_multiple_faces" for p in extra] + [f"{p}_different_face" for p in switched]
    checks.append(check("selfie_multiple_faces_detection", not reasons, reasons=reasons,
                        metadata={"cross-pose-distance": cross}))

    # Pose: center faces the camera, left and right turn by opposite signs.
    yaws = {p: round(liveness.yaw(f.points), 3) for p, f in main.items() if f.points is not None}
    attrs["yaw"] = yaws
    reasons = pose_reasons(yaws, t, profiles)
    mirrored = bool(profiles and "left" in yaws and "right" in yaws and yaws["left"] < 0 < yaws["right"])
    checks.append(check("selfie_pose_detection", not reasons, reasons=reasons, metadata={"yaw": yaws, "mirrored": mirrored}))

    # Pose repeat: the same picture sent for two poses (or the whole burst frozen).
    repeat: list[str] = []
    if profiles:
        names = list(main)
        repeat = [f"{a}={b}" for i, a in enumerate(names) for b in names[i + 1:] if _same_pixels(main[a], main[b])]
        checks.append(check("selfie_pose_repeat_detection", not repeat, reasons=["identical_frames"] if repeat else [],
                            metadata={"pairs": repeat}))
    else:
        checks.append(_na("selfie_pose_repeat_detection", "center_only"))

    # Liveness (basic): active challenge, 3D parallax between poses, scene kept, no screen/print texture.
    signals: dict[str, Any] = {"texture": {p: round(liveness.periodic_texture(f.rgb, f.face), 2)
                                           for p, f in main.items() if f.face is not None}}
    if profiles and center is not None and center.points is not None and center.face is not None:
        turned = [(p, main[p]) for p in ("left", "right") if p in main]
        signals["parallax"] = {p: round(liveness.parallax(center.points, f.points), 4) for p, f in turned if f.points is not None}
        signals["scene-change"] = {p: round(liveness.scene_change(center.rgb, center.face, f.rgb, f.face), 1)
                                   for p, f in turned if f.face is not None}
    burst = [f for f in poses.get("center", []) if f.points is not None]
    if len(burst) >= 3:
        openness = [engine.eye_openness(f.rgb, points) for f in burst if (points := f.points) is not None]
        signals["blink"] = min(openness) < 0.6 * max(openness)
        signals["burst"] = len(burst)
        signals["frozen-burst"] = all(_frozen(burst[0], f) for f in burst[1:])
    reasons = liveness_reasons(signals, t, profiles=profiles, pose=checks[-2]["reasons"], repeat=bool(repeat),
                               switched=bool(switched), face=center is not None and center.face is not None)
    checks.append(check("selfie_liveness_detection", not reasons, reasons=["low_liveness_confidence", *reasons] if reasons else [],
                        metadata={"level": "basic", "signals": signals, "thresholds": {
                            "max-texture": t.max_texture, "min-parallax": t.min_parallax,
                            "max-scene-change": t.max_scene_change, "blink-required": t.require_blink}}))
    attrs["liveness-signals"] = signals

    # Suspicious entity: the "selfie" is a photo of an ID card (a card-shaped quad around a small face).
    card = None
    if center is not None:
        corners = quality.find_card(quality.gray_of(center.rgb))
        if corners is not None:
            x, y, w, h = cv2.boundingRect(corners.astype(np.float32))
            ratio = max(w, h) / max(1, min(w, h))
            fx = center.face
            inside = fx is None or (x <= fx.box[0] and fx.box[2] <= x + w and y <= fx.box[1] and fx.box[3] <= y + h)
            if 1.25 <= ratio <= 1.8 and inside and (fx is None or fx.width < 0.45 * w):
                card = {"card-box": [x, y, w, h]}
    checks.append(check("selfie_suspicious_entity_detection", card is None, reasons=["id_card_in_selfie"] if card else [],
                        metadata=card or {}))

    # Comparison with the government ID's portrait.
    score = None
    if evidence.id_portrait is None:
        checks.append(_na("selfie_id_comparison", "no_government_id"))
    else:
        portrait = _frame(engine, evidence.id_portrait, card=True)
        if isinstance(portrait, str) or portrait.face is None or center_embedding is None:
            checks.append(check("selfie_id_comparison", False,
                                reasons=["portrait_not_found" if center_embedding is not None else "no_selfie_face"]))
        else:
            d = faces.distance(center_embedding, engine.embedding(portrait.rgb, portrait.face, portrait.points))
            score = similarity_score(d, t.match_distance)
            checks.append(check("selfie_id_comparison", d <= t.match_distance,
                                reasons=[] if d <= t.match_distance else ["face_mismatch"],
                                metadata={"distance": round(d, 3), "threshold": t.match_distance}))

    # Earlier selfies of the same account.
    if not evidence.account_embeddings:
        checks.append(_na("selfie_account_comparison", "no_account_selfie_present"))
    elif center_embedding is None:
        checks.append(check("selfie_account_comparison", False, reasons=["no_selfie_face"]))
    else:
        best = min(faces.distance(center_embedding, e) for e in evidence.account_embeddings)
        checks.append(check("selfie_account_comparison", best <= t.match_distance,
                            reasons=[] if best <= t.match_distance else ["face_mismatch"],
                            metadata={"distance": round(best, 3), "threshold": t.match_distance}))

    # Glasses, from the landmarks' nose bridge (informational by default).
    if center is not None and center.points is not None:
        strength = _glasses(center)
        attrs["glasses-score"] = strength
        checks.append(check("selfie_glasses_detection", strength < t.glasses_edge,
                            reasons=[] if strength < t.glasses_edge else ["glasses_detected"], required=False,
                            metadata={"edge-strength": strength}))
    else:
        checks.append(_na("selfie_glasses_detection", "no_landmarks"))

    attrs["document-similarity-score"] = score
    attrs["cross-pose-distance"] = cross
    return SelfieResult(checks, [float(v) for v in center_embedding] if center_embedding is not None else None,
                        score, attrs)
