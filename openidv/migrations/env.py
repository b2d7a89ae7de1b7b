"""Alembic environment: the URL comes from the caller (openidv.migrate), the tables from openidv.models."""

from alembic import context

import openidv.models  # noqa: F401  (registers every table)
from openidv.kit.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:  # openidv.migrate always sets it
        raise RuntimeError("alembic: sqlalchemy.url is not set")
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
