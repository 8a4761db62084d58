"""`vori login` asks for the password at a terminal, without echo, and says which option
to use where there is no terminal to ask on."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from typer.testing import CliRunner

from vori.cli.main import app

PASSWORD = "correct horse battery staple"


class _TokenHandler(BaseHTTPRequestHandler):
    forms: ClassVar[list[dict[str, list[str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.forms.append(parse_qs(self.rfile.read(length).decode()))
        body = json.dumps({"access_token": "a-token", "token_type": "bearer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[str]:
    """A stand-in for the gateway's token endpoint that records the forms it gets."""
    _TokenHandler.forms = []
    server = HTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def _read_until(fd: int, wanted: bytes, seen: bytearray, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {wanted!r} in {bytes(seen)!r}")
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            chunk = b""
        if not chunk:
            raise AssertionError(f"no {wanted!r} in {bytes(seen)!r}")
        seen += chunk


def test_login_at_a_terminal_asks_for_the_password_without_echo(
    gateway: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "VORI_PASSWORD"}
    env["VORI_CLIENT__TOKEN_FILE"] = str(tmp_path / "credentials.json")
    controller, terminal = pty.openpty()
    argv = [sys.executable, "-m", "vori", "login", "--email", "ann@example.test"]
    child = subprocess.Popen(
        [*argv, "--gateway", gateway],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
    )
    os.close(terminal)
    seen = bytearray()
    try:
        # click writes "Password:", getpass the space after it once echo is off.
        _read_until(controller, b"Password: ", seen)
        os.write(controller, PASSWORD.encode() + b"\n")
        _read_until(controller, b"logged in as", seen)
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()
        os.close(controller)
    assert PASSWORD.encode() not in seen
    assert _TokenHandler.forms == [{"username": ["ann@example.test"], "password": [PASSWORD]}]
    assert "a-token" in (tmp_path / "credentials.json").read_text()


def test_login_without_a_terminal_says_which_option_gives_the_password(
    gateway: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VORI_PASSWORD", raising=False)
    monkeypatch.setenv("VORI_CLIENT__TOKEN_FILE", str(tmp_path / "credentials.json"))
    argv = ["login", "--email", "ann@example.test", "--gateway", gateway]
    result = CliRunner().invoke(app, argv, input="")
    assert result.exit_code == 1
    assert "give --password or VORI_PASSWORD" in result.output
    assert _TokenHandler.forms == []


def test_login_takes_the_password_from_vori_password(
    gateway: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORI_PASSWORD", PASSWORD)
    monkeypatch.setenv("VORI_CLIENT__TOKEN_FILE", str(tmp_path / "credentials.json"))
    argv = ["login", "--email", "ann@example.test", "--gateway", gateway]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert _TokenHandler.forms[0]["password"] == [PASSWORD]
