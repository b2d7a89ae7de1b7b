"""Definitions: the README's worked examples parse; bad ones are refused with every problem at its line."""

import re
from pathlib import Path

import pytest

from openidv.workflows.definition import DefinitionError, parse_definition
from openidv.workflows.starters import ON_COMPLETED, ON_FAILED

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def _examples() -> list[str]:
    section = README[README.index("## Workflows"):README.index("## Reviewer dashboard")]
    return [m.group(2) for m in re.finditer(r"```(yaml|json)\n(.*?)```", section, re.S) if "trigger:" in m.group(2) or '"trigger"' in m.group(2)]


def test_the_readme_examples_and_the_starters_parse() -> None:
    examples = _examples()
    assert len(examples) == 3  # the format's sketch and the two worked examples
    for text in [*examples[1:], ON_COMPLETED, ON_FAILED]:
        definition = parse_definition(text)
        assert definition.steps
    assert examples[1].strip() == ON_COMPLETED.strip()  # the README shows the starter as installed
    api = parse_definition(examples[2])
    assert api.trigger_type == "api" and [i["name"] for i in api.inputs] == ["inquiry-id", "score"]


@pytest.mark.parametrize(("text", "expected"), [
    ("trigger: {event: inquiry.completed}\nsteps:\n  - name: a\n    action: approve\n    with: {coment: x}\n", [(5, "unknown key")]),
    ("trigger: {event: inquiry.completed}\nsteps:\n  - name: a\n    action: approve\n  - name: a\n    if: 'foo == 1'\n    action: decline\n",
     [(5, "used by an earlier step"), (6, "unknown variable foo")]),
    ("trigger: {event: inquiry.completed}\nsteps:\n  - name: a\n    if: 'inquiry.status =='\n    action: approve\n", [(4, "not a valid CEL expression")]),
    ("trigger: {event: inquiry.completed, schedule: {every-minutes: 5}}\nsteps: [{name: a, action: approve}]\n", [(1, "exactly one of")]),
    ("trigger: {schedule: {every-minutes: 5}, if: 'true'}\nsteps: [{name: a, action: approve}]\n", [(1, "only an event trigger")]),
    ("trigger: {event: workflow-run.errored}\nsteps: [{name: a, action: approve}]\n", [(1, "cannot start runs")]),
    ("trigger: {event: inquiry.completed}\nsteps: []\n", [(2, "non-empty")]),
    ("trigger: {event: inquiry.completed}\nsteps:\n  - {name: w, action: wait, with: {seconds: soon}}\n", [(3, "not of type 'integer'")]),
    ("trigger: [\n", [(2, "not valid YAML or JSON")]),
    ("just text", [(1, "must be a mapping")]),
    ("", [(None, "empty")]),
])
def test_bad_definitions_name_their_lines(text: str, expected: list[tuple[int | None, str]]) -> None:
    with pytest.raises(DefinitionError) as raised:
        parse_definition(text)
    errors = raised.value.errors
    assert len(errors) == len(expected), errors
    for (line, message), (want_line, fragment) in zip(errors, expected, strict=True):
        assert line == want_line and fragment in message, errors
