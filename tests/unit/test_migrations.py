"""The models and the migrations describe the same schema, on the database under test."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import openidv.models  # noqa: F401
from openidv.kit.db import Base

BEFORE_NAME_INDEX_DROP = "9f4b2d7e6c13"  # the revision before `name_index` left inquiries and accounts


def test_models_and_migrations_do_not_drift(engine, world):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = [d for d in compare_metadata(context, Base.metadata) if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name.startswith("dbos"))]
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_the_migrations_have_one_head():
    """Work merged in parallel must chain its migrations: two heads upgrade, but downgrades and `migrate <rev>` break."""
    from alembic.script import ScriptDirectory

    from openidv.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations have several heads {heads}: point the newest one's down_revision at the other"


def test_upgrading_keeps_linked_rows(tmp_path, settings) -> None:  # settings: the key ring
    """A migration that changes a table other rows point at must not trip the foreign keys that openidv's SQLite
    connections enforce (a batch rebuild of `inquiries` or `accounts` drops the table, and with it their rows)."""
    from openidv.auth import service as auth
    from openidv.inquiries import service as inquiries
    from openidv.inquiry_sessions import service as sessions
    from openidv.inquiry_templates import service as templates
    from openidv.inquiry_templates.config import starter_templates
    from openidv.kit.db import make_engine, session_factory, transaction
    from openidv.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'linked.db'}"
    upgrade(url, BEFORE_NAME_INDEX_DROP)
    engine = make_engine(url, pool_size=1)
    with transaction(session_factory(engine, writer=True)) as db:
        sandbox = auth.ensure_environments(db)[0]
        template = templates.create_template(db, sandbox.id, "Linked", dict(starter_templates())["Government ID"])[0]
        secrets = sessions.Secrets(token_secret=settings.secrets["session_token_secret"], base_url=settings.base_url)
        created = inquiries.create(db, sandbox.id, {"inquiry-template-id": template.id, "fields": {"name-first": "Ada", "name-last": "Lovelace"}},
                                   {"auto-create-inquiry-session": True}, actor="test", session_secrets=secrets)
        inquiry_id, account_id = created.inquiry.id, created.inquiry.account_id
    engine.dispose()

    upgrade(url)
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT account_id FROM inquiries WHERE id = :id"), {"id": inquiry_id}) == account_id
            assert conn.scalar(text("SELECT count(*) FROM inquiry_sessions WHERE inquiry_id = :id"), {"id": inquiry_id}) == 1
            assert conn.scalar(text("SELECT count(*) FROM accounts WHERE id = :id"), {"id": account_id}) == 1
            assert not list(conn.execute(text("PRAGMA foreign_key_check")))
    finally:
        engine.dispose()
