"""The whole vori stack as child processes for end-to-end tests.

Every service runs as `python -m vori <service>` against the session's real Kafka and
PostgreSQL (the `settings` fixture), each HTTP port and metrics port on a free loopback
port, each consumer group under a name of its own whose offsets are first moved to the
end of every topic (so a stack does not re-read what earlier tests of the session
produced). Logs go to one file per service; `tail()` shows them when a test fails.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.conftest import subprocess_env
from tests.helpers.kafka import commit_end_offsets
from tests.helpers.ports import free_port
from vori import events
from vori.services import SERVICES
from vori.settings import Settings, known_env_vars

REPO = Path(__file__).resolve().parents[2]
ALL_SERVICES = ("gateway", "stream-ingest", "kanban", "transcriber", "summarizer")
ENGINE_PORTS = {"VORI_POSTGRES__PORT", "VORI_KAFKA__CONTROLLER_PORT"}
# A known secret, so that tests can mint tokens (an expired one, say) the stack accepts.
JWT_SECRET = "e2e-secret-that-is-only-used-by-the-test-stack"
VORI_TOPICS = (
    events.AUDIO_FRAMES,
    events.TRANSCRIPT_SEGMENTS,
    events.MEETING_EVENTS,
    events.MEETING_SUMMARIES,
    events.TASKS_PROPOSED,
    events.KANBAN_CHANGES,
)
# Kafka workers log this once subscribed (vori.kafka.consumer.ConsumerLoop).
CONSUMER_READY = re.compile(r"consumer group \S+ reading")


class StackError(RuntimeError):
    """A service did not start or died; the message carries the end of its log."""


@dataclass
class ServiceProcess:
    """One running service and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class Stack:
    """Start, probe and stop vori's services; `env` is what every child gets."""

    settings: Settings
    workdir: Path
    suffix: str
    overrides: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = subprocess_env(self.settings)
        names = known_env_vars()
        for name in sorted(names):
            if name.endswith("_PORT") and name not in ENGINE_PORTS:
                env[name] = str(free_port())
        self.groups: list[str] = []
        for name in sorted(names):
            if name.endswith(("_GROUP", "_GROUP_ID", "_CONSUMER_GROUP")):
                # The whole name: several services call theirs GROUP_ID, and two services
                # in one group would split a topic's partitions between them.
                service_group = name.removeprefix("VORI_").lower().replace("__", "-")
                env[name] = f"e2e-{self.suffix}-{service_group}"
                self.groups.append(env[name])
            elif name.endswith("_GROUP_PREFIX"):
                env[name] = f"e2e-{self.suffix}-live"
        env.update(
            {
                "VORI_HOST": "127.0.0.1",
                "VORI_LOG_LEVEL": "INFO",
                "VORI_GATEWAY__JWT_SECRET": JWT_SECRET,
                "VORI_GATEWAY__WEB_DIR": str(REPO / "web" / "dist"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        # The summarizer takes the rule-based path unless a test points it at an LLM.
        for name in ("OPENAI_BASE_URL", "VORI_OPENAI_BASE_URL", "OPENAI_API_KEY"):
            env.pop(name, None)
        env.update(self.overrides)
        self.env = env

    # -- addresses ---------------------------------------------------------------------

    def port(self, variable: str) -> int:
        return int(self.env[variable])

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port('VORI_GATEWAY__PORT')}"

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.port('VORI_INGEST__PORT')}"

    @property
    def kanban_url(self) -> str:
        return f"http://127.0.0.1:{self.port('VORI_KANBAN__PORT')}"

    # -- lifecycle ---------------------------------------------------------------------

    @staticmethod
    def available(name: str) -> bool:
        """Whether the service's code exists in this checkout."""
        return SERVICES[name].available

    def start(self, names: Iterable[str] = ALL_SERVICES, timeout_s: float = 120) -> None:
        """Start the named services that exist and wait until each is ready."""
        wanted = [name for name in names if self.available(name)]
        if not self.processes:
            self._start_groups_at_end()
        for name in wanted:
            self.start_service(name)
        self.wait_ready(wanted, timeout_s)

    def start_service(self, name: str) -> ServiceProcess:
        log_path = self.workdir / f"{name}.log"
        log = log_path.open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "vori", name],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        service = ServiceProcess(name, process, log_path)
        self.processes[name] = service
        return service

    def wait_ready(self, names: Iterable[str], timeout_s: float = 120) -> None:
        """Wait for each service's health URL (HTTP services) or consumer subscription."""
        deadline = time.monotonic() + timeout_s
        for name in names:
            service = self.processes[name]
            health = SERVICES[name].health_url
            while True:
                if not service.alive():
                    raise StackError(
                        f"{name} exited with {service.process.returncode}:\n{self.tail(name)}"
                    )
                if health is not None and self._answers(self._health_url(name)):
                    break
                if health is None and CONSUMER_READY.search(service.log()):
                    break
                if time.monotonic() > deadline:
                    raise StackError(f"{name} not ready after {timeout_s} s:\n{self.tail(name)}")
                time.sleep(0.25)

    def stop_service(self, name: str, timeout_s: float = 20) -> None:
        service = self.processes.pop(name, None)
        if service is None or not service.alive():
            return
        os.killpg(service.process.pid, signal.SIGTERM)
        try:
            service.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(service.process.pid, signal.SIGKILL)
            service.process.wait(10)

    def stop(self) -> None:
        """Stop every service: SIGTERM to all at once, SIGKILL to what is left after 20 s."""
        for service in self.processes.values():
            if service.alive():
                os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for service in self.processes.values():
            try:
                service.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait(10)
        self.processes.clear()

    def tail(self, name: str | None = None, lines: int = 40) -> str:
        names = [name] if name else list(self.processes)
        out = []
        for each in names:
            path = self.workdir / f"{each}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            out.append(f"--- {each} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(out)

    # -- helpers -----------------------------------------------------------------------

    def _health_url(self, name: str) -> str:
        overrides = {
            "gateway": f"{self.gateway_url}/healthz",
            "stream-ingest": f"{self.ingest_url}/healthz",
            "kanban": f"{self.kanban_url}/healthz",
        }
        return overrides[name]

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _start_groups_at_end(self) -> None:
        for group in self.groups:
            commit_end_offsets(self.settings.kafka, group, VORI_TOPICS)
