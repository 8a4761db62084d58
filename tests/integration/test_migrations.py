"""Migrations run from an empty real PostgreSQL database and all the way down again."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from vori.db.migrate import current, downgrade, upgrade
from vori.db.tables import Base
from vori.settings import Settings


@pytest.fixture
def empty_database(settings: Settings, postgres_server: object, unique: str) -> Iterator[Settings]:
    name = f"migrations_{unique}"
    admin = dict(host=postgres_server.host, port=postgres_server.port, user=postgres_server.user)  # type: ignore[attr-defined]
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = settings.sqlalchemy_url.rsplit("/", 1)[0] + "/" + name
    yield settings.model_copy(update={"database_url": url})
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _tables(settings: Settings) -> set[str]:
    engine = create_engine(settings.sqlalchemy_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_upgrade_from_empty_and_downgrade_to_nothing(empty_database: Settings) -> None:
    assert current(empty_database) is None
    assert _tables(empty_database) == set()

    upgrade(empty_database)
    assert current(empty_database) is not None
    assert set(Base.metadata.tables) <= _tables(empty_database)

    upgrade(empty_database)  # idempotent: `vori up` runs it at every start

    downgrade(empty_database)
    assert current(empty_database) is None
    assert _tables(empty_database) <= {"alembic_version"}


def test_migrated_schema_matches_the_models(empty_database: Settings) -> None:
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(empty_database)
    engine = create_engine(empty_database.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
