"""docker-compose.yml run without Docker: every vori service as an OS process, exactly as
its container would run it, with compose's host names and ports mapped to loopback.

What a container runs is resolved by `tests.helpers.compose` (ENTRYPOINT + command, image
ENV + compose environment). The only changes made here are the ones a single host needs
instead of a container network, all derived from the compose file and the Dockerfile,
none written per service:

- host names: every `service:port` in an environment value, healthcheck or the Caddyfile
  becomes `127.0.0.1:<loopback port>`; the engines (`kafka`, `postgres`) map to the test
  session's real broker and server, every other container port to a free loopback port;
- listening ports: a service that declares a container port (`expose`, `ports`) is told
  to listen on its loopback port through the setting whose default is that port (the
  container listens on the default; two containers may share it, two processes may not);
- files: the image's filesystem is rebuilt under a work directory: the final stage's
  `COPY` sources into its WORKDIR (with the built web app), vori installed from there with
  `pip install --no-deps .` as the Dockerfile does (so package data missing from the wheel
  shows), named volumes and the image's own directories as plain directories.

The process environment is that and nothing of the caller's: PATH (the test virtualenv
stands for the image's site-packages, PYTHONPATH for the installed copy of vori), HOME, LANG.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.compose import (
    COMPOSE_FILE,
    DOCKERFILE,
    REPO,
    builds_from_this_repo,
    effective_command,
    effective_environment,
    interpolate,
    read_dockerfile,
)
from tests.helpers.kafka import commit_end_offsets
from tests.helpers.ports import free_port
from tests.helpers.stack import CONSUMER_READY, VORI_TOPICS
from vori.settings import KafkaSettings, describe_settings

CADDYFILE = REPO / "infra" / "caddy" / "Caddyfile"
LOOPBACK = "127.0.0.1"
VENV_BIN = Path(sys.executable).parent


class ComposeError(RuntimeError):
    """The compose file cannot be run as written (a deployment bug), or a service failed."""


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Compose's merge of several files: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_project(
    operator_env: Mapping[str, str], overrides: Iterable[Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """docker-compose.yml, interpolated, and an operator's override files merged over it
    (`docker compose -f docker-compose.yml -f override.yml`)."""
    project: dict[str, Any] = yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), operator_env))
    for extra in overrides:
        project = _deep_merge(project, extra)
    return project


def container_ports(spec: Mapping[str, Any]) -> set[int]:
    """Ports a service's container listens on, as its compose entry declares them."""
    ports = {int(str(port).split("/")[0]) for port in spec.get("expose", [])}
    for port in spec.get("ports", []):
        ports.add(int(str(port).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def port_setting(container_port: int) -> str:
    """The one `*_PORT` setting whose default is this port: what makes vori listen on it."""
    found = [
        variable
        for variable, default, _ in describe_settings()
        if variable.endswith("_PORT") and default == str(container_port)
    ]
    if len(found) != 1:
        raise ComposeError(
            f"container port {container_port}: no single setting defaults to it ({found})"
        )
    return found[0]


def lock_drift(lock: Path = REPO / "requirements.lock") -> list[str]:
    """Where this virtualenv differs from what the image installs (`requirements.lock`)
    in what vori needs at run time, transitively: it stands for the image's site-packages."""
    pinned = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", lock.read_text(), re.M)
    }
    drift: list[str] = []
    seen: set[str] = set()
    todo = ["vori"]
    while todo:
        for text in metadata.requires(todo.pop()) or []:
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            name = canonicalize_name(requirement.name)
            if name in seen:
                continue
            seen.add(name)
            try:
                installed = metadata.version(name)
            except metadata.PackageNotFoundError:
                drift.append(f"{name}: not installed")
                continue
            if pinned.get(name) != installed:
                drift.append(f"{name}: {installed} here, {pinned.get(name)} in the lock")
            todo.append(name)
    return drift


def _dependencies(spec: Mapping[str, Any]) -> dict[str, str]:
    """depends_on as {service: condition}."""
    declared = spec.get("depends_on") or {}
    if isinstance(declared, list):
        return {name: "service_started" for name in declared}
    return {
        name: (cond or {}).get("condition", "service_started") for name, cond in declared.items()
    }


def _final_stage(text: str) -> str:
    return "FROM " + text.rsplit("\nFROM ", 1)[1]


@dataclass
class ComposeService:
    """One vori service of the compose file, resolved for this host."""

    name: str
    argv: list[str]
    env: dict[str, str]
    healthcheck: list[str] | None
    depends_on: dict[str, str]
    one_shot: bool  # another service waits for it to complete (`init`)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    started_at: float = 0.0
    ready_s: float | None = None
    restarts: int = 0
    log_offset: int = 0  # where this run's output starts in the log

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_bytes().decode(errors="replace")


@dataclass
class ComposeStack:
    """The compose file's vori services as processes against the session's engines.

    `engines` maps an engine service of the compose file (`kafka`, `postgres`) to the
    loopback port of the test session's real server that stands for its container port;
    `excluded` names the services that do not run here, each with the reason.
    """

    workdir: Path
    operator_env: Mapping[str, str]
    engines: Mapping[str, int]
    excluded: dict[str, str]
    kafka: KafkaSettings
    overrides: tuple[Mapping[str, Any], ...] = ()
    services: dict[str, ComposeService] = field(default_factory=dict)
    ports: dict[tuple[str, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.project = load_project(self.operator_env, self.overrides)
        self.image = read_dockerfile()
        all_services: dict[str, Any] = self.project["services"]
        self.hosts = set(all_services)
        missing = set(self.engines) - set(all_services)
        if missing:
            raise ComposeError(f"engines that are not services of the compose file: {missing}")
        self.excluded = self._with_dependents(dict(self.excluded), all_services)
        for name, spec in all_services.items():
            if name in self.engines:
                for port in container_ports(spec) or self._referenced_ports(name):
                    self.ports[(name, port)] = self.engines[name]
            else:  # an excluded service's ports lead nowhere, as a stopped container's do
                for port in container_ports(spec) or self._referenced_ports(name):
                    self.ports[(name, port)] = free_port()
        self.app_dir, self.site = self._install_image()
        self.services = self._resolve_all(self.project)

    def _with_dependents(
        self, excluded: dict[str, str], all_services: Mapping[str, Any]
    ) -> dict[str, str]:
        """The excluded services and, transitively, every service that depends on one."""
        changed = True
        while changed:
            changed = False
            for name, spec in all_services.items():
                needs = [dep for dep in _dependencies(spec) if dep in excluded]
                if name not in excluded and needs:
                    excluded[name] = f"depends on {', '.join(needs)}, which does not run here"
                    changed = True
        return excluded

    def _resolve_all(self, project: Mapping[str, Any]) -> dict[str, ComposeService]:
        all_services: Mapping[str, Any] = project["services"]
        waited_for = {
            dep
            for spec in all_services.values()
            for dep, cond in _dependencies(spec).items()
            if cond == "service_completed_successfully"
        }
        resolved: dict[str, ComposeService] = {}
        for name, spec in all_services.items():
            if name in self.engines or name in self.excluded:
                continue
            if not builds_from_this_repo(spec):
                raise ComposeError(f"{name} ({spec.get('image')}) is neither run nor excluded")
            resolved[name] = self._resolve(name, spec, one_shot=name in waited_for)
        return resolved

    def reconfigure(self, *overrides: Mapping[str, Any], timeout_s: float = 180) -> list[str]:
        """`docker compose -f ... -f override.yml up -d`: recreate the services whose
        command or environment the overrides change; returns their names."""
        self.project = load_project(self.operator_env, (*self.overrides, *overrides))
        self.overrides = (*self.overrides, *overrides)
        changed = []
        for name, service in self._resolve_all(self.project).items():
            old = self.services[name]
            if (service.argv, service.env) == (old.argv, old.env) or service.one_shot:
                continue
            self.kill(name, signal.SIGTERM)
            self.services[name] = service
            self.launch(name)
            changed.append(name)
        self.wait_ready(changed, timeout_s)
        return changed

    # -- resolution ----------------------------------------------------------------------

    def _referenced_ports(self, host: str) -> set[int]:
        text = COMPOSE_FILE.read_text()
        return {int(port) for port in re.findall(rf"\b{re.escape(host)}:(\d+)\b", text)}

    def map_hosts(self, text: str, own: str | None = None) -> str:
        """`service:port` (and, for `own`, `127.0.0.1:port`/`localhost:port`) to loopback."""

        def to_loopback(match: re.Match[str]) -> str:
            host, port = match.group(1), int(match.group(2))
            service = own if host in (LOOPBACK, "localhost") else host
            assert service is not None
            if (service, port) not in self.ports:
                raise ComposeError(
                    f"{own or 'a setting'} refers to {host}:{port}, which no service listens on"
                )
            return f"{LOOPBACK}:{self.ports[(service, port)]}"

        hosts = set(self.hosts) | ({LOOPBACK, "localhost"} if own else set())
        names = "|".join(re.escape(h) for h in sorted(hosts, key=len, reverse=True))
        return re.sub(rf"(?<![\w.-])({names}):(\d+)\b", to_loopback, text)

    def _container_root(self, name: str) -> Path:
        return self.workdir / "containers" / name

    def map_paths(self, name: str, value: str, spec: Mapping[str, Any]) -> str:
        """Container paths to their stand-ins: volumes, the WORKDIR, the image's directories."""
        mounts: dict[str, Path] = {}
        for volume in spec.get("volumes", []):
            source, target = str(volume).split(":")[:2]
            if source.startswith("."):
                mounts[target] = (REPO / source).resolve()
            else:
                mounts[target] = self.workdir / "volumes" / source
        mounts.setdefault(self.workdir_in_image, self.app_dir)
        for directory in self.image_dirs:
            mounts.setdefault(directory, self._container_root(name) / directory.lstrip("/"))
        for target in sorted(mounts, key=len, reverse=True):
            if value == target or value.startswith(target + "/"):
                mounts[target].mkdir(parents=True, exist_ok=True)
                return str(mounts[target]) + value[len(target) :]
        return value

    def _resolve(self, name: str, spec: Mapping[str, Any], one_shot: bool) -> ComposeService:
        argv = effective_command(spec, self.image)
        program = shutil.which(argv[0], path=str(VENV_BIN))
        if program is None:
            raise ComposeError(f"{name} runs {argv[0]!r}, which is not installed")
        env: dict[str, str] = {}
        for key, value in effective_environment(spec, self.image).items():
            env[key] = self.map_paths(name, self.map_hosts(value), spec)
        for port in container_ports(spec):
            env[port_setting(port)] = str(self.ports[(name, port)])
        home = self._container_root(name) / "home"
        home.mkdir(parents=True, exist_ok=True)
        env.update(
            {
                "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
                "PYTHONPATH": str(self.site),
                "HOME": str(home),
                "LANG": "C.UTF-8",
            }
        )
        check = spec.get("healthcheck", {}).get("test")
        healthcheck: list[str] | None = None
        if check:
            kind, *rest = [self.map_hosts(str(part), own=name) for part in check]
            healthcheck = ["/bin/sh", "-c", rest[0]] if kind == "CMD-SHELL" else rest
        depends = {
            dep: cond
            for dep, cond in _dependencies(spec).items()
            if dep not in self.engines and dep not in self.excluded
        }
        return ComposeService(name, [program, *argv[1:]], env, healthcheck, depends, one_shot)

    def _install_image(self) -> tuple[Path, Path]:
        """The final stage's WORKDIR with what it COPYs, and vori installed from it."""
        stage = _final_stage(DOCKERFILE.read_text())
        workdirs = re.findall(r"^WORKDIR (\S+)", stage, re.M)
        self.workdir_in_image = workdirs[-1]
        self.image_dirs = sorted(
            {d for line in re.findall(r"mkdir -p ([^&\\\n]+)", stage) for d in line.split()}
        )
        app = self.workdir / "image" / "app"
        app.mkdir(parents=True, exist_ok=True)
        for line in stage.splitlines():
            if not line.startswith("COPY "):
                continue
            parts = shlex.split(line)
            *sources, target = parts[1:]
            built = [s for s in sources if s.startswith("--from=")]
            sources = [s for s in sources if not s.startswith("--")]
            if built:  # the web app built by its own stage: `make web`'s output
                sources = ["web/dist"]
            destination = app / target
            for source in sources:
                path = REPO / source
                if not path.exists():
                    raise ComposeError(f"the Dockerfile copies {source}, which is missing")
                if path.is_dir():
                    shutil.copytree(  # a directory's contents, as COPY does
                        path,
                        destination,
                        dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                    )
                else:
                    destination.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, destination / path.name)
        site = self.workdir / "image" / "site-packages"
        pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q"]
        installed = subprocess.run(
            [*pip, "--target", str(site), str(app)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if installed.returncode != 0:
            raise ComposeError(f"pip install of the image's copy failed:\n{installed.stderr}")
        return app, site

    # -- running -------------------------------------------------------------------------

    def start(self, timeout_s: float = 180) -> None:
        """Every service in depends_on order; a one-shot service must exit 0 first."""
        for group in self._groups():
            commit_end_offsets(self.kafka, group, VORI_TOPICS)
        done: set[str] = set()
        pending = dict(self.services)
        while pending:
            ready = [s.name for s in pending.values() if set(s.depends_on) <= done]
            if not ready:
                raise ComposeError(f"depends_on cycle among {sorted(pending)}")
            for name in ready:
                self.launch(name)
            self.wait_ready(ready, timeout_s)
            done.update(ready)
            for name in ready:
                del pending[name]

    def launch(self, name: str) -> None:
        service = self.services[name]
        service.log_path = self.workdir / "logs" / f"{name}.log"
        service.log_path.parent.mkdir(parents=True, exist_ok=True)
        service.log_offset = service.log_path.stat().st_size if service.log_path.exists() else 0
        with service.log_path.open("ab") as log:
            service.started_at = time.monotonic()
            service.ready_s = None
            service.process = subprocess.Popen(
                service.argv,
                cwd=self.app_dir,
                env=service.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, names: Iterable[str], timeout_s: float = 180) -> None:
        """Until each is ready (its healthcheck passes, its consumer reads, or a one-shot
        service exited 0), noting the seconds from its launch in `ready_s`."""
        waiting = [self.services[name] for name in names]
        while waiting:
            for service in list(waiting):
                if self._ready(service):
                    service.ready_s = time.monotonic() - service.started_at
                    waiting.remove(service)
                elif time.monotonic() > service.started_at + timeout_s:
                    raise ComposeError(
                        f"{service.name} not ready after {timeout_s} s:\n{self.tail(service.name)}"
                    )
            time.sleep(0.2)

    def _ready(self, service: ComposeService) -> bool:
        assert service.process is not None
        code = service.process.poll()
        if service.one_shot and code == 0:
            return True
        if code is not None:
            raise ComposeError(f"{service.name} exited with {code}:\n{self.tail(service.name)}")
        if service.one_shot:
            return False
        if service.healthcheck is not None:
            return self._healthy(service.healthcheck)
        assert service.log_path is not None
        since_launch = service.log_path.read_bytes()[service.log_offset :]
        return CONSUMER_READY.search(since_launch.decode(errors="replace")) is not None

    @staticmethod
    def _healthy(command: list[str]) -> bool:
        try:
            return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        service = self.services[name]
        if service.process is not None and service.alive():
            os.killpg(service.process.pid, sig)
            service.process.wait(30)

    def restart(self, name: str, timeout_s: float = 180) -> float:
        """`restart: unless-stopped`: the same command and environment again; seconds to ready."""
        self.services[name].restarts += 1
        self.launch(name)
        self.wait_ready([name], timeout_s)
        ready_s = self.services[name].ready_s
        assert ready_s is not None
        return ready_s

    def stop(self) -> None:
        """SIGTERM to every running service, SIGKILL to what is left after 20 s."""
        running = [s for s in self.services.values() if s.alive()]
        for service in running:
            assert service.process is not None
            os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for service in running:
            assert service.process is not None
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait(10)

    def tail(self, name: str | None = None, lines: int = 40) -> str:
        names = [name] if name else list(self.services)
        return "\n".join(
            f"--- {each} ---\n" + "\n".join(self.services[each].log().splitlines()[-lines:])
            for each in names
        )

    # -- addresses -------------------------------------------------------------------------

    def _groups(self) -> set[str]:
        """The consumer groups the services will join (their settings, else the defaults).

        The session's broker carries every earlier test's traffic; a fresh deployment's
        Kafka carries none, so each group starts at the current end of vori's topics.
        """
        groups: set[str] = set()
        for variable, default, _ in describe_settings():
            if variable.endswith(("_GROUP", "_GROUP_ID", "_CONSUMER_GROUP")):
                values = {s.env.get(variable, default) for s in self.services.values()}
                groups |= {value for value in values if value}
        return groups

    def entry_route(self, path: str) -> str:
        """http://127.0.0.1:PORT of the service the TLS proxy routes `path` to (Caddyfile)."""
        text = CADDYFILE.read_text()
        routes = re.findall(
            r"handle (\S+)? ?\{\s*reverse_proxy \{\s*dynamic a (\S+) (\d+)", text, re.S
        )
        if not routes:
            raise ComposeError("the Caddyfile routes nothing to a service")
        for pattern, service, port in routes:
            if not pattern or re.fullmatch(pattern.replace("*", ".*"), path):
                return f"http://{LOOPBACK}:{self.ports[(service, int(port))]}"
        raise ComposeError(f"the Caddyfile routes {path} nowhere")
