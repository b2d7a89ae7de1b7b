"""Whatever bytes arrive, intake either accepts or raises DocumentRejected, and reading never raises:
a broken file becomes a failed check, never a crash in a job. Truncated and bit-flipped copies of real
papers, and arbitrary text for the parsers."""

import random
from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st

from openidv.checks import document as engine
from openidv.testdata import docgen

BILL = docgen.make("utility_bill", issued=date(2026, 11, 20)).data


def _mangled(seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(BILL)
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data[: rng.randint(len(data) // 2, len(data))])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000))
def test_damaged_pdfs_are_refused_or_read_without_raising(seed: int) -> None:
    data = _mangled(seed)
    try:
        engine.check_upload(data)
    except engine.DocumentRejected as exc:
        assert str(exc)
    result = engine.evaluate([(data, engine.PDF)], engine.Settings(), {"name-last": "Doe"}, today=date(2026, 12, 2))
    assert {c["status"] for c in result.checks} <= {"passed", "failed", "not_applicable"}


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(max_size=400))
def test_parsers_take_any_text(text: str) -> None:
    lines = text.splitlines()
    engine.dates_in(text)
    engine.classify(text)
    found = engine.addresses(lines)
    engine.names(lines, found)
    engine.match_address(found, {"address-street-1": "1 Main St", "address-postal-code": "12345"})
    engine.find_claimed_address(lines, {"address-street-1": "1 Main St", "address-postal-code": "12345"})
