"""JSON:API envelope helpers: resource objects, relationships, request bodies, pages, include, fields[]."""

import fnmatch
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from openidv.kit.errors import ApiError, bad_request
from openidv.kit.inflection import inflect_key, kebab_keys


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """Compact JSON bytes through orjson (several times faster than json.dumps, which every answer and sealed value
    went through); json.dumps for what orjson refuses (an integer beyond 64 bits, a key that is not a string)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"), sort_keys=sort_keys).encode()


def loads(data: bytes | str) -> Any:
    """JSON that openidv wrote itself (`dumps`), through orjson; json.loads for what orjson cannot read (big integers)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def resource(kind: str, object_id: str, attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": kind, "id": object_id, "attributes": attributes}
    if relationships is not None:
        body["relationships"] = relationships
    return body


def ref(kind: str, object_id: str | None) -> dict[str, Any]:
    return {"data": {"type": kind, "id": object_id} if object_id else None}


def refs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {"data": [{"type": kind, "id": object_id} for kind, object_id in pairs]}


# ---------------------------------------------------------------- request bodies


MAX_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _check_plain(value: Any) -> None:
    """Refuse what JSON allows but storage and answers cannot carry: deep nesting, NUL characters."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise bad_request(f"Request body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            if "\x00" in item:
                raise bad_request("Request body strings must not contain NUL characters")
        elif isinstance(item, dict):
            stack += [(k, depth) for k in item] + [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise bad_request(f"Request body is nested deeper than {MAX_DEPTH} levels") from None
    _check_plain(value)
    return kebab_keys(value)


@dataclass
class Body:
    """A request body normalised to kebab keys, with typed accessors that answer 400 on bad input."""

    raw: dict[str, Any]

    @classmethod
    def of(cls, value: Any) -> "Body":
        if not isinstance(value, dict):
            raise bad_request("Request body must be a JSON object")
        return cls(value)

    def section(self, name: str) -> dict[str, Any]:
        """`data.attributes` → section("attributes"); `meta` → section("meta")."""
        if name == "meta":
            value = self.raw.get("meta")
            where = "meta"
        else:
            data = self.raw.get("data")
            if data is None:
                return {}
            if not isinstance(data, dict):
                raise bad_request("data must be an object")
            value = data.get(name)
            where = f"data.{name}"
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise bad_request(f"{where} must be an object")
        return value

    @property
    def attributes(self) -> dict[str, Any]:
        return self.section("attributes")

    @property
    def meta(self) -> dict[str, Any]:
        return self.section("meta")


def get_str(section: dict[str, Any], key: str, where: str, *, required: bool = False, max_length: int = 10_000) -> str | None:
    value = section.get(key)
    if value is None:
        if required:
            raise bad_request(f"{where}.{key} is missing")
        return None
    if not isinstance(value, str):
        raise bad_request(f"{where}.{key} must be a string")
    if len(value) > max_length:
        raise bad_request(f"{where}.{key} is too long (at most {max_length} characters)")
    return value


def get_bool(section: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{where}.{key} must be a boolean")
    return value


MAX_SECONDS = 10 * 365 * 86400  # interval settings beyond ten years are mistakes (and overflow dates)


def get_int(section: dict[str, Any], key: str, where: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = section.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{where}.{key} must be an integer")
    if minimum is not None and value < minimum:
        raise bad_request(f"{where}.{key} must be greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        raise bad_request(f"{where}.{key} must be less than or equal to {maximum}")
    return value


def get_str_list(section: dict[str, Any], key: str, where: str, *, max_items: int = 1000) -> list[str] | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{where}.{key} must be an array of strings")
    if len(value) > max_items:
        raise bad_request(f"{where}.{key} has too many items (at most {max_items})")
    return value


def get_dict(section: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"{where}.{key} must be an object")
    return value


# ---------------------------------------------------------------- query parameters


@dataclass
class Page:
    size: int
    after: str | None
    before: str | None


def page_params(query: dict[str, str]) -> Page:
    size_raw = query.get("page[size]")
    size = 10
    if size_raw not in (None, ""):
        try:
            size = int(size_raw)
        except ValueError:
            raise bad_request("page[size] must be an integer") from None
        if not 1 <= size <= 100:
            raise bad_request("page[size] must be between 1 and 100")
    after = query.get("page[after]") or None
    before = query.get("page[before]") or None
    if after and before:
        raise bad_request("page[after] and page[before] cannot be used together")
    return Page(size=size, after=after, before=before)


def filters(query: dict[str, str]) -> dict[str, str]:
    """`filter[reference-id]=x` → {"reference-id": "x"}; keys normalised to kebab case."""
    out = {}
    for key, value in query.items():
        if key.startswith("filter[") and key.endswith("]"):
            out[inflect_key(key[7:-1], "kebab")] = value
    return out


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def list_links(path: str, query: dict[str, str], first_id: str | None, last_id: str | None, has_prev: bool, has_next: bool) -> dict[str, str | None]:
    """Relative links as Persona prints them: `/api/v1/inquiries?page%5Bafter%5D=inq_…`."""
    keep = {k: v for k, v in query.items() if k not in ("page[after]", "page[before]")}

    def link(key: str, value: str) -> str:
        return path + "?" + urlencode({**keep, key: value})

    return {
        "prev": link("page[before]", first_id) if has_prev and first_id else None,
        "next": link("page[after]", last_id) if has_next and last_id else None,
    }


def list_body(items: Sequence[dict[str, Any]], links: dict[str, str | None]) -> dict[str, Any]:
    return {"data": list(items), "links": links}


def include_paths(query: dict[str, str]) -> list[str] | None:
    """None when not asked; [] for `include=` (suppress)."""
    if "include" not in query:
        return None
    return [inflect_key(p, "kebab") for p in comma_list(query["include"])]


def sparse_fields(query: dict[str, str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, value in query.items():
        if key.startswith("fields[") and key.endswith("]"):
            out[key[7:-1]] = {inflect_key(v, "kebab") if not v.startswith("fields.") else v for v in comma_list(value)}
    return out


def apply_sparse_fields(item: dict[str, Any], wanted: dict[str, set[str]]) -> dict[str, Any]:
    names = wanted.get(item.get("type", "")) or wanted.get(str(item.get("type", "")).split("/")[0])
    if not names or "attributes" not in item:
        return item
    attributes: dict[str, Any] = {}
    for name in names:
        if name.startswith("fields."):
            key = name[len("fields."):]
            fields = item["attributes"].get("fields") or {}
            if key in fields:
                attributes.setdefault("fields", {})[key] = fields[key]
        elif name in item["attributes"]:
            attributes[name] = item["attributes"][name]
    return {**item, "attributes": attributes}


def _drop_path(node: Any, segments: list[str]) -> None:
    if not segments or not isinstance(node, dict):
        return
    head, rest = segments[0], segments[1:]
    for key in [k for k in node if fnmatch.fnmatchcase(k, head)]:
        if rest:
            _drop_path(node[key], rest)
        else:
            del node[key]


def drop_blocked_attributes(resource: dict[str, Any], patterns: list[str]) -> None:
    """An `api-attributes-blocklist` (of an API key or a webhook), applied in place: `address-*` names
    attributes; `/data/attributes/fields/*-number` is a path from the resource."""
    attributes = resource.get("attributes")
    for pattern in patterns:
        if pattern.startswith("/"):
            segments = [s for s in pattern.split("/") if s]
            if segments and segments[0] == "data":
                _drop_path(resource, segments[1:])
        elif isinstance(attributes, dict):
            for key in [k for k in attributes if fnmatch.fnmatchcase(k, pattern)]:
                del attributes[key]


def require(condition: bool, status: int, details: str) -> None:
    if not condition:
        raise ApiError(status, details)
