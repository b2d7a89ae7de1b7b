"""`kit.db.fill_defaults`: a new object carries its INSERT's Python-side defaults before any flush, so the events
that `lifecycle.create` records render what will be written (they no longer wait for a flush of their own)."""

from openidv.kit.db import fill_defaults
from openidv.models import Report, Verification


def test_unset_columns_get_their_defaults_and_given_values_stay() -> None:
    verification = Verification(id="ver_1", environment_id="env_1", kind="verification/selfie", tags=["kept"])
    assert verification.status is None and verification.created_at is None and verification.checks is None
    fill_defaults(verification)
    assert verification.status == "initiated"
    assert verification.created_at is not None and verification.created_at.tzinfo is not None
    assert verification.checks == [] and verification.tags == ["kept"]
    assert verification.completed_at is None  # no default: left alone


def test_a_false_or_zero_default_is_set_and_an_explicit_value_is_not_replaced() -> None:
    report = Report(id="rep_1", environment_id="env_1", kind="report/watchlist", status="ready")
    fill_defaults(report)
    assert report.status == "ready" and report.has_match is False and report.run_count == 0 and report.continuous is False
