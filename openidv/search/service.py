"""Search rules: parsing Persona's search body into a checked tree (every bad input a 400 naming where), and keeping
an inquiry's or account's name tokens in step with its fields (called wherever its name index is set)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from openidv.kit import crypto, fields as typed_fields, name_tokens
from openidv.kit.errors import bad_request
from openidv.kit.jsonapi import Page
from openidv.search import repository

NAME_KEYS = ("name-first", "name-last")
OPERATORS = ("eq", "gt", "gte", "lt", "lte")
MAX_DEPTH = 2  # Persona: "Maximum nesting depth: 2 levels"
MAX_CLAUSES = 20  # Persona: "Maximum clauses per AND/OR: 20"

# What a searchable attribute holds, which decides its operators and how its value is matched:
# exact (a column, eq), time (a timestamp column, every operator), name (partial, by name tokens), email (blind index).
Kind = Literal["exact", "time", "name", "email"]


@dataclass(frozen=True)
class Predicate:
    attribute: str
    operator: str
    value: Any  # str for exact; datetime for time; the query's token indexes (tuple[str, ...]) for name; an index for email


@dataclass(frozen=True)
class Clause:
    op: Literal["and", "or", "not"]
    items: tuple["Node", ...]


Node = Predicate | Clause


@dataclass(frozen=True)
class Search:
    query: Node | None
    sort: str
    ascending: bool
    page: Page


def index(session: Session, environment_id: str, owner_id: str, fields: dict[str, Any], *, new: bool = False) -> None:
    """`new`: the owner is being created, so it has no rows to replace (one statement less per creation)."""
    tokens = name_tokens.of_names(*(typed_fields.value_of(fields, k) for k in NAME_KEYS))
    if tokens or not new:
        repository.replace(session, environment_id, owner_id, tokens, new=new)


def forget(session: Session, owner_ids: list[str]) -> None:
    """Redaction: the tokens are derived from the name, so they go with it."""
    repository.forget(session, owner_ids)


def name_predicate(text: str, attribute: str = "name", where: str = "search") -> Predicate:
    """Every token of `text` must start a token of the first or last name ("test bul" finds "Bulk7 Tester")."""
    found = name_tokens.of_query(text)
    if not found:
        raise bad_request(f"{where} must contain letters or digits")
    return Predicate(attribute, "eq", tuple(found))


def email_predicate(text: str, attribute: str = "email") -> Predicate:
    return Predicate(attribute, "eq", crypto.ring().blind_index("email", text))


def _time(value: Any, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad_request(f"{where} must be an ISO 8601 timestamp or Unix seconds")
    if not isinstance(value, str):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise bad_request(f"{where} is out of range") from None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{where} must be an ISO 8601 timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _predicate(raw: dict[str, Any], attributes: dict[str, Kind], where: str) -> Predicate:
    extra = sorted(set(raw) - {"attribute", "operator", "value"})
    if extra:
        raise bad_request(f"{where}.{extra[0]} is not allowed here")
    attribute, operator, value = raw.get("attribute"), raw.get("operator"), raw.get("value")
    if not isinstance(attribute, str) or not attribute:
        raise bad_request(f"{where}.attribute is required (one of: {', '.join(attributes)})")
    name = attribute.strip().replace("-", "_")
    kind = attributes.get(name)
    if kind is None:
        raise bad_request(f"{where}.attribute {attribute[:100]!r} is not searchable; use one of: {', '.join(attributes)}")
    if operator not in OPERATORS:
        raise bad_request(f"{where}.operator must be one of: {', '.join(OPERATORS)}")
    if kind != "time" and operator != "eq":
        raise bad_request(f"{where}.operator must be eq for {name}")
    if value is None or isinstance(value, (dict, list)):
        raise bad_request(f"{where}.value must be a string, number or boolean")
    if kind == "time":
        return Predicate(name, operator, _time(value, f"{where}.value"))
    if not isinstance(value, str):
        raise bad_request(f"{where}.value must be a string for {name}")
    if len(value) > 255:
        raise bad_request(f"{where}.value is too long")
    if kind == "name":
        return name_predicate(value, name, f"{where}.value")
    if kind == "email":
        return email_predicate(value, name)
    return Predicate(name, operator, value)


def _node(raw: Any, attributes: dict[str, Kind], where: str, depth: int) -> Node:
    if not isinstance(raw, dict):
        raise bad_request(f"{where} must be an object")
    ops = [op for op in ("and", "or", "not") if op in raw]
    if not ops:
        return _predicate(raw, attributes, where)
    if len(raw) != 1:
        raise bad_request(f"{where} must hold exactly one of and, or, not, or a predicate (attribute, operator, value)")
    if depth >= MAX_DEPTH:
        raise bad_request(f"{where} nests deeper than {MAX_DEPTH} levels")
    op: Literal["and", "or", "not"] = "and" if ops[0] == "and" else "or" if ops[0] == "or" else "not"
    inner = raw[op]
    if op == "not":
        return Clause("not", (_node(inner, attributes, f"{where}.not", depth + 1),))
    if not isinstance(inner, list) or not inner:
        raise bad_request(f"{where}.{op} must be a non-empty array")
    if len(inner) > MAX_CLAUSES:
        raise bad_request(f"{where}.{op} has more than {MAX_CLAUSES} clauses")
    return Clause(op, tuple(_node(item, attributes, f"{where}.{op}[{n}]", depth + 1) for n, item in enumerate(inner)))


def _page(query: dict[str, str], body_page: Any) -> Page:
    """`page[...]` in the query string (where the `links` put it) wins over the body's `page`."""
    if body_page is None:
        body_page = {}
    if not isinstance(body_page, dict):
        raise bad_request("page must be an object")
    extra = sorted(set(body_page) - {"after", "before", "size"})
    if extra:
        raise bad_request(f"page.{extra[0]} is not allowed")
    size = query.get("page[size]") or body_page.get("size")
    after = query.get("page[after]") or body_page.get("after")
    before = query.get("page[before]") or body_page.get("before")
    if isinstance(size, str):
        if not size.strip().lstrip("-").isdigit():
            raise bad_request("page[size] must be an integer")
        size = int(size)
    if size is None:
        size = 10
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise bad_request("page[size] must be an integer between 1 and 100")
    for name, cursor in (("after", after), ("before", before)):
        if cursor is not None and (not isinstance(cursor, str) or len(cursor) > 100):
            raise bad_request(f"page[{name}] must be an id")
    if after and before:
        raise bad_request("page[after] and page[before] cannot be used together")
    return Page(size=size, after=after or None, before=before or None)


def parse(body: Any, query: dict[str, str], attributes: dict[str, Kind], sortable: tuple[str, ...]) -> Search:
    """Persona's search body ({query, sort, page}, all optional) into a checked Search."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    extra = sorted(set(body) - {"query", "sort", "page"})
    if extra:
        raise bad_request(f"{extra[0]} is not allowed in a search (query, sort, page)")
    tree = None if body.get("query") is None else _node(body["query"], attributes, "query", 0)
    sort = body.get("sort")
    if sort is None:
        sort = {"attribute": "created_at", "direction": "desc"}
    if not isinstance(sort, dict) or set(sort) - {"attribute", "direction"}:
        raise bad_request("sort must be an object with attribute and direction")
    attribute = str(sort.get("attribute") or "created_at").replace("-", "_")
    if attribute not in sortable:
        raise bad_request(f"sort.attribute must be one of: {', '.join(sortable)}")
    direction = sort.get("direction") or "desc"
    if direction not in ("asc", "desc"):
        raise bad_request("sort.direction must be asc or desc")
    return Search(tree, attribute, direction == "asc", _page(query, body.get("page")))
