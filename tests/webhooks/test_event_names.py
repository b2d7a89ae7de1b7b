"""The webhook event names the package ships (openidv/webhooks/event_names.txt, read through
importlib.resources) are exactly the vendored spec's `webhooks` keys plus openidv's own, so the two
cannot drift; a spec-only name such as `account.created` can be subscribed to."""

import subprocess
import sys
from importlib import resources
from pathlib import Path

from persona_spec import load_spec

from openidv.lifecycle.machines import MACHINES
from openidv.webhooks import service

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "event_names.py"


def _shipped() -> list[str]:
    text = resources.files("openidv.webhooks").joinpath("event_names.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_shipped_names_are_the_spec_webhooks_plus_ours() -> None:
    spec = set(load_spec("2025-12-08")["webhooks"])
    ours = {name for machine in MACHINES.values() for move in machine.values() for name in move.events}
    shipped = _shipped()
    assert len(spec) == 130
    assert shipped == sorted(set(shipped)), "event_names.txt is sorted, one name a line, no repeats"
    assert set(shipped) == spec | ours, "run scripts/event_names.py (make event-names) and commit event_names.txt"
    assert service.event_names() == frozenset(shipped)


def test_generator_check_passes() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_spec_only_event_can_be_subscribed(client, policy) -> None:
    assert "account.created" in load_spec("2025-12-08")["webhooks"]
    body = {"data": {"attributes": {"name": "accounts", "url": "http://127.0.0.1:9/hook", "enabled-events": ["account.created", "case.created"]}}}
    answer = client.post("/api/v1/webhooks", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["data"]["attributes"]["enabled-events"] == ["account.created", "case.created"]
