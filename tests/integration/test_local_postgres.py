"""The local PostgreSQL server as `vori up` runs it: durable settings, password required."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers.ports import free_port
from vori.local.postgres import LocalPostgres


def _connect(server: LocalPostgres, password: str | None) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=password,
        dbname=server.database,
        connect_timeout=5,
    )


def test_the_server_is_durable_and_refuses_connections_without_the_password(
    tmp_path: Path,
) -> None:
    server = LocalPostgres(tmp_path / "pg", free_port(), password="right-password-" + "x" * 20)
    started = time.monotonic()
    server.start(timeout_s=60)
    try:
        print(f"\ndurable first start (initdb with sync): {time.monotonic() - started:.1f} s")
        with _connect(server, server.password) as conn:
            for name in ("fsync", "full_page_writes", "synchronous_commit"):
                value = conn.execute(f"SHOW {name}").fetchone()
                assert value == ("on",), name
        for wrong in (None, "wrong-password"):
            with pytest.raises(psycopg.OperationalError, match="password"):
                _connect(server, wrong).close()
    finally:
        server.stop()


def test_a_trusting_cluster_from_before_takes_the_password(tmp_path: Path) -> None:
    data = tmp_path / "pg"
    port = free_port()
    old = LocalPostgres(data, port, durable=False)  # how `vori up` ran before passwords
    old.start(timeout_s=60)
    with _connect(old, None) as conn:
        conn.execute("CREATE TABLE kept (id int)")
        conn.execute("INSERT INTO kept VALUES (1)")
    old.stop()

    server = LocalPostgres(data, port, password="now-a-password-" + "y" * 20)
    started = time.monotonic()
    server.start(timeout_s=60)
    try:
        print(f"\nrestart with the password set offline: {time.monotonic() - started:.1f} s")
        with pytest.raises(psycopg.OperationalError, match="password"):
            _connect(server, None).close()
        with _connect(server, server.password) as conn:
            assert conn.execute("SELECT id FROM kept").fetchall() == [(1,)]
    finally:
        server.stop()

    # The password file is the one owner: a new one replaces the old at the next start.
    renewed = LocalPostgres(data, port, password="a-new-password-" + "z" * 20)
    renewed.start(timeout_s=60)
    try:
        with _connect(renewed, renewed.password) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (1,)
        with pytest.raises(psycopg.OperationalError, match="password"):
            _connect(renewed, server.password).close()
    finally:
        renewed.stop()
