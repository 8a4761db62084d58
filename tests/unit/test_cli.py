"""The `vori` command: every service has a command, bad settings fail clearly."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from vori.cli.main import app
from vori.services import SERVICES

runner = CliRunner()


def test_help_lists_up_models_db_and_every_service() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "models", "db", "init", *SERVICES):
        assert command in result.output


def test_settings_markdown_table_lists_variables() -> None:
    result = runner.invoke(app, ["settings", "--markdown"])
    assert result.exit_code == 0
    assert "| `VORI_KAFKA__BOOTSTRAP_SERVERS` | `127.0.0.1:19092` |" in result.output


def test_a_bad_setting_stops_the_command_with_the_variable_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vori", "models", "--no-hash"],
        env={
            "VORI_KAFKA__HEAP": "256m",
            "VORI_GATEWAY__PORT": "not-a-port",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "VORI_GATEWAY__PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_models_command_verifies_the_packaged_weights(tmp_path) -> None:
    result = runner.invoke(app, ["models"], env={"VORI_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "tiny.en  verified" in result.output
    assert "base     verified" in result.output


def test_readme_settings_table_is_generated_from_the_settings_model() -> None:
    from vori.docs import README, render

    text = README.read_text()
    assert render(text) == text, "README's settings table is stale: run `make docs`"
    assert "`VORI_KAFKA__BOOTSTRAP_SERVERS`" in text
