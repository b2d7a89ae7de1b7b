"""The models and the migrations describe the same schema, on the database under test."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import openidv.models  # noqa: F401
from openidv.kit.db import Base


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
