"""docker-compose.yml, the Dockerfile and the proxy config, checked as Docker would run them.

No Docker engine runs on this machine, so the files are parsed: each container's command
is resolved as ENTRYPOINT + command and parsed by the real CLI, its environment as image
ENV + compose environment and loaded by the real settings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from gateway.runtime import audio_ws_base
from tests.helpers.compose import (
    COMPOSE_FILE,
    DOCKERFILE,
    REPO,
    MissingVariableError,
    builds_from_this_repo,
    effective_command,
    effective_environment,
    interpolate,
    load_compose,
    read_dockerfile,
    required_variables,
)
from tests.helpers.compose_stack import container_ports
from vori.cli.main import app
from vori.services import SERVICES
from vori.settings import known_env_vars, load_settings

# What an operator's .env would hold (see .env.example): every required variable set.
OPERATOR_ENV = {
    "VORI_DOMAIN": "vori.example.com",
    "VORI_TLS": "ops@example.com",
    "VORI_JWT_SECRET": "0123456789abcdef" * 4,
    "POSTGRES_PASSWORD": "fedcba9876543210" * 2,
    "GRAFANA_ADMIN_PASSWORD": "a-grafana-password-from-env",
    "MINIO_ROOT_PASSWORD": "a-minio-password-from-env",
}
# Services that must never be reachable from outside the Docker host.
INTERNAL_ONLY = (
    "kafka",
    "postgres",
    "prometheus",
    "grafana",
    "kanban",
    "stream-ingest",
    "minio",
)
SECRET_KEY = re.compile(r"PASSWORD|SECRET|API_KEY")


def _compose() -> dict[str, Any]:
    return load_compose(OPERATOR_ENV)


def _vori_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in compose["services"].items() if builds_from_this_repo(spec)}


def _cli_refusal(argv: list[str]) -> str | None:
    """None if the real `vori` CLI accepts argv (program name first), else its complaint."""
    if argv[:1] != ["vori"]:
        return f"runs {argv[:1]}, not the `vori` program"
    result = CliRunner().invoke(app, [*argv[1:], "--help"])
    if result.exit_code == 0:
        return None
    words = re.sub(r"[│╭╮╰╯─]+", " ", result.output)
    return " ".join(words.split())


def _subcommand(argv: list[str]) -> str:
    return argv[1]


def test_compose_has_the_engines_and_monitoring() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["proxy"]["image"].startswith("caddy:")
    assert "prometheus" in services
    assert "grafana" in services
    for name in ("kafka", "postgres", "prometheus", "grafana"):
        assert "healthcheck" in services[name], name


def test_the_image_runs_the_installed_vori_program() -> None:
    image = read_dockerfile()
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert image.entrypoint == ["vori"]
    assert "vori" in scripts
    assert image.user == "vori", "the services run as the non-root user"


def test_every_vori_container_runs_a_real_cli_command() -> None:
    image = read_dockerfile()
    vori = _vori_services(_compose())
    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    run: set[str] = set()
    for name, spec in vori.items():
        assert "command" in spec, f"{name} would run the image's CMD ({image.cmd})"
        argv = effective_command(spec, image)
        refusal = _cli_refusal(argv)
        assert refusal is None, f"{name} runs `{' '.join(argv)}`: {refusal}"
        assert _subcommand(argv) in commands, name
        run.add(_subcommand(argv))
    assert set(SERVICES) <= run, f"services without a container: {set(SERVICES) - run}"
    assert "init" in run


def test_a_command_repeating_the_program_name_is_caught() -> None:
    # The bug this file once asserted: ENTRYPOINT ["vori"] + command ["vori", "gateway"].
    argv = effective_command({"command": ["vori", "gateway"]}, read_dockerfile())
    assert argv == ["vori", "vori", "gateway"]
    assert _cli_refusal(argv) is not None


def test_every_vori_container_environment_loads_as_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    image = read_dockerfile()
    known = known_env_vars()
    monkeypatch.chdir(tmp_path)  # no stray .env of the checkout
    for name, spec in _vori_services(_compose()).items():
        env = effective_environment(spec, image)
        for variable in env:
            if variable.startswith("VORI_") or variable in ("DATABASE_URL", "OPENAI_BASE_URL"):
                assert variable in known, f"{name} sets unknown {variable}"
        with monkeypatch.context() as patch:
            for variable in known:
                patch.delenv(variable, raising=False)
            for variable, value in env.items():
                patch.setenv(variable, value)
            settings = load_settings()
        assert settings.host == "0.0.0.0", name
        assert settings.data_dir == Path("/var/lib/vori"), name
        assert not settings.kafka.embedded, name
        assert settings.kafka.bootstrap_servers == "kafka:9092", name
        assert settings.gateway.kanban_url == "http://kanban:8002", name
        assert not settings.uses_local_postgres, name
        assert settings.sqlalchemy_url.startswith("postgresql+psycopg://vori:"), name
        assert settings.gateway.web_dir == Path("/app/web/dist"), name
        # Browsers reach the audio WebSocket through the TLS proxy.
        assert audio_ws_base(settings) == "wss://vori.example.com", name


def test_kafka_keeps_its_data_on_the_volume() -> None:
    kafka = _compose()["services"]["kafka"]
    log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in kafka["volumes"]}
    # Unset, the apache/kafka image writes to /tmp/kraft-combined-logs (configureDefaults).
    for directory in log_dirs.split(","):
        assert directory in mounts, f"{directory} is not on a volume"
        assert mounts[directory] in _compose()["volumes"]


def test_the_data_directory_exists_for_the_non_root_user() -> None:
    image = read_dockerfile()
    text = DOCKERFILE.read_text()
    final_stage = text.rsplit("\nFROM ", 1)[1]
    data_dir = image.env["VORI_DATA_DIR"]
    assert data_dir == "/var/lib/vori"
    assert re.search(rf"mkdir -p {data_dir}\b", final_stage)
    assert re.search(rf"chown {image.user}:{image.user} {data_dir}\b", final_stage)
    # A named volume mounted there starts as a copy of that directory (and its owner).
    transcriber = _compose()["services"]["transcriber"]
    assert any(volume.endswith(f":{data_dir}") for volume in transcriber["volumes"])


def test_the_image_builds_the_web_app_in_its_own_stage() -> None:
    image = read_dockerfile()
    text = DOCKERFILE.read_text()
    assert len(image.stages) >= 2, "multi-stage: the web app is built apart from the runtime"
    build_stage = image.stages[0]
    assert build_stage.startswith("node:")
    assert " AS " in build_stage.upper()
    stage_name = build_stage.split()[-1]
    assert "npm ci" in text
    assert "npm run build" in text
    copied = re.search(rf"COPY --from={stage_name} (\S+) (\S+)", text)
    assert copied, "the built web app is copied into the runtime image"
    assert copied.group(1).endswith("/dist")
    web_dir = image.env["VORI_GATEWAY__WEB_DIR"]
    assert web_dir == "/app/web/dist"
    assert "WORKDIR /app" in text.rsplit("\nFROM ", 1)[1]
    assert copied.group(2) in ("./web/dist", "web/dist", web_dir)


def _dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + "(?:/.*)?")  # a directory excludes everything under it


def _ignored(path: str) -> bool:
    """Docker's rule: the last matching pattern wins, `!` re-includes."""
    ignored = False
    for pattern in _dockerignore_patterns():
        negated = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        if _pattern_regex(body).fullmatch(path):
            ignored = not negated
    return ignored


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".vori/models/base/model.bin",
        ".vori/postgres/password",
        "web/node_modules/vite/package.json",
        "web/dist/index.html",
        "bench/results/ingest.json",
        "vori/__pycache__/settings.cpython-311.pyc",
        ".mypy_cache/3.11/x.json",
        ".env",
    ],
)
def test_the_build_context_leaves_out_local_state(path: str) -> None:
    assert _ignored(path), path


