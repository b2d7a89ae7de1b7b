"""The issue-7 checks one by one, on generated documents and pure inputs: screen moiré, the face
on the card (real faces from the selfie test data, a blanked portrait), the perceptual hash and its
band index, valid dates, the visual zone read without an MRZ or barcode, and `apply_history`."""

import io
from datetime import date, timedelta

import numpy as np
import pytest
from PIL import Image

from openidv.checks import image_hash, quality, replica, visual_zone
from openidv.checks.government_id import History, Result, _valid_dates, apply_history
from openidv.checks.portrait import find_portrait
from openidv.testdata.idgen import DISTORTIONS, distort, make


def rgb_of(image: Image.Image, q: int = 90) -> np.ndarray:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=q)
    return quality.decode(buf.getvalue()).rgb


@pytest.mark.parametrize("kind", ["passport", "id_card", "drivers_license"])
def test_screen_photos_score_above_every_printed_distortion(kind: str) -> None:
    card = make(kind, 41)
    printed = [replica.moire_score(rgb_of(distort(card.front, name, 41))) for name in DISTORTIONS]
    screen = replica.moire_score(rgb_of(make(kind, 41, "screen_photo").front))
    assert max(printed) < replica.THRESHOLD <= screen, (printed, screen)


def test_portrait_found_on_real_and_drawn_faces_not_on_a_blank() -> None:
    from openidv.testdata import selfiegen

    real = np.asarray(Image.open(io.BytesIO(selfiegen.id_front_with_portrait("hopper", kind="passport", seed=3))).convert("RGB"))
    drawn = np.asarray(make("id_card", 42).front)
    blank = drawn.copy()
    blank[60:420, 20:300] = blank[10, 700]
    found_real, found_drawn = find_portrait(real), find_portrait(drawn)
    assert found_real is not None and found_real.score > 0.9
    x, y, w, h = found_drawn.box  # type: ignore[union-attr]
    assert 30 <= x + w / 2 <= 280 and 80 <= y + h / 2 <= 390  # on the pasted portrait
    assert find_portrait(blank) is None


def test_hash_bands_find_every_near_hash() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        a = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
        flips = rng.choice(64, size=image_hash.MAX_DISTANCE, replace=False)
        b = a
        for bit in flips:
            b ^= 1 << int(bit)
        assert image_hash.distance(a, b) == image_hash.MAX_DISTANCE
        assert set(image_hash.bands(a)) & set(image_hash.bands(b))  # the index always finds it
    gray = np.asarray(make("passport", 43).front.convert("L"))
    assert image_hash.to_hex(image_hash.phash(gray)) == f"{image_hash.phash(gray):016x}"


def test_valid_dates_rules() -> None:
    today = date(2026, 12, 2)
    ok = _valid_dates({"birthdate": date(1990, 1, 1), "issue-date": date(2020, 1, 1), "expiration-date": date(2030, 1, 1)}, today)
    assert ok["status"] == "passed" and ok["metadata"]["dates-checked"] == ["birthdate", "issue-date", "expiration-date"]
    bad = _valid_dates({"birthdate": date(2000, 1, 1), "issue-date": date(1999, 1, 1), "expiration-date": today + timedelta(days=365 * 30)}, today)
    assert bad["status"] == "failed" and bad["reasons"] == ["issued_before_birth", "expiry_too_far"]
    future = _valid_dates({"birthdate": today + timedelta(days=3), "issue-date": today + timedelta(days=10)}, today)
    assert set(future["reasons"]) == {"implausible_birthdate", "issued_in_future"}
    assert _valid_dates({}, today)["status"] == "not_applicable"


def test_visual_zone_alone_extracts_the_printed_fields() -> None:
    """A TD1 front without its back: no MRZ, no barcode, the labelled fields are read."""
    sample = make("id_card", 44)
    fields = visual_zone.extract(np.asarray(sample.front))
    t = sample.truth
    assert fields["identification-number"] == t["identification-number"]
    assert fields["birthdate"] == t["birthdate"] and fields["expiration-date"] == t["expiration-date"]
    assert (fields["name-last"], fields["name-first"]) == (t["name-last"], t["name-first"])
    shown = visual_zone.confirm(np.asarray(sample.front), {"name-last": t["name-last"], "birthdate": t["birthdate"]})
    assert shown.missing == [] and shown.boxes_read <= 8
    other = visual_zone.confirm(np.asarray(sample.front), {"name-last": "QUIXOTEVSKY"})
    assert other.missing == ["name-last"]


def test_apply_history_fills_repeat_and_seen_before() -> None:
    base = Result(checks=[{"name": "id_repeat_detection", "status": "not_applicable", "reasons": ["not_enabled"], "requirement": "not_required",
                           "metadata": {}},
                          {"name": "id_compromised_detection", "status": "passed", "reasons": [], "requirement": "required", "metadata": {}}],
                  attributes={"identification-number": "X1234567", "name-last": "NOVAK"}, portrait_hash=5)
    clean = apply_history(base, History())
    assert [c["status"] for c in clean.checks] == ["passed", "passed"]
    seen = apply_history(base, History(same_number=["ver_a"], same_portrait=[("ver_b", 2)]))
    repeat, compromised = seen.checks
    assert repeat["reasons"] == ["repeat_identification_number"] and repeat["metadata"]["matching-verification-ids"] == ["ver_a"]
    assert compromised["reasons"] == ["image_seen_before"] and compromised["metadata"]["portrait-hash-distances"] == [2]
    specimen = apply_history(Result(checks=[], attributes={"name-last": "Mustermann", "name-first": "Erika", "identification-number": "T22000129"}),
                             History())
    assert next(c for c in specimen.checks if c["name"] == "id_compromised_detection")["reasons"] == ["specimen_document"]
