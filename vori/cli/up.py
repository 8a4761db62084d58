"""`vori up`: the whole local stack in one process tree that Ctrl-C stops completely.

Kafka and PostgreSQL are started first, in order, and checked; topics and migrations are
applied; then a supervisor runs every service and restarts one that crashes, with
back-off, while the others keep running; a service that keeps crashing (VORI_UP__* sets
how often within how long) stops the stack rather than leave it half-working. A watcher
prints one line per service when its health endpoint answers, again after a restart.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import httpx

from vori.auth import jwt_secret_problem
from vori.cli.local_secrets import with_local_secrets
from vori.db.migrate import upgrade
from vori.kafka.topics import ensure_topics, wait_for_kafka
from vori.local.kafka_broker import KafkaBroker, MissingToolError
from vori.local.monitoring import prometheus_command, write_prometheus_config
from vori.local.postgres import LocalPostgres
from vori.local.restarts import RestartPolicy
from vori.local.supervisor import Supervisor
from vori.services import SERVICES, Service
from vori.settings import Settings

log = logging.getLogger("vori.up")


def say(line: str) -> None:
    """A status line for the person at the terminal."""
    print(f"vori | {line}", flush=True)


def run_stack(
    settings: Settings, only: list[str] | None = None, *, monitoring: bool = False
) -> int:
    """Run everything until Ctrl-C or SIGTERM; returns the exit code."""
    data_dir = settings.data_dir.resolve()
    broker: KafkaBroker | None = None
    postgres: LocalPostgres | None = None
    started = time.monotonic()
    busy = _busy_ports(settings, monitoring)
    if busy:
        say(
            "cannot start: "
            + "; ".join(f"{what} port {port} is already in use" for what, port in busy)
            + " (another `vori up` running? change the ports with the VORI_* settings)"
        )
        return 2
    settings, secret_env = with_local_secrets(settings, data_dir)
    problem = jwt_secret_problem(settings)
    if problem is not None:
        say(f"cannot start: {problem}")
        return 2
    try:
        if settings.kafka.embedded:
            broker = KafkaBroker.from_settings(settings.kafka, data_dir / "kafka")
            broker.start()
            say(f"kafka ready at {broker.bootstrap_servers} (pid {broker.process.pid})")  # type: ignore[union-attr]
        else:
            wait_for_kafka(settings.kafka)
            say(f"kafka reachable at {settings.kafka.bootstrap_servers} (external)")
        created = ensure_topics(settings.kafka)
        say(f"topics ready ({len(created)} created)")
        if settings.uses_local_postgres:
            postgres = local_postgres(settings, data_dir)
            postgres.start()
            where = f"{settings.host}:{postgres.port}"
            say(f"postgresql ready at {where} (pid {postgres.process.pid})")  # type: ignore[union-attr]
        upgrade(settings)
        say("database schema up to date")
        services = _select(only, settings)
        batch = not only  # `--only` runs just the services named
        return _supervise(settings, services, started, secret_env, monitoring, batch=batch)
    except MissingToolError as exc:
        say(str(exc))
        return 2
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        if postgres is not None:
            postgres.stop()
            say("postgresql stopped")
        if broker is not None:
            broker.stop()
            say("kafka stopped")


def local_postgres(settings: Settings, data_dir: Path) -> LocalPostgres:
    """The local server of `vori up`: durable (fsync, full pages, synchronous commits) and
    password-protected; the fast, trusting configuration is for the test fixtures only."""
    pg = settings.postgres
    if pg.password is None:
        raise ValueError("the local PostgreSQL server of `vori up` needs a password")
    return LocalPostgres(
        data_dir / "postgres",
        pg.port,
        pg.user,
        pg.database,
        host=settings.host,
        password=pg.password.get_secret_value(),
        durable=True,
    )


def _busy_ports(settings: Settings, monitoring: bool = False) -> list[tuple[str, int]]:
    """Ports this stack would listen on that something else already holds."""
    wanted: list[tuple[str, int]] = []
    if settings.kafka.embedded:
        port = int(settings.kafka.bootstrap_servers.split(",")[0].rpartition(":")[2])
        wanted += [("kafka", port), ("kafka controller", settings.kafka.controller_port)]
    if settings.uses_local_postgres:
        wanted.append(("postgresql", settings.postgres.port))
    wanted += [
        ("gateway", settings.gateway.port),
        ("stream-ingest", settings.ingest.port),
        ("kanban", settings.kanban.port),
    ]
    if settings.transcriber.metrics_port:
        wanted.append(("transcriber metrics", settings.transcriber.metrics_port))
    if settings.summarizer.metrics_port:
        wanted.append(("summarizer metrics", settings.summarizer.metrics_port))
    if settings.transcriber_batch.metrics_port:
        wanted.append(("transcriber-batch metrics", settings.transcriber_batch.metrics_port))
    if settings.summarizer.llm == "local":
        wanted.append(("local LLM", settings.summarizer.local_port))
    if monitoring:
        wanted.append(("prometheus", settings.up.prometheus_port))
    return [(what, port) for what, port in wanted if _in_use(settings.host, port)]


def _in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _select(only: list[str] | None, settings: Settings) -> list[Service]:
    """The services to run: those named, or every one its settings leave switched on."""
    if only:
        wanted = [SERVICES[name] for name in only]
    else:
        wanted = []
        for service in SERVICES.values():
            if service.enabled is None or service.enabled(settings):
                wanted.append(service)
            else:
                say(f"{service.name}: switched off in the settings, not started")
    available = [service for service in wanted if service.available]
    for service in wanted:
        if not service.available:
            say(f"{service.name}: not part of this build yet, skipped")
    return available


def _supervise(
    settings: Settings,
    services: list[Service],
    started: float,
    secret_env: dict[str, str],
    monitoring: bool = False,
    *,
    batch: bool = False,
) -> int:
    policy = RestartPolicy(settings.up.max_crashes, settings.up.crash_window_s)
    by_name = {s.name: s for s in services}
    supervisor: Supervisor

    def announce_again(name: str, pid: int, crashed_at: float) -> None:
        service = by_name.get(name)
        if service is not None and service.health_url is not None:
            args = (settings, service, supervisor, pid, crashed_at)
            threading.Thread(target=_announce_ready_again, args=args, daemon=True).start()

    supervisor = Supervisor(policy, say, on_restart=announce_again)
    # Services read their settings from VORI_* variables like anywhere else, so the
    # inherited environment is passed on with the secrets.
    env = {**os.environ, **secret_env}
    for service in services:
        supervisor.add(service.name, [sys.executable, "-m", "vori", service.name], env)
    if settings.summarizer.llm == "local" and "summarizer" in by_name:
        # Installs the model once (hash checked), then serves it below the transcriber's priority.
        supervisor.add("llm", [sys.executable, "-m", "summarizer.local_llm", "serve"], env)
        say(f"local LLM on port {settings.summarizer.local_port}: rules until it is up")
    if batch:
        _add_batch_analytics(settings, supervisor, env)
    if monitoring:
        _add_prometheus(settings, services, supervisor, env)
    watcher = threading.Thread(
        target=_announce_ready, args=(settings, services, started), daemon=True
    )
    watcher.start()
    return supervisor.run()


def _add_batch_analytics(settings: Settings, supervisor: Supervisor, env: dict[str, str]) -> None:
    """The batch analytics (`vori analytics schedule`): the web app's analytics pages and
    the report read what they write."""
    analytics = settings.analytics
    if analytics.batch_interval_s <= 0:
        say("analytics-batch: switched off in the settings (VORI_ANALYTICS__BATCH_INTERVAL_S=0)")
        return
    argv = [sys.executable, "-m", "vori", "analytics", "schedule"]
    supervisor.add("analytics-batch", argv, env)
    say(
        f"analytics-batch: `vori analytics run` {analytics.batch_first_delay_s:g} s from now, "
        f"then {analytics.batch_interval_s:g} s after each run ended (niced; "
        "VORI_ANALYTICS__BATCH_INTERVAL_S=0 switches it off)"
    )


def _add_prometheus(
    settings: Settings, services: list[Service], supervisor: Supervisor, env: dict[str, str]
) -> None:
    """A local Prometheus over the services' metrics, where the binary is installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        say("monitoring: `prometheus` is not installed (Debian: apt-get install prometheus)")
        return
    folder = settings.data_dir.resolve() / "prometheus"
    config = write_prometheus_config(settings, services, folder)
    port = settings.up.prometheus_port
    argv = prometheus_command(binary, config, folder / "data", settings.host, port)
    supervisor.add("prometheus", argv, env)
    say(f"prometheus at http://{settings.host}:{port} (config {config})")


