"""Session-wide fixtures: ONE real Kafka broker and ONE real PostgreSQL for the whole run.

Both listen on free loopback ports and keep their data in a temporary directory that is
removed at the end. Tests under tests/integration, e2e, reliability and security get the
`integration` marker automatically; tests/unit never starts them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.ports import free_port
from tests.helpers.speech_data import find_speech_dir
from vori.settings import Settings, load_settings

SPEECH_DIR = find_speech_dir()
NEEDS_ENGINES = ("integration", "e2e", "reliability", "security")


# Fast feedback first, browsers last: Playwright's sync API keeps an event loop running in
# the main thread for as long as its browser fixtures live, which would break later tests
# that call asyncio.run().
RUN_ORDER = ("unit", "integration", "security", "reliability", "e2e")


def _run_rank(item: pytest.Item) -> int:
    parts = Path(str(item.fspath)).parts
    for rank, folder in enumerate(RUN_ORDER):
        if folder in parts:
            return rank
    return len(RUN_ORDER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_run_rank)  # stable: the order within a folder stays as collected
    for item in items:
        parts = Path(str(item.fspath)).parts
        for marker in NEEDS_ENGINES:
            if marker in parts:
                item.add_marker(getattr(pytest.mark, marker))
                if marker != "integration":
                    item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def engines_dir() -> Iterator[Path]:
    """Data of the session's Kafka and PostgreSQL, outside pytest's rotating temp folders.

    pytest keeps only the newest three `pytest-N` folders and deletes older ones when a
    session starts: a concurrent pytest run must never delete a running server's files.
    """
    path = Path(tempfile.mkdtemp(prefix="vori-test-engines-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_broker(engines_dir: Path) -> Iterator[object]:
    """A real KRaft broker for the whole test session."""
    from vori.local.kafka_broker import KafkaBroker

    broker = KafkaBroker(engines_dir / "kafka", port=free_port(), controller_port=free_port())
    broker.start(timeout_s=120)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres_server(engines_dir: Path) -> Iterator[object]:
    """A real PostgreSQL server for the whole test session.

    A throwaway server, so it may trade durability for speed (fsync off) and trust
    loopback connections; `vori up`'s server does neither (tests/unit/test_local_postgres.py).
    """
    from vori.local.postgres import LocalPostgres

    server = LocalPostgres(engines_dir / "postgres", port=free_port(), durable=False)
    server.start(timeout_s=60)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka_settings_env(kafka_broker: object) -> dict[str, str]:
    return {"VORI_KAFKA__BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers}  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def settings(kafka_broker: object, postgres_server: object, engines_dir: Path) -> Settings:
    """Settings pointing at the session's real Kafka and PostgreSQL, topics and schema ready."""
    from vori.db.migrate import upgrade
    from vori.kafka.topics import ensure_topics

    loaded = load_settings(
        data_dir=engines_dir / "data",
        database_url=postgres_server.url,  # type: ignore[attr-defined]
        kafka={
            "bootstrap_servers": kafka_broker.bootstrap_servers,  # type: ignore[attr-defined]
            "embedded": False,
            "partitions": {"audio.frames": 4, "transcript.segments": 2},
            "default_partitions": 2,
            "retry_backoff_s": 0.05,
            "retry_backoff_max_s": 0.2,
            "handler_max_attempts": 3,
            "session_timeout_ms": 6000,
        },
        # Every test client comes from 127.0.0.1 and registers fresh accounts; the
        # throttling itself is tested in tests/security/test_auth_throttling.py.
        gateway={"auth_attempts_per_address": 100_000},
    )
    ensure_topics(loaded.kafka)
    upgrade(loaded)
    return loaded


@pytest.fixture
def unique() -> str:
    """A short unique suffix for topic, group and database names of one test."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    if SPEECH_DIR is None:
        pytest.skip("shared speech data not found (../shared/data/speech or VORI_SPEECH_DIR)")
    return SPEECH_DIR


def subprocess_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a child `vori` process use the session's engines."""
    env = dict(os.environ)
    env.update(
        {
            "VORI_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
            "VORI_KAFKA__EMBEDDED": "false",
            "VORI_KAFKA__SESSION_TIMEOUT_MS": str(settings.kafka.session_timeout_ms),
            "VORI_DATABASE_URL": settings.sqlalchemy_url,
            "VORI_DATA_DIR": str(settings.data_dir),
            "VORI_GATEWAY__AUTH_ATTEMPTS_PER_ADDRESS": str(
                settings.gateway.auth_attempts_per_address
            ),
        }
    )
    return env
