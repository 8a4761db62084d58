"""`vori up`'s PostgreSQL is durable and password-protected; only the fixtures trade that away.
Every other `vori` command reaches it with the password `vori up` keeps."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from vori.cli.load import load
from vori.cli.local_secrets import with_local_secrets
from vori.cli.up import local_postgres
from vori.local.postgres import LocalPostgres
from vori.local.secrets import read_or_create_secret, secret_path
from vori.settings import PUBLIC_JWT_SECRET, load_settings


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def no_password_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "VORI_POSTGRES__PASSWORD",
        "DATABASE_URL",
        "VORI_DATABASE_URL",
        "VORI_GATEWAY__JWT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_password_env")
def test_vori_up_runs_postgres_durably_with_a_password(tmp_path: Path) -> None:
    settings, env = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    server = local_postgres(settings, tmp_path)

    options = server.server_options()
    for setting in ("fsync=on", "full_page_writes=on", "synchronous_commit=on"):
        assert setting in options
    assert not any(option.endswith("=off") for option in options)
    assert "--auth=scram-sha-256" in server.initdb_args()
    assert "--no-sync" not in server.initdb_args()
    assert "trust" not in server.hba_rules()

    password_file = secret_path(tmp_path, "postgres-password")
    password = password_file.read_text().strip()
    assert len(password) >= 32
    assert _mode(password_file) == 0o600
    assert _mode(password_file.parent) == 0o700
    assert server.password == password
    assert env["VORI_POSTGRES__PASSWORD"] == password  # what the services get
    assert f"vori:{password}@" in settings.sqlalchemy_url


@pytest.mark.usefixtures("no_password_env")
def test_the_password_is_generated_once(tmp_path: Path) -> None:
    first, _ = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    second, _ = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    assert first.postgres.password is not None
    assert second.postgres.password is not None
    assert first.postgres.password.get_secret_value() == second.postgres.password.get_secret_value()


@pytest.mark.usefixtures("no_password_env")
def test_a_configured_password_is_used_and_none_is_generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORI_POSTGRES__PASSWORD", "an operator's own password")
    settings, env = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    assert env["VORI_POSTGRES__PASSWORD"] == "an operator's own password"
    assert not secret_path(tmp_path, "postgres-password").exists()
    assert "vori:an%20operator%27s%20own%20password@" in settings.sqlalchemy_url


def test_an_external_database_gets_no_local_password(tmp_path: Path) -> None:
    external = load_settings(data_dir=tmp_path, database_url="postgresql://u:p@db/vori")
    settings, env = with_local_secrets(external, tmp_path)
    assert "VORI_POSTGRES__PASSWORD" not in env
    assert not secret_path(tmp_path, "postgres-password").exists()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db/vori"


@pytest.mark.usefixtures("no_password_env")
def test_commands_beside_vori_up_reach_its_database_with_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `vori db current`, `vori analytics run`: the walkthrough's fe_sendauth failure.
    monkeypatch.setenv("VORI_DATA_DIR", str(tmp_path))
    up_settings, _ = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    command_settings = load()
    assert command_settings.postgres.password is not None
    assert up_settings.postgres.password is not None
    password = up_settings.postgres.password.get_secret_value()
    assert command_settings.postgres.password.get_secret_value() == password
    assert command_settings.sqlalchemy_url == up_settings.sqlalchemy_url
    assert command_settings.gateway.jwt_secret == up_settings.gateway.jwt_secret


@pytest.mark.usefixtures("no_password_env")
def test_a_command_before_the_first_vori_up_generates_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORI_DATA_DIR", str(tmp_path))
    settings = load()
    assert settings.postgres.password is None
    assert settings.gateway.jwt_secret.get_secret_value() == PUBLIC_JWT_SECRET
    assert not (tmp_path / "secrets").exists()


@pytest.mark.usefixtures("no_password_env")
def test_a_password_set_by_the_user_wins_over_the_kept_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORI_DATA_DIR", str(tmp_path))
    with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    monkeypatch.setenv("VORI_POSTGRES__PASSWORD", "an operator's own password")
    monkeypatch.setenv("VORI_GATEWAY__JWT_SECRET", "an operator's own token secret, long enough")
    settings = load()
    assert settings.postgres.password is not None
    assert settings.postgres.password.get_secret_value() == "an operator's own password"
    secret = settings.gateway.jwt_secret.get_secret_value()
    assert secret == "an operator's own token secret, long enough"


@pytest.mark.usefixtures("no_password_env")
def test_an_external_database_url_is_used_as_given_by_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORI_DATA_DIR", str(tmp_path))
    with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    monkeypatch.setenv("VORI_DATABASE_URL", "postgresql://u:p@db/vori")
    settings = load()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db/vori"
    assert settings.postgres.password is None


def test_test_fixture_servers_may_keep_the_fast_settings(tmp_path: Path) -> None:
    fixture = LocalPostgres(tmp_path, port=5999, durable=False)
    assert "fsync=off" in fixture.server_options()
    assert "full_page_writes=off" in fixture.server_options()
    assert "--auth=trust" in fixture.initdb_args()
    assert "--no-sync" in fixture.initdb_args()


def test_a_secret_file_others_can_read_is_tightened(tmp_path: Path) -> None:
    path = secret_path(tmp_path, "x")
    value = read_or_create_secret(path)
    path.chmod(0o644)
    assert read_or_create_secret(path) == value
    assert _mode(path) == 0o600