def _announce_ready_again(
    settings: Settings, service: Service, supervisor: Supervisor, pid: int, crashed_at: float
) -> None:
    """One line when a restarted service answers its health endpoint again."""
    assert service.health_url is not None
    url = service.health_url(settings)
    deadline = time.monotonic() + 120
    with httpx.Client(timeout=1.0) as client:
        # Stops watching if this process is gone: its successor has a watcher of its own.
        while supervisor.pid(service.name) == pid and time.monotonic() < deadline:
            try:
                if client.get(url).status_code == 200:
                    after = time.monotonic() - crashed_at
                    say(f"{service.name} ready again, {after:.1f} s after it crashed")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)


def _announce_ready(settings: Settings, services: list[Service], started: float) -> None:
    """Print a line per service as its health endpoint answers, then the app's URL."""
    pending = {s.name: s for s in services if s.health_url is not None}
    for service in services:
        if service.health_url is None:
            say(f"{service.name} started")
    deadline = time.monotonic() + 120
    with httpx.Client(timeout=1.0) as client:
        while pending and time.monotonic() < deadline:
            for name, service in list(pending.items()):
                assert service.health_url is not None
                try:
                    if client.get(service.health_url(settings)).status_code == 200:
                        say(f"{name} ready at {service.health_url(settings).rsplit('/', 1)[0]}")
                        del pending[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
    if pending:
        say(f"not ready after 120 s: {', '.join(pending)}")
        return
    elapsed = time.monotonic() - started
    urls = [s.public_url(settings) for s in services if s.public_url is not None]
    where = f": open {urls[0]}" if urls else ""
    say(f"all services ready in {elapsed:.1f} s{where} (Ctrl-C stops everything)")
