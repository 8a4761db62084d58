"""The token signing secret: no service that mints or verifies tokens starts beyond loopback
with the public default or a short secret, and `vori up` makes and keeps a strong one.

With the public default, anyone who read the source could mint a token for any user id of
a deployment that kept it.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from tests.helpers.ports import free_port
from vori.auth import InvalidTokenError, jwt_secret_problem, verify_token
from vori.cli.local_secrets import with_local_secrets
from vori.settings import GatewaySettings, load_settings

REPO = Path(__file__).resolve().parents[2]
PUBLIC_DEFAULT = GatewaySettings().jwt_secret.get_secret_value()
TOKEN_SERVICES = ("gateway", "stream-ingest", "kanban")
ERROR_NAME = "VORI_GATEWAY__JWT_SECRET"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A child environment whose engines are unreachable, so nothing else could start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VORI_")}
    for name in ("DATABASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(name, None)
    env.update(
        {
            "VORI_DATA_DIR": str(tmp_path / "data"),
            "VORI_DATABASE_URL": f"postgresql://vori:x@127.0.0.1:{free_port()}/vori",
            "VORI_KAFKA__EMBEDDED": "false",
            "VORI_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "VORI_GATEWAY__PORT": str(free_port()),
            "VORI_INGEST__PORT": str(free_port()),
            "VORI_KANBAN__PORT": str(free_port()),
            "VORI_TRANSCRIBER__METRICS_PORT": str(free_port()),
            "VORI_SUMMARIZER__METRICS_PORT": str(free_port()),
        }
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "vori", *args],
            cwd=cwd,
            env={**env, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"`vori {' '.join(args)}` started instead of refusing") from exc


@pytest.mark.parametrize("service", TOKEN_SERVICES)
@pytest.mark.parametrize(
    "secret", [None, PUBLIC_DEFAULT, "s" * 31], ids=["unset", "public-default", "31-bytes"]
)
def test_a_token_service_on_the_network_refuses_a_weak_secret(
    service: str, secret: str | None, tmp_path: Path
) -> None:
    extra = {"VORI_HOST": "0.0.0.0"}
    if secret is not None:
        extra[ERROR_NAME] = secret
    result = _run([service], _env(tmp_path, **extra), tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ERROR_NAME in lines[0]
    assert "32 bytes" in lines[0]
    if secret is not None:
        assert secret not in lines[0], "the error never shows the secret"


def test_vori_up_on_the_network_refuses_a_short_secret_before_starting_anything(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path, VORI_HOST="0.0.0.0", **{ERROR_NAME: "short-secret"})
    result = _run(["up"], env, tmp_path)
    assert result.returncode == 2
    output = (result.stdout + result.stderr).strip().splitlines()
    assert any(ERROR_NAME in line for line in output), output
    assert not (tmp_path / "data" / "kafka").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_loopback_only_services_may_keep_the_default(host: str) -> None:
    assert jwt_secret_problem(load_settings(host=host)) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "vori.example.com"])
def test_anything_beyond_loopback_needs_a_strong_secret(host: str) -> None:
    weak = load_settings(host=host)
    assert jwt_secret_problem(weak) is not None
    strong = load_settings(host=host, gateway={"jwt_secret": "k" * 32})
    assert jwt_secret_problem(strong) is None
    multibyte = load_settings(host=host, gateway={"jwt_secret": "비" * 11})  # 33 bytes
    assert jwt_secret_problem(multibyte) is None


def test_vori_up_generates_a_secret_once_and_keeps_it_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ERROR_NAME, raising=False)
    first, env = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    secret = first.gateway.jwt_secret.get_secret_value()
    assert secret != PUBLIC_DEFAULT
    assert len(secret.encode()) >= 32
    assert env[ERROR_NAME] == secret  # the services get it too
    path = tmp_path / "secrets" / "jwt-secret"
    assert path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second, _ = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    assert second.gateway.jwt_secret.get_secret_value() == secret
    assert jwt_secret_problem(first.model_copy(update={"host": "0.0.0.0"})) is None


def test_vori_up_keeps_a_strong_secret_the_operator_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ERROR_NAME, "an-operator-chosen-secret-of-enough-length")
    settings, env = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    assert settings.gateway.jwt_secret.get_secret_value() == env[ERROR_NAME]
    assert env[ERROR_NAME] == "an-operator-chosen-secret-of-enough-length"
    assert not (tmp_path / "secrets" / "jwt-secret").exists()


def test_a_token_minted_with_the_public_default_is_useless_against_vori_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ERROR_NAME, raising=False)
    settings, _ = with_local_secrets(load_settings(data_dir=tmp_path), tmp_path)
    forged = jwt.encode(
        {"sub": "usr_anyone", "aud": "vori", "exp": 2**31 - 1}, PUBLIC_DEFAULT, algorithm="HS256"
    )
    with pytest.raises(InvalidTokenError):
        verify_token(settings.gateway, forged)
