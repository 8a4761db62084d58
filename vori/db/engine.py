"""SQLAlchemy 2 engine and sessions from the configured database URL."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from vori.db.metrics import POOLS
from vori.settings import Settings

# PostgreSQL away (restarting, a lost connection, a deadlock or serialisation failure): the
# message in hand is fine, the database is not. Consumer loops pass this as `transient=`, so
# such a message is tried again while it lasts, never dead-lettered (vori/kafka/consumer.py).
DATABASE_AWAY: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def create_db_engine(settings: Settings, **kwargs: object) -> Engine:
    """An engine for the configured database (external DATABASE_URL or the local server)."""
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
    options.update(kwargs)
    engine = create_engine(settings.sqlalchemy_url, **options)
    POOLS.watch(engine)  # its pool on /metrics
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (handlers return them)."""
    return sessionmaker(engine, expire_on_commit=False)
