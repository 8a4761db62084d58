"""`vori up` smoke test: the whole local stack starts, reports ready, and SIGINT leaves nothing."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.helpers.monitoring import exposition_series, unexported_by_endpoints
from tests.helpers.ports import free_port

REPO = Path(__file__).resolve().parents[2]
READY = "all services ready"


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vori", "up"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if text in line:
            return
    raise AssertionError(f"no {text!r} within {timeout_s} s; output:\n{''.join(seen)}")


def _run_once(
    env: dict[str, str], gateway_port: int, check: Callable[[], None] | None = None
) -> tuple[float, list[str]]:
    started = time.monotonic()
    process, lines = _start(env)
    seen: list[str] = []
    try:
        _wait_for(lines, READY, seen, timeout_s=240)
        ready_after = time.monotonic() - started
        descendants = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(p.name() for p in descendants)
        assert "java" in names, names
        assert "postgres" in names, names
        ready = httpx.get(f"http://127.0.0.1:{gateway_port}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"kafka": "ok", "postgres": "ok", "consumers": "ok"}
        if check is not None:
            check()
    except BaseException:
        # Stop the whole tree, not only `vori up`: its supervised children would outlive it.
        tree = psutil.Process(process.pid).children(recursive=True)
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
        for child in tree:
            if child.is_running():
                child.kill()
        raise
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 130, "Ctrl-C exits with the conventional 128 + SIGINT"
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert alive == [], f"left running after SIGINT: {alive}"
    while True:
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            break
    return ready_after, seen


def test_vori_up_starts_everything_and_sigint_stops_everything(tmp_path: Path) -> None:
    gateway_port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "VORI_DATA_DIR": str(tmp_path / "vori-data"),
            "VORI_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "VORI_KAFKA__CONTROLLER_PORT": str(free_port()),
            "VORI_POSTGRES__PORT": str(free_port()),
            "VORI_GATEWAY__PORT": str(gateway_port),
            "VORI_INGEST__PORT": str(free_port()),
            "VORI_KANBAN__PORT": str(free_port()),
            "VORI_TRANSCRIBER__METRICS_PORT": str(free_port()),
            "VORI_SUMMARIZER__METRICS_PORT": str(free_port()),
            "VORI_TRANSCRIBER_BATCH__METRICS_PORT": str(free_port()),
            "VORI_SUMMARIZER__LOCAL_PORT": str(free_port()),
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("VORI_DATABASE_URL", None)

    data_dir = Path(env["VORI_DATA_DIR"])
    pg_port = int(env["VORI_POSTGRES__PORT"])

    def durable_and_password_protected() -> None:
        password_file = data_dir / "secrets" / "postgres-password"
        for secret in (password_file, data_dir / "secrets" / "jwt-secret"):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
        password = password_file.read_text().strip()
        conninfo = f"host=127.0.0.1 port={pg_port} user=vori dbname=vori connect_timeout=5"
        with psycopg.connect(conninfo, password=password) as conn:
            for name in ("fsync", "full_page_writes", "synchronous_commit"):
                assert conn.execute(f"SHOW {name}").fetchone() == ("on",), name
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(conninfo).close()

    metrics_ports = {
        "gateway": gateway_port,
        "stream-ingest": int(env["VORI_INGEST__PORT"]),
        "kanban": int(env["VORI_KANBAN__PORT"]),
        "transcriber": int(env["VORI_TRANSCRIBER__METRICS_PORT"]),
        "summarizer": int(env["VORI_SUMMARIZER__METRICS_PORT"]),
        "transcriber-batch": int(env["VORI_TRANSCRIBER_BATCH__METRICS_PORT"]),
    }

    def every_metric_of_the_dashboards_and_alerts_is_scraped() -> None:
        scraped = {name: _scrape(port) for name, port in metrics_ports.items()}
        assert unexported_by_endpoints(scraped) == []

    def checks() -> None:
        durable_and_password_protected()
        every_metric_of_the_dashboards_and_alerts_is_scraped()

    first_ready_s, first = _run_once(env, gateway_port, checks)
    output = "".join(first)
    for expected in (
        "kafka ready",
        "topics ready",
        "postgresql ready",
        "database schema up to date",
        "gateway ready",
        "postgresql stopped",
        "kafka stopped",
    ):
        assert expected in output, f"{expected!r} missing from:\n{output}"

    # Data is kept between runs: the second start reuses the formatted storage.
    second_ready_s, second = _run_once(env, gateway_port)
    assert "topics ready (0 created)" in "".join(second)
    print(f"\nvori up ready: first {first_ready_s:.1f} s, second {second_ready_s:.1f} s")


def _scrape(port: int, timeout_s: float = 60.0) -> dict[str, set[str]]:
    """The series a service's /metrics declares; the workers serve theirs a little after
    `vori up` reports ready (the transcriber once Kafka answers it)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
            answer.raise_for_status()
            return exposition_series(answer.text)
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_vori_up_refuses_to_start_when_a_port_is_taken(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ)
        env.update({"VORI_DATA_DIR": str(tmp_path), "VORI_GATEWAY__PORT": str(port)})
        result = subprocess.run(
            [sys.executable, "-m", "vori", "up"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"gateway port {port} is already in use" in result.stdout
    assert not (tmp_path / "kafka").exists(), "nothing may start when a port is taken"