def test_the_build_context_keeps_what_the_dockerfile_copies() -> None:
    sources: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    assert sources, "the Dockerfile copies sources"
    for source in sources:
        assert not _ignored(source.rstrip("/").removeprefix("./")), source
    for path in ("web/src/main.tsx", "web/package-lock.json", "vori/settings.py"):
        assert not _ignored(path), path


def test_only_the_tls_proxy_publishes_ports() -> None:
    compose = _compose()
    published = {name for name, spec in compose["services"].items() if spec.get("ports")}
    assert published == {"proxy"}
    ports = {str(port).split("/")[0] for port in compose["services"]["proxy"]["ports"]}
    assert ports == {"80:80", "443:443"}  # 80 only answers ACME and redirects to https


def test_internal_services_are_only_on_the_internal_network() -> None:
    compose = _compose()
    assert compose["networks"]["backend"].get("internal") is True
    for name, spec in compose["services"].items():
        networks = spec.get("networks")
        assert networks, f"{name} would join the default (non-internal) network"
        assert "backend" in networks, name
    for name in (*INTERNAL_ONLY, "gateway", "transcriber", "init"):
        assert list(compose["services"][name]["networks"]) == ["backend"], name


def test_admin_override_publishes_dashboards_on_loopback_only() -> None:
    override = load_compose({}, REPO / "infra" / "compose.admin.yml")
    for name, spec in override["services"].items():
        for port in spec.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"


