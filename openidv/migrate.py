"""Alembic, driven from code: one migration history for SQLite and PostgreSQL."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"  # inside the package, so a wheel carries them


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s")
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """To every head: features may add migrations side by side until a merge revision joins them."""
    command.upgrade(alembic_config(database_url), revision)
