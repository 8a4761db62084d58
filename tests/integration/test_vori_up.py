"""`vori up` smoke test: the whole local stack starts, reports ready, heals a SIGKILLed
service while the others keep running, and SIGINT leaves nothing."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from tests.helpers.monitoring import exposition_series, unexported_by_endpoints
from tests.helpers.vori_up import (
    READY,
    REPO,
    ready_after,
    restarted_pid,
    services_running,
    stack_env,
    start_up,
    wait_for,
)

# A check run while the stack is up: given `vori up`, its output and the lines read so far.
Check = Callable[[subprocess.Popen[str], queue.Queue[str], list[str]], None]


def _run_once(
    env: dict[str, str], gateway_port: int, check: Check | None = None
) -> tuple[float, list[str]]:
    started = time.monotonic()
    process, lines = start_up(env)
    seen: list[str] = []
    try:
        wait_for(lines, READY, seen, timeout_s=240)
        ready_after = time.monotonic() - started
        descendants = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(p.name() for p in descendants)
        assert "java" in names, names
        assert "postgres" in names, names
        ready = httpx.get(f"http://127.0.0.1:{gateway_port}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"kafka": "ok", "postgres": "ok", "consumers": "ok"}
        if check is not None:
            check(process, lines, seen)
            descendants = psutil.Process(process.pid).children(recursive=True)  # restarts
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
    env = stack_env(tmp_path / "vori-data")
    gateway_port = int(env["VORI_GATEWAY__PORT"])

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

    def checks(*_: object) -> None:
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
    healed: list[str] = []
    kanban_readyz = f"http://127.0.0.1:{env['VORI_KANBAN__PORT']}/readyz"
    gateway_readyz = f"http://127.0.0.1:{gateway_port}/readyz"

    def killed_services_come_back(
        process: subprocess.Popen[str], lines: queue.Queue[str], seen: list[str]
    ) -> None:
        before = services_running(process.pid, 10, seen)
        killed_at = time.monotonic()
        os.kill(before["kanban"], signal.SIGKILL)
        wait_for(lines, "kanban killed by SIGKILL; restarting in 1 s", seen, timeout_s=10)
        kanban_ready_s = ready_after(kanban_readyz, killed_at, timeout_s=60)
        wait_for(lines, "kanban ready again", seen, timeout_s=10)

        killed_at = time.monotonic()
        os.kill(before["summarizer"], signal.SIGKILL)
        wait_for(lines, "summarizer killed by SIGKILL; restarting in 1 s", seen, timeout_s=10)
        wait_for(lines, "summarizer restarted (pid", seen, timeout_s=10)
        summarizer_back_s = time.monotonic() - killed_at

        after = services_running(process.pid, 10, seen)
        for name in ("kanban", "summarizer"):
            assert after[name] == restarted_pid(seen, name)
            assert after[name] != before[name], f"{name} was not restarted"
            assert psutil.Process(after[name]).is_running()
        unchanged = {n: p for n, p in before.items() if n not in ("kanban", "summarizer")}
        assert {n: after[n] for n in unchanged} == unchanged, "a crash disturbed the others"
        gateway = httpx.get(gateway_readyz, timeout=10)
        assert gateway.status_code == 200, gateway.text
        healed.append(
            f"kanban /readyz again {kanban_ready_s:.1f} s after SIGKILL; "
            f"summarizer process back {summarizer_back_s:.1f} s after SIGKILL"
        )

    second_ready_s, second = _run_once(env, gateway_port, killed_services_come_back)
    assert "topics ready (0 created)" in "".join(second)
    print(f"\nvori up ready: first {first_ready_s:.1f} s, second {second_ready_s:.1f} s; {healed}")


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