def test_no_secret_has_a_default() -> None:
    text = COMPOSE_FILE.read_text()
    required = required_variables(text)
    assert {"VORI_JWT_SECRET", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"} <= required
    for variable in ("VORI_JWT_SECRET", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"):
        without = {k: v for k, v in OPERATOR_ENV.items() if k != variable}
        with pytest.raises(MissingVariableError, match=variable):
            interpolate(text, without)
        with pytest.raises(MissingVariableError, match=variable):
            interpolate(text, {**OPERATOR_ENV, variable: ""})
    raw = load_compose()
    for name, spec in raw["services"].items():
        environment = spec.get("environment") or {}
        for key, value in environment.items():
            if SECRET_KEY.search(key) and key != "OPENAI_API_KEY":
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", str(value)), (
                    f"{name}: {key} must come from .env with no default, not {value!r}"
                )
    url = raw["x-vori-env"]["VORI_DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in url


def test_env_example_and_readme_name_every_required_variable() -> None:
    required = required_variables(COMPOSE_FILE.read_text())
    example = dict(
        line.split("=", 1)
        for line in (REPO / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert required <= set(example)
    assert all(example[name] == "" for name in required), "the example holds no secret"
    readme = (REPO / "README.md").read_text()
    deployment = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    for name in required:
        assert f"`{name}`" in deployment, name


def test_http_services_have_readiness_healthchecks_and_volumes_are_declared() -> None:
    compose = _compose()
    paths = {"gateway": "/readyz", "stream-ingest": "/healthz", "kanban": "/readyz"}
    for name, path in paths.items():
        check = " ".join(compose["services"][name]["healthcheck"]["test"])
        assert path in check, name
    for spec in compose["services"].values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in compose["volumes"], source
            else:
                assert (REPO / source).exists(), source
        for dependency in spec.get("depends_on", {}):
            assert dependency in compose["services"], dependency


def _caddy_routes(env: dict[str, str]) -> list[dict[str, Any]]:
    import json

    adapted = subprocess.run(
        ["caddy", "adapt", "--config", str(REPO / "infra/caddy/Caddyfile")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        check=True,
    )
    config = json.loads(adapted.stdout)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    routes: list[dict[str, Any]] = server["routes"]
    return routes


def test_proxy_mounts_the_caddyfile_and_gets_its_domain() -> None:
    proxy = _compose()["services"]["proxy"]
    assert "./infra/caddy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert proxy["environment"]["VORI_DOMAIN"] == "vori.example.com"
    caddyfile = (REPO / "infra/caddy/Caddyfile").read_text()
    assert "{$VORI_DOMAIN}" in caddyfile
    assert "tls {$VORI_TLS}" in caddyfile
    assert re.search(r"handle /ingest/\* \{[^}]*stream-ingest 8001", caddyfile, re.S)


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_caddy_routes_ingest_and_the_rest_to_the_right_services() -> None:
    routes = _caddy_routes({"VORI_DOMAIN": "vori.lan", "VORI_TLS": "internal"})
    assert routes[0]["match"] == [{"host": ["vori.lan"]}]
    by_path: dict[str, Any] = {}
    for route in routes[0]["handle"][0]["routes"]:
        paths = [p for m in route.get("match", []) for p in m.get("path", [])]
        handlers = route["handle"][0].get("routes", [{}])[0].get("handle", route["handle"])
        for path in paths or ["*"]:
            by_path[path] = handlers[0]
    assert by_path["/ingest/*"]["dynamic_upstreams"]["name"] == "stream-ingest"
    assert by_path["/ingest/*"]["dynamic_upstreams"]["port"] == "8001"
    assert by_path["/metrics*"] == {"handler": "static_response", "status_code": 404}
    catch_all = [h for path, h in by_path.items() if path == "*" and "dynamic_upstreams" in h]
    assert [h["dynamic_upstreams"]["name"] for h in catch_all] == ["gateway"]


def test_every_address_of_a_vori_service_is_a_port_it_declares() -> None:
    # `http://kanban:8002` in an environment must reach a port the kanban container
    # declares (`expose`): a wrong name or port there only shows once deployed.
    compose = _compose()
    vori = _vori_services(compose)
    image = read_dockerfile()
    seen = 0
    for name, spec in vori.items():
        for variable, value in effective_environment(spec, image).items():
            for host, port in re.findall(r"(?<![\w.-])([a-z][\w-]*):(\d+)\b", value):
                if host in vori:
                    declared = container_ports(vori[host])
                    assert int(port) in declared, f"{name}: {variable} names {host}:{port}"
                    seen += 1
    assert seen, "the services name each other somewhere (the gateway names kanban)"


def test_the_proxy_upstreams_are_declared_ports() -> None:
    compose = _compose()
    upstreams = re.findall(r"dynamic a (\S+) (\d+)", (REPO / "infra/caddy/Caddyfile").read_text())
    assert {host for host, _ in upstreams} == {"gateway", "stream-ingest"}
    for host, port in upstreams:
        assert int(port) in container_ports(compose["services"][host]), f"{host}:{port}"
