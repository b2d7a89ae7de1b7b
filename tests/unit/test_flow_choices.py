"""The government-ID step's choices (openidv/flow/choices.py) and the retry reasons in plain words (i18n)."""

import re
from pathlib import Path

from openidv.flow.i18n import CATALOGUE, Translator, reason_key
from openidv.inquiry_templates.config import ID_CLASSES
from openidv.verifications.government_id import choices

CHECKS = Path(__file__).resolve().parents[2] / "openidv" / "checks"


def test_every_id_class_has_a_name_in_every_language_and_a_tile_place() -> None:
    for language in CATALOGUE:
        names = choices.NAMES[language]
        assert set(names) == set(ID_CLASSES)
        assert all(name and name.lower() != code for code, name in names.items())
    assert sorted(choices.ORDER) == sorted(ID_CLASSES)
    assert choices.id_class_name("dl", "en") == "Driver's licence" and choices.id_class_name("pp", "es") == "Pasaporte"


def test_country_specific_classes_only_for_their_country() -> None:
    philippines = choices.id_classes("PH")
    assert {"nbi", "umid", "sss", "pid", "ofw"} <= set(philippines) and "myn" not in philippines
    assert "myn" in choices.id_classes("JP") and "pan" in choices.id_classes("IN")
    assert "nric" in choices.id_classes("SG") and "nric" in choices.id_classes("MY")
    germany = choices.id_classes("DE")
    assert germany[:3] == ["pp", "dl", "id"]
    assert not {"nbi", "umid", "sss", "myn", "nric", "pan", "munid", "ppc"} & set(germany)
    assert choices.id_classes("DE", ["pp", "nbi"]) == ["pp"]  # within the template's list
    assert len(choices.id_classes(None)) == len(ID_CLASSES)  # no country yet: everything


def test_countries_are_named_sorted_in_the_language_and_restricted_to_the_template() -> None:
    english, spanish = dict(choices.countries("en")), dict(choices.countries("es"))
    assert english["DE"] == "Germany" and spanish["DE"] == "Alemania" and spanish["US"] == "Estados Unidos"
    names = [name for _code, name in choices.countries("es")]
    assert names.index("Alemania") < names.index("Austria") < names.index("Österreich" if "Österreich" in names else "Zambia")
    assert names.index("Islandia") < names.index("Japón")  # ICU collation, not byte order ("Í" before "J")
    assert choices.countries("en", ["us", "DE"]) == [("DE", "Germany"), ("US", "United States")]
    assert "XX" not in english and len(english) == 249


def test_problem_refuses_unknown_or_unlisted_countries_and_foreign_classes() -> None:
    assert choices.problem("XX", "pp") == ("country", "country.invalid")
    assert choices.problem("", "pp") == ("country", "country.invalid")
    assert choices.problem("FR", "pp", allowed_countries=["DE"]) == ("country", "country.invalid")
    assert choices.problem("US", "nbi") == ("id-class", "idclass.invalid")
    assert choices.problem("US", None) == ("id-class", "idclass.invalid")
    assert choices.problem("de", "dl", allowed_countries=["DE"]) is None
    assert choices.problem("PH", "nbi") is None


def _reasons_the_checks_produce() -> set[str]:
    """Every literal reason in the government-ID and selfie engines (`reasons=[...]`, `reasons.append(...)`,
    `bad.append(...)`), with the pose- and source-templated ones spelt out."""
    found: set[str] = set()
    for name in ("government_id.py", "selfie.py"):
        for line in (CHECKS / name).read_text().splitlines():
            for part in re.findall(r"(?:reasons=|reasons\.append\(|bad\.append\(|reasons = ).*", line):
                found.update(r for r in re.findall(r'"([a-z_]+)"', part.split("metadata=")[0])
                             if not r.endswith(("_detection", "_comparison")))
    for pose in ("center", "left", "right"):
        found.update(f"{pose}_{what}" for what in ("missing", "unreadable", "face_not_found", "face_too_small", "blurry",
                                                    "multiple_faces", "different_face"))
    found.update({"barcode_not_decoded", "barcode_not_detected", "check_digit_3", "front_mrz_mismatch", "front_barcode_mismatch",
                  "low_liveness_confidence", "no_selfie_face"})
    not_failures = {"disabled", "single_sided", "no_dates", "not_enabled", "missing_identification_number", "no_inquiry",
                    "center_only", "no_government_id", "no_account_selfie_present", "no_landmarks",
                    "center", "pp", "reasons"}  # a pose, an id class and a key on the same lines
    return found - not_failures


def test_every_reason_the_checks_produce_reads_in_plain_words_in_both_languages() -> None:
    reasons = _reasons_the_checks_produce()
    assert {"too_blurry", "too_much_glare", "expired", "profile_pose_not_turned", "face_mismatch", "issued_in_future"} <= reasons
    missing = sorted(r for r in reasons if f"reason.{reason_key(r)}" not in CATALOGUE["en"])
    assert missing == []
    for language in CATALOGUE:
        assert all(f"reason.{reason_key(r)}" in CATALOGUE[language] for r in reasons)


def test_retry_reasons_are_deduplicated_after_translation() -> None:
    t = Translator("en")
    texts = t.reasons(["center_blurry", "left_blurry", "right_blurry", "low_liveness_confidence", "screen_or_print_texture",
                       "flat_motion", "made_up_1", "made_up_2"])
    assert texts == [
        "The picture is blurry. Hold still and make sure it is in focus.",
        "Take the selfie yourself, live in front of the camera. Pictures of photos or screens are not accepted.",
        "Something about the picture was not right.",
    ]
    assert Translator("es").reasons(["too_much_glare", "glare"]) == ["Hay reflejos en tu cara. Aléjate de la luz directa.",
                                                                     "La foto tiene reflejos. Aléjate de la luz directa."]
