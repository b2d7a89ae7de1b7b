"""Tag names shared by inquiries and accounts; an environment knows at most 1000 active tags."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openidv.kit.clock import now
from openidv.kit.errors import ApiError, bad_request, not_found
from openidv.kit.ids import new_id
from openidv.models import Tag

MAX_TAGS = 1000


def clean(names: list[str], where: str) -> list[str]:
    out: list[str] = []
    for name in names:
        name = name.strip()
        if not name or len(name) > 255:
            raise bad_request(f"{where} must hold non-empty tag names of at most 255 characters")
        if name not in out:
            out.append(name)
    return out


def names_from_meta(session: Session, environment_id: str, meta: dict, *, many: bool) -> list[str]:
    """`meta.tag-name` / `meta.tag-id` (arrays `tag-names` / `tag-ids` or arrays in the same keys for set-tags)."""
    names: list[str] = []
    for key in ("tag-name", "tag-names"):
        value = meta.get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in items) or (isinstance(value, list) and not many):
            raise bad_request(f"meta.{key} must be {'an array of strings' if many else 'a string'}")
        names += items
    for key in ("tag-id", "tag-ids"):
        value = meta.get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for tag_id in items:
            tag = session.get(Tag, tag_id) if isinstance(tag_id, str) else None
            if tag is None or tag.environment_id != environment_id:
                raise not_found("tag", str(tag_id))
            names.append(tag.name)
    if not many and not names:
        raise bad_request("meta.tag-name or meta.tag-id is missing")
    if many and "tag-name" not in meta and "tag-names" not in meta and "tag-id" not in meta and "tag-ids" not in meta:
        raise bad_request("meta.tag-name or meta.tag-id is missing")
    return clean(names, "meta.tag-name")


def register(session: Session, environment_id: str, names: list[str]) -> None:
    """Make sure each name is a known tag of the environment (422 past 1000 tags)."""
    if not names:
        return
    known = set(session.scalars(select(Tag.name).where(Tag.environment_id == environment_id, Tag.name.in_(names))))
    missing = [n for n in names if n not in known]
    if not missing:
        return
    count = session.scalar(select(func.count()).select_from(Tag).where(Tag.environment_id == environment_id)) or 0
    if count + len(missing) > MAX_TAGS:
        raise ApiError(422, f"An environment can have at most {MAX_TAGS} active tags", title="Record invalid")
    for name in missing:
        session.add(Tag(id=new_id("tag"), environment_id=environment_id, name=name, created_at=now()))
    session.flush()
