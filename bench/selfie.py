"""Selfie benchmark: face match rates, basic-liveness attack rates and time per three-pose selfie.

Faces: the public-domain photos that ship in packages (`openidv.testdata.selfiegen.FACES`: scikit-image's
astronaut, matplotlib's Grace Hopper) -- two identities only, so the different-person pairs are all of one
pair of people -- plus, as impostors only, the 100 low-resolution LFW crops scikit-image ships; the ID
generator's own portraits are drawings and are not used. Bona fide selfies vary
the turn (20-34 degrees), light, blur, JPEG quality, drawn-on glasses, hand shake (2-24 px) and
auto-exposure (up to 12 %) between poses; the ID portraits vary the card
kind and the JPEG quality. Attacks are made by `selfiegen` (printed photo flat or bowed, screen showing a photo, screen
playing a video that does turn, photos swapped between poses, one frame for all poses, ID card).

Each selfie is evaluated once (default preset); the presets' verdicts are replayed over the signals with
the same functions `evaluate` uses. Prints FMR / FNMR per preset, APCER per attack kind, BPCER, and wall
and CPU time per selfie.

    .venv/bin/python bench/selfie.py [--n 12] [--attacks 6] [--stages]   # --stages: CPU per stage (bench/stages.py)
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import time

import cv2
import numpy as np
from PIL import Image
from stages import print_stages, timed_stages

from openidv.checks import faces, selfie
from openidv.testdata import selfiegen as g

# Where `selfie.evaluate()` spends its CPU, stage by stage (FaceEngine's methods and the pure signals).
STAGES = {
    "decode (JPEG to RGB)": ["openidv.checks.quality:decode"],
    "face detector (BlazeFace)": ["openidv.checks.faces:FaceEngine.detect"],
    "landmarks (FaceMesh)": ["openidv.checks.faces:FaceEngine.landmarks"],
    "eyes (eye contour model)": ["openidv.checks.faces:FaceEngine.eye_openness"],
    "embeddings (dlib ResNet, in NumPy)": ["openidv.checks.faces:FaceEngine.embedding"],
    "texture (spectrum)": ["openidv.checks.liveness:periodic_texture"],
    "scene change": ["openidv.checks.liveness:scene_change"],
    "glasses, sharpness": ["openidv.checks.selfie:_glasses", "openidv.checks.quality:blur_score"],
}
ATTACKS = ("printed_photo", "curved_print", "screen_photo", "screen_video", "swapped_poses", "same_frame", "id_card")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def key(aug: dict) -> str:
    return "drawn" if aug["glasses"] else "real" if aug["name"] == "hopper" else "none"


def bona_fide(name: str, seed: int) -> tuple[bytes, bytes, bytes, dict]:
    rng = random.Random(f"{name}-{seed}")
    frame = g.frame_of(name, face_width=rng.randint(150, 230), seed=seed)
    _, points = g.locate(frame)
    aug = {"name": name, "glasses": rng.random() < 0.3, "gain": rng.uniform(0.6, 1.35), "blur": rng.choice([0, 0, 0.8, 1.5]),
           "jpeg": rng.randint(60, 95), "turn": rng.uniform(20, 34), "shake": rng.uniform(2, 24),
           "exposure": rng.uniform(0, 0.12)}
    if aug["glasses"]:
        frame = g.with_glasses(frame, points, seed)
    views = [frame, g.turn(frame, aug["turn"], points), g.turn(frame, -aug["turn"] * rng.uniform(0.85, 1.15), points)]
    out = []
    for i, v in enumerate(views):
        v = np.clip(v.astype(np.float32) * aug["gain"], 0, 255).astype(np.uint8)
        if aug["blur"]:
            v = cv2.GaussianBlur(v, (0, 0), aug["blur"])
        out.append(g.jpeg(g.camera(v, seed * 5 + i, shift=aug["shake"], gain=aug["exposure"]), aug["jpeg"]))
    return out[0], out[1], out[2], aug


def id_front(name: str, seed: int) -> bytes:
    kind = ("id_card", "passport", "drivers_license")[seed % 3]
    data = g.id_front_with_portrait(name, kind=kind, seed=seed)
    quality = (92, 75, 60)[seed % 3]
    return g.jpeg(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), quality)


def attack(kind: str, name: str, seed: int) -> tuple[bytes, bytes, bytes]:
    if kind == "printed_photo":
        return g.printed_photo(name, seed)
    if kind == "curved_print":
        return g.printed_photo(name, seed, curved=True)
    if kind == "screen_photo":
        return g.screen_replay(name, seed)
    if kind == "screen_video":
        return g.screen_replay(name, seed, video=True)
    if kind == "swapped_poses":
        return g.swapped_poses(name, seed)
    if kind == "same_frame":
        return g.same_frame(name, seed)
    return g.id_card_photo(name, seed)


def lfw_embeddings() -> list[np.ndarray]:
    """Embeddings of the 100 LFW faces scikit-image ships (25x25 gray crops, upscaled): more different
    people than the two public-domain photos, at a resolution under the quality floor, so the hardest
    kind of portrait to tell apart. Used here only, never shipped."""
    from skimage import data

    eng = faces.engine()
    out = []
    for crop in data.lfw_subset()[:100]:
        big = cv2.resize((crop * 255).astype(np.uint8), (200, 200), interpolation=cv2.INTER_CUBIC)
        rgb = np.ascontiguousarray(np.stack([cv2.copyMakeBorder(big, 100, 100, 100, 100, cv2.BORDER_REPLICATE)] * 3, -1))
        found = eng.detect(rgb, small_faces=True)
        if found:
            out.append(eng.embedding(rgb, found[0], eng.landmarks(rgb, found[0])[0]))
    return out


def replay(result: selfie.SelfieResult, t: selfie.Thresholds) -> bool:
    """Would this selfie pass liveness (and the checks an attack must also beat) under thresholds t?"""
    a = result.attributes
    pose = selfie.pose_reasons(a["yaw"], t, True)
    repeat = result.check("selfie_pose_repeat_detection")["status"] == "failed"
    switched = any(d > t.cross_pose_distance for d in a["cross-pose-distance"].values())
    reasons = selfie.liveness_reasons(a["liveness-signals"], t, profiles=True, pose=pose, repeat=repeat,
                                      switched=switched, face=bool(a["yaw"]))
    suspicious = result.check("selfie_suspicious_entity_detection")["status"] == "failed"
    return not reasons and not suspicious


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=12, help="bona fide selfies per person")
    ap.add_argument("--attacks", type=int, default=6, help="attacks per kind per person")
    ap.add_argument("--stages", action="store_true", help="print the CPU time of each stage of the bona fide selfies")
    args = ap.parse_args()
    faces.engine()
    selfie.evaluate(selfie.SelfieEvidence([g.jpeg(g.frame_of("astronaut"))]), selfie.SelfieSettings(kind="center-only"))

    ids = {(n, s): faces.engine().embedding(*_face(id_front(n, s))) for n in g.FACES for s in range(6)}
    lfw = lfw_embeddings()
    walls, cpus, genuine, impostor, bona, worst, crowd = [], [], [], [], [], [], []
    stage_totals: dict[str, float] = {}
    for name in g.FACES:
        for seed in range(args.n):
            c, left, right, aug = bona_fide(name, seed)
            portrait = id_front(name, seed % 6)
            with timed_stages(STAGES if args.stages else {}) as stage_cpu:
                t0, c0 = time.perf_counter(), _cpu()
                r = selfie.evaluate(selfie.SelfieEvidence([c], [left], [right], id_portrait=portrait))
                walls.append(time.perf_counter() - t0)
                cpus.append(_cpu() - c0)
            for stage, seconds in stage_cpu.items():
                stage_totals[stage] = stage_totals.get(stage, 0.0) + seconds
            bona.append((r, aug))
            if r.embedding is None:
                genuine.extend([9.0] * 6)
                continue
            crowd.extend(faces.distance(r.embedding, e) for e in lfw)
            for (n, s), e in ids.items():
                (genuine if n == name else impostor).append(faces.distance(r.embedding, e))
                if n == name:
                    worst.append((genuine[-1], name, ("id_card", "passport", "drivers_license")[s % 3], aug))
    attacks: dict[str, list[selfie.SelfieResult]] = {k: [] for k in ATTACKS}
    for kind in ATTACKS:
        for name in g.FACES:
            for seed in range(args.attacks):
                c, left, right = attack(kind, name, 100 + seed)
                attacks[kind].append(selfie.evaluate(selfie.SelfieEvidence([c], [left], [right])))

    print(f"set: {len(g.FACES)} identities, {len(bona)} bona fide three-pose selfies, {len(genuine)} same-person and "
          f"{len(impostor)} different-person pairs (selfie center vs ID portrait), "
          f"{sum(map(len, attacks.values()))} attacks")
    print(f"distances: same-person max {max(genuine):.3f} median {statistics.median(genuine):.3f}; "
          f"different-person min {min(impostor):.3f} median {statistics.median(impostor):.3f}")
    print(f"low-resolution impostors: {len(lfw)} LFW faces x {len(bona)} selfies = {len(crowd)} pairs, "
          f"min distance {min(crowd):.3f} median {statistics.median(crowd):.3f}")
    for d, name, kind, aug in sorted(worst, key=lambda w: -w[0])[:4]:
        print(f"  farthest same-person pair: {d:.3f} {name} vs {kind} portrait,",
              {k: round(v, 2) if isinstance(v, float) else v for k, v in aug.items()})
    print(f"{'preset':8} {'FMR':>7} {'FMR-LFW':>7} {'FNMR':>7} {'BPCER':>7} " + " ".join(f"{k:>14}" for k in ATTACKS))
    for preset, t in selfie.PRESETS.items():
        fmr = sum(d <= t.match_distance for d in impostor) / len(impostor)
        fnmr = sum(d > t.match_distance for d in genuine) / len(genuine)
        bpcer = sum(not replay(r, t) for r, _ in bona) / len(bona)
        apcer = {k: sum(replay(r, t) for r in rs) / len(rs) for k, rs in attacks.items()}
        fmr_lfw = sum(d <= t.match_distance for d in crowd) / len(crowd)
        print(f"{preset:8} {fmr:7.2%} {fmr_lfw:7.2%} {fnmr:7.2%} {bpcer:7.2%} " + " ".join(f"{apcer[k]:14.2%}" for k in ATTACKS))
    def spread(results: list[selfie.SelfieResult]) -> str:
        sig = [r.attributes["liveness-signals"] for r in results]
        tex = [max(x["texture"].values(), default=0) for x in sig]
        par = [min(x.get("parallax", {}).values(), default=0) for x in sig]
        scn = [max(x.get("scene-change", {}).values(), default=0) for x in sig]
        yaw = [min((abs(v) for k, v in r.attributes["yaw"].items() if k != "center"), default=0) for r in results]
        sharp = [min(p["sharpness"] for p in r.check("selfie_image_quality_detection")["metadata"]["poses"].values())
                 for r in results if r.check("selfie_image_quality_detection")["metadata"]["poses"]]
        return (f"texture {min(tex):.2f}-{max(tex):.2f} parallax {min(par):.3f}-{max(par):.3f} "
                f"sharpness {min(sharp, default=0):.1f}-{max(sharp, default=0):.1f} "
                f"scene {min(scn):.1f}-{max(scn):.1f} profile-yaw {min(yaw):.2f}-{max(yaw):.2f}")

    print("signals  bona fide:", spread([r for r, _ in bona]))
    for kind, rs in attacks.items():
        print(f"signals  {kind}:", spread(rs))
    t = selfie.PRESETS["default"]
    rejected = [(r.check("selfie_liveness_detection")["reasons"], aug) for r, aug in bona if not replay(r, t)]
    for reasons, aug in rejected[:5]:
        print("  bona fide rejected at default:", reasons, {k: round(v, 2) if isinstance(v, float) else v for k, v in aug.items()})
    for preset in selfie.PRESETS:
        if preset == "default":
            bad = sum(r.check("selfie_image_quality_detection")["status"] == "failed" for r, _ in bona)
            print(f"image quality (default): {bad}/{len(bona)} bona fide selfies rejected")
    # Grace Hopper wears glasses in her photo; the astronaut does not.
    found = {k: [r.check("selfie_glasses_detection")["status"] == "failed" for r, aug in bona if key(aug) == k]
             for k in ("drawn", "real", "none")}
    print(f"glasses (default): found on {sum(found['drawn'])}/{len(found['drawn'])} faces with drawn glasses, "
          f"{sum(found['real'])}/{len(found['real'])} with real ones (Hopper), {sum(found['none'])}/{len(found['none'])} without")
    q = statistics.quantiles(walls, n=20)
    qc = statistics.quantiles(cpus, n=20)
    if args.stages:
        print_stages(stage_totals, len(cpus), sum(cpus), f"stage ({len(cpus)} bona fide selfies with ID portrait)")
    print(f"time per three-pose selfie with ID portrait: wall median {statistics.median(walls):.2f} s p95 {q[18]:.2f} s; "
          f"CPU median {statistics.median(cpus):.2f} s p95 {qc[18]:.2f} s")


def _face(data: bytes) -> tuple[np.ndarray, faces.Face, np.ndarray]:
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    face = faces.engine().detect(rgb, small_faces=True)[0]
    return rgb, face, faces.engine().landmarks(rgb, face)[0]


if __name__ == "__main__":
    main()
