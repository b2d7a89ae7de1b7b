"""A workflow's definition: YAML or JSON text, checked against a JSON Schema and its conditions compiled as CEL.

    trigger: {event: inquiry.completed, if: 'inquiry.tags.exists(t, t == "vip")'}   # or {schedule: {every-minutes: 60}}
    steps:                                                                          # or {api: {fields: {...}}}
      - name: screen
        action: run-report
        with: {report-template: Watchlist}
      - name: approve
        if: "!report.has_match"
        action: approve
        with: {comment: No watchlist match}

Every error names the line it is on (for the dashboard's editor), and a definition that parses is safe to run:
conditions are Common Expression Language (the `cel` package), never Python's eval.
"""

import re
from dataclasses import dataclass, field
from typing import Any

import cel
import jsonschema
import yaml

_TAGS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1, "maxLength": 255}}
# What a condition may read (the activation `activation.build` makes for a run).
VARIABLES = ("inquiry", "verifications", "reports", "report", "account", "trigger", "steps", "case")

ACTIONS: dict[str, dict[str, Any]] = {
    # action -> the JSON Schema of its `with`
    "approve": {"properties": {"comment": {"type": "string", "maxLength": 2000}}},
    "decline": {"properties": {"comment": {"type": "string", "maxLength": 2000}}},
    "mark-for-review": {"properties": {"comment": {"type": "string", "maxLength": 2000}}},
    "add-tags": {"required": ["tags"], "properties": {"tags": _TAGS}},
    "remove-tags": {"required": ["tags"], "properties": {"tags": _TAGS}},
    "update-fields": {"required": ["fields"], "properties": {"fields": {"type": "object", "minProperties": 1}}},
    "update-account": {"properties": {"fields": {"type": "object"}, "add-tags": {"type": "array", "items": {"type": "string", "minLength": 1}},
                                      "remove-tags": {"type": "array", "items": {"type": "string", "minLength": 1}}}, "minProperties": 1},
    "run-report": {"required": ["report-template"], "properties": {"report-template": {"type": "string", "minLength": 1, "maxLength": 255},
                                                                    "timeout-seconds": {"type": "integer", "minimum": 1, "maximum": 2592000}}},
    "create-case": {"properties": {"case-template": {"type": "string"}, "name": {"type": "string", "maxLength": 255},
                                   "comment": {"type": "string", "maxLength": 2000}}},
    "wait-for-event": {"required": ["event"], "properties": {"event": {"type": "string", "pattern": r"^[a-z][a-z0-9/_.-]*$"},
                                                             "timeout-seconds": {"type": "integer", "minimum": 1, "maximum": 2592000}}},
    "wait": {"required": ["seconds"], "properties": {"seconds": {"type": "integer", "minimum": 1, "maximum": 2592000}}},
    "send-email": {"required": ["subject", "body"], "properties": {"to": {"type": "string", "format": "email", "maxLength": 320},
                                                                   "to-field": {"type": "string"}, "subject": {"type": "string", "maxLength": 200},
                                                                   "body": {"type": "string", "maxLength": 20000}}},
    "call-http": {"required": ["url"], "properties": {"url": {"type": "string", "pattern": "^https?://", "maxLength": 2000},
                                                      "method": {"enum": ["POST", "PUT", "PATCH", "GET"]},
                                                      "headers": {"type": "object", "additionalProperties": {"type": "string"}}}},
}
# Actions that act on the run's inquiry (a run on something else errors at them).
INQUIRY_ACTIONS = ("approve", "decline", "mark-for-review", "add-tags", "remove-tags", "update-fields", "update-account", "run-report", "create-case")

_NAME = {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]{0,99}$"}
_FIELD_TYPES = ["string", "number", "integer", "boolean", "object", "array"]
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["trigger", "steps"],
    "properties": {
        "name": {"type": "string", "maxLength": 255},
        "description": {"type": "string", "maxLength": 2000},
        "trigger": {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                # an event (never a run's own, which would start runs for ever) and an optional condition on it
                "event": {"type": "string", "pattern": r"^(?!workflow-run\.)[a-z][a-z0-9/_.-]*$"},
                "if": {"type": "string", "minLength": 1},
                "schedule": {"type": "object", "additionalProperties": False, "required": ["every-minutes"],
                             "properties": {"every-minutes": {"type": "integer", "minimum": 1, "maximum": 525600}}},
                "api": {"type": "object", "additionalProperties": False, "properties": {"fields": {
                    "type": "object", "additionalProperties": {"type": "object", "additionalProperties": False, "required": ["type"],
                                                               "properties": {"type": {"enum": _FIELD_TYPES}, "required": {"type": "boolean"}}}}}},
            },
            "oneOf": [{"required": ["event"]}, {"required": ["schedule"]}, {"required": ["api"]}],
        },
        "steps": {
            "type": "array", "minItems": 1, "maxItems": 50,
            "items": {
                "type": "object", "additionalProperties": False, "required": ["name", "action"],
                "properties": {"name": _NAME, "action": {"enum": sorted(ACTIONS)}, "if": {"type": "string", "minLength": 1},
                               "with": {"type": "object"}, "end": {"type": "boolean"}},
            },
        },
    },
}
_BOUND = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@dataclass(frozen=True)
class Step:
    name: str
    action: str
    params: dict[str, Any]
    condition: str | None = None
    end: bool = False  # the run completes after this step when it ran (not when its condition skipped it)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "action": self.action, "with": self.params}
        if self.condition is not None:
            out["if"] = self.condition
        if self.end:
            out["end"] = True
        return out


