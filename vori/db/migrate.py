"""Alembic migrations, driven from code so no alembic.ini is needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from vori.settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", settings.sqlalchemy_url.replace("%", "%%"))
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    """Apply migrations up to `revision`, every branch head by default (idempotent)."""
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    """Revert migrations down to `revision`."""
    command.downgrade(alembic_config(settings), revision)


def current(settings: Settings) -> str | None:
    """The revisions the database is at (one per branch head, comma separated), or None."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            # Each service owns a migration branch off 0001, so there are several heads.
            heads = MigrationContext.configure(conn).get_current_heads()
            return ",".join(sorted(heads)) or None
    finally:
        engine.dispose()
