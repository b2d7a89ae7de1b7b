"""A flush writes a parent row before the rows that point at it. SQLAlchemy's unit of work orders tables by their
`relationship()`s, not by their foreign keys (without one it falls back to the classes' names), and since a request's
new rows now reach the database in one flush at commit, every foreign key between openidv's tables has its
relationship (never loaded: `lazy="raise"`). Environments are left out: they are made by `openidv setup`, never in the
flush of a row that points at them."""

from sqlalchemy import select

from openidv.kit.db import Base, session_factory, transaction
from openidv.kit.ids import new_id
from openidv.models import ConfirmationCode, Document, Inquiry, InquirySession, Verification


def test_every_foreign_key_between_tables_has_its_relationship() -> None:
    by_table = {mapper.local_table.name: mapper for mapper in Base.registry.mappers}
    missing = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        related = {relationship.mapper.class_ for relationship in mapper.relationships}
        for key in table.foreign_keys:
            parent = key.column.table.name
            if parent in (table.name, "environments"):
                continue
            if by_table[parent].class_ not in related:
                missing.append(f"{table.name}.{key.parent.name} -> {parent}")
    assert not missing, missing


def test_children_added_after_their_pending_parents_are_written_after_them(engine, world, client) -> None:
    """The pairs whose class names sort the wrong way round: a confirmation code before its verification, a
    document before its inquiry."""
    template = client.get("/api/v1/inquiry-templates").json()["data"][0]
    version_id = template["relationships"]["latest-published-version"]["data"]["id"]
    with transaction(session_factory(engine, writer=True)) as db:
        inquiry = Inquiry(id=new_id("inq"), environment_id=world.sandbox_id, template_id=template["id"], template_version_id=version_id,
                          status="created", creator="API", tags=[], behaviors={})
        verification = Verification(id=new_id("ver"), environment_id=world.sandbox_id, inquiry_id=inquiry.id, kind="verification/phone-number",
                                    status="initiated", checks=[], tags=[])
        db.add_all([inquiry, verification])
        db.add(ConfirmationCode(verification_id=verification.id, channel="sms", locale="en", attempts=0, sends=0))
        db.add(Document(id=new_id("doc"), environment_id=world.sandbox_id, inquiry_id=inquiry.id, kind="document/generic", status="initiated"))
        db.add(InquirySession(id=new_id("iqse"), inquiry_id=inquiry.id, environment_id=world.sandbox_id, status="new"))
    with transaction(session_factory(engine)) as db:
        assert db.scalar(select(ConfirmationCode.verification_id).where(ConfirmationCode.verification_id == verification.id))
        assert db.scalar(select(Document.inquiry_id).where(Document.inquiry_id == inquiry.id)) == inquiry.id
