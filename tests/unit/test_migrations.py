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
