"""docker-compose.yml parses, runs only real CLI commands, and sets only known settings.

No Docker engine runs on this machine, so the file is checked by parsing it.
"""

from __future__ import annotations

from pathlib import Path

import typer.main
import yaml

from vori.cli.main import app
from vori.services import SERVICES
from vori.settings import known_env_vars

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _cli_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def _vori_services(compose: dict) -> dict[str, dict]:
    return {
        name: spec
        for name, spec in compose["services"].items()
        if spec.get("image", "").startswith("vori") or "build" in spec
    }


def test_compose_has_the_engines_and_monitoring() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    assert "prometheus" in services
    assert "grafana" in services
    for name in ("kafka", "postgres", "prometheus", "grafana"):
        assert "healthcheck" in services[name], name


def test_every_vori_service_runs_and_is_run_by_an_existing_cli_command() -> None:
    compose = _compose()
    commands = _cli_commands()
    vori = _vori_services(compose)
    for name, spec in vori.items():
        program, command = spec["command"][:2]
        assert program == "vori", name
        assert command in commands, f"{name}: `vori {command}` does not exist"
    assert set(SERVICES) <= {spec["command"][1] for spec in vori.values()}


def test_every_environment_variable_is_a_known_setting() -> None:
    known = known_env_vars()
    for name, spec in _vori_services(_compose()).items():
        for variable in spec["environment"]:
            assert variable in known, f"{name} sets unknown {variable}"


def test_http_services_have_healthchecks_and_volumes_are_declared() -> None:
    compose = _compose()
    for name in ("gateway", "stream-ingest", "kanban"):
        assert "healthcheck" in compose["services"][name], name
    for spec in compose["services"].values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in compose["volumes"], source
