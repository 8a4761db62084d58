"""docker-compose.yml and the Dockerfile as Docker would read them, without a Docker engine.

What a container really runs is the image's ENTRYPOINT followed by the service's
`command` (or the image's CMD), with the image's ENV overlaid by the service's
`environment`, after `${VAR}` interpolation from the operator's `.env`. These helpers
compute exactly that, so tests check what would run rather than what the file says.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}; $$ is a literal $.
_INTERPOLATION = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}"
)


class MissingVariableError(ValueError):
    """A `${NAME:?message}` whose variable is unset or empty."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Substitute compose variables the way `docker compose` does."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        value = env.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":?", "?") and empty:
            raise MissingVariableError(f"{name}: {arg}")
        if op in (":-", "-") and empty:
            return arg
        return value or ""

    return _INTERPOLATION.sub(substitute, text)


def required_variables(text: str) -> set[str]:
    """Variables written `${NAME:?...}` or `${NAME?...}`: compose refuses to start without them."""
    return {
        m.group("name")
        for m in _INTERPOLATION.finditer(text)
        if m.group("name") and m.group("op") in (":?", "?")
    }


def load_compose(env: Mapping[str, str] | None = None, path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file parsed; with `env`, after interpolation (YAML anchors and `<<` merged)."""
    text = path.read_text()
    if env is not None:
        text = interpolate(text, env)
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@dataclass(frozen=True)
class ImageConfig:
    """What the final stage of a Dockerfile sets for the container."""

    entrypoint: list[str]
    cmd: list[str]
    env: dict[str, str]
    user: str | None
    stages: list[str]  # the FROM lines, in order


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return lines


def _exec_form(argument: str) -> list[str]:
    argument = argument.strip()
    if argument.startswith("["):
        parsed = json.loads(argument)
        assert isinstance(parsed, list)
        return [str(part) for part in parsed]
    return ["/bin/sh", "-c", argument]  # shell form


def read_dockerfile(path: Path = DOCKERFILE) -> ImageConfig:
    """ENTRYPOINT, CMD, ENV and USER of the Dockerfile's last stage."""
    entrypoint: list[str] = []
    cmd: list[str] = []
    env: dict[str, str] = {}
    user: str | None = None
    stages: list[str] = []
    for line in _logical_lines(path.read_text()):
        instruction, _, argument = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append(argument.strip())
            entrypoint, cmd, env, user = [], [], {}, None
        elif instruction == "ENTRYPOINT":
            entrypoint = _exec_form(argument)
            cmd = []  # Docker resets CMD when ENTRYPOINT is set after it
        elif instruction == "CMD":
            cmd = _exec_form(argument)
        elif instruction == "ENV":
            for pair in shlex.split(argument):
                key, _, value = pair.partition("=")
                env[key] = value
        elif instruction == "USER":
            user = argument.strip()
    return ImageConfig(entrypoint, cmd, env, user, stages)


def builds_from_this_repo(spec: Mapping[str, Any]) -> bool:
    """Whether a compose service runs the image built from this repository's Dockerfile."""
    return "build" in spec or str(spec.get("image", "")).startswith("vori")


def effective_command(spec: Mapping[str, Any], image: ImageConfig) -> list[str]:
    """The argv a container of this service runs: ENTRYPOINT + (command or CMD)."""
    if "entrypoint" in spec:
        entrypoint = spec["entrypoint"]
        entrypoint = _exec_form(entrypoint) if isinstance(entrypoint, str) else list(entrypoint)
        default_cmd: list[str] = []  # compose: a new entrypoint drops the image's CMD
    else:
        entrypoint, default_cmd = image.entrypoint, image.cmd
    if "command" in spec:
        command = spec["command"]
        command = _exec_form(command) if isinstance(command, str) else list(command)
    else:
        command = default_cmd
    return [str(part) for part in [*entrypoint, *command]]


def effective_environment(spec: Mapping[str, Any], image: ImageConfig) -> dict[str, str]:
    """The image's ENV overlaid by the service's `environment` (a map or a KEY=VALUE list)."""
    env = dict(image.env)
    declared = spec.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.partition("=")[::2] for item in declared)
    for key, value in declared.items():
        if value is None:
            value = ""
        elif isinstance(value, bool):  # YAML true/false reach the container as text
            value = str(value).lower()
        env[str(key)] = str(value)
    return env