@dataclass(frozen=True)
class Definition:
    trigger: dict[str, Any]
    steps: tuple[Step, ...]
    name: str | None = None
    description: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def trigger_type(self) -> str:
        return next(kind for kind in ("event", "schedule", "api") if kind in self.trigger)

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The API trigger's fields, as Persona's workflow version `inputs` lists them."""
        fields = (self.trigger.get("api") or {}).get("fields") or {}
        return [{"name": name, "type": spec["type"], "required": bool(spec.get("required"))} for name, spec in fields.items()]

    def as_dict(self) -> dict[str, Any]:
        return self.raw


class DefinitionError(ValueError):
    """`errors`: (line number or None, message), in the order of the text."""

    def __init__(self, errors: list[tuple[int | None, str]]) -> None:
        self.errors = sorted(errors, key=lambda e: (e[0] is None, e[0] or 0))
        super().__init__("; ".join(f"line {line}: {message}" if line else message for line, message in self.errors))


def _line_of(node: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of the value at `path` in the composed YAML tree (the nearest parent's when it is absent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
            if found is None:
                break
            node, line = found[1], found[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _message(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "the definition"
    if error.validator == "additionalProperties":
        return f"{where}: {error.message.replace('Additional properties are not allowed', 'unknown key(s)')}"
    if error.validator == "oneOf" and list(error.absolute_path) == ["trigger"]:
        return "trigger: give exactly one of event, schedule or api"
    if error.validator == "pattern" and list(error.absolute_path) == ["trigger", "event"]:
        return "trigger/event: an event name such as inquiry.completed (a workflow run's own events cannot start runs)"
    return f"{where}: {error.message}"


def compile_condition(text: str) -> str | None:
    """None when `text` is a CEL expression over the known variables, else the error."""
    try:
        program = cel.compile(text)
    except (ValueError, RuntimeError) as exc:  # the parser's message ends with a caret drawing; the first line says it
        return f"not a valid CEL expression: {str(exc).splitlines()[0]}"
    bound = set(_BOUND.findall(text))  # a macro's own variable (`v` in `verifications.exists(v, ...)`)
    unknown = sorted({name.split(".")[0] for name in program.variables()} - set(VARIABLES) - bound)
    if unknown:
        return f"unknown variable {unknown[0]} (known: {', '.join(VARIABLES)})"
    return None


def parse_definition(text: str) -> Definition:
    """Parse YAML or JSON text into a checked `Definition`; raise `DefinitionError` listing every problem at its line."""
    if not text or not text.strip():
        raise DefinitionError([(None, "the definition is empty")])
    if len(text) > 200_000:
        raise DefinitionError([(None, "the definition is longer than 200,000 characters")])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([(mark.line + 1 if mark is not None else None, f"not valid YAML or JSON: {problem}")]) from None
    if not isinstance(data, dict):
        raise DefinitionError([(1, "the definition must be a mapping with trigger and steps")])
    errors = [(_line_of(node, list(e.absolute_path)), _message(e)) for e in _VALIDATOR.iter_errors(data)]
    if errors:
        raise DefinitionError(errors)
    steps, seen = [], set()
    for index, raw in enumerate(data["steps"]):
        params = raw.get("with") or {}
        schema = {"type": "object", "additionalProperties": False, **ACTIONS[raw["action"]]}
        for e in jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).iter_errors(params):
            path = ["steps", index, "with", *e.absolute_path]
            errors.append((_line_of(node, path), f"steps/{index}/with ({raw['action']}): {_message(e).split(': ', 1)[-1]}"))
        if raw["name"] in seen:
            errors.append((_line_of(node, ["steps", index, "name"]), f"steps/{index}/name: {raw['name']} is used by an earlier step"))
        seen.add(raw["name"])
        if "if" in raw and (problem := compile_condition(raw["if"])):
            errors.append((_line_of(node, ["steps", index, "if"]), f"steps/{index}/if: {problem}"))
        steps.append(Step(raw["name"], raw["action"], params, raw.get("if"), bool(raw.get("end"))))
    if "if" in data["trigger"] and (problem := compile_condition(data["trigger"]["if"])):
        errors.append((_line_of(node, ["trigger", "if"]), f"trigger/if: {problem}"))
    if "if" in data["trigger"] and "event" not in data["trigger"]:
        errors.append((_line_of(node, ["trigger", "if"]), "trigger/if: only an event trigger takes a condition"))
    if errors:
        raise DefinitionError(errors)
    return Definition(trigger=data["trigger"], steps=tuple(steps), name=data.get("name"), description=data.get("description"), raw=data)


def from_raw(data: dict[str, Any]) -> Definition:
    """A definition stored after `parse_definition` checked it (a version's `definition` column)."""
    steps = tuple(Step(raw["name"], raw["action"], raw.get("with") or {}, raw.get("if"), bool(raw.get("end"))) for raw in data["steps"])
    return Definition(trigger=data["trigger"], steps=steps, name=data.get("name"), description=data.get("description"), raw=data)


_published: dict[str, Definition] = {}  # published versions never change: parsed once per process


def definition_of(version: Any) -> Definition:
    if version.status != "published":
        return from_raw(version.definition)
    found = _published.get(version.id)
    if found is None:
        if len(_published) >= 1000:  # bounded: versions a process no longer runs are parsed again if ever needed
            _published.clear()
        found = _published[version.id] = from_raw(version.definition)
    return found
