"""PostgreSQL restarts under a running summarizer: its periodic check of due meetings fails
while the server is away and works again after, without ending the worker (issue #13's
PostgreSQL restart: the summarizer exited on "the database system is starting up")."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarizer.main import build_worker
from tests.helpers.ports import free_port
from vori.db.migrate import upgrade
from vori.local.postgres import LocalPostgres
from vori.settings import Settings


@pytest.fixture
def own_postgres() -> Iterator[LocalPostgres]:
    """A server of this test only: restarting the session's would break other tests."""
    root = Path(tempfile.mkdtemp(prefix="vori-summarizer-pg-"))
    server = LocalPostgres(root / "postgres", port=free_port(), durable=False)
    server.start(timeout_s=60)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_summarizer_checks_due_meetings_through_a_postgres_restart(
    settings: Settings, own_postgres: LocalPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    local = settings.model_copy(
        update={
            "database_url": own_postgres.url,
            "summarizer": settings.summarizer.model_copy(update={"detector": False}),
        }
    )
    upgrade(local)
    worker = build_worker(local)
    worker.check_every_s = 0.0
    worker.tick()  # reachable: nothing due

    own_postgres.stop()
    worker.tick()  # away: must not raise
    assert "PostgreSQL" in caplog.text, "the failed check is logged"

    own_postgres.start(timeout_s=60)
    deadline = time.monotonic() + 30
    caplog.clear()
    while True:  # right after the start the server may still refuse ("starting up")
        worker.tick()
        if "PostgreSQL" not in caplog.text:
            break
        assert time.monotonic() < deadline, caplog.text
        caplog.clear()
        time.sleep(0.5)
