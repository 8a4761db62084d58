"""`vori up` as a child process: its environment, its output, and its services' processes."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

from tests.helpers.ports import free_port

REPO = Path(__file__).resolve().parents[2]
READY = "all services ready"
SERVICES = ("gateway", "stream-ingest", "transcriber", "summarizer", "kanban")


def stack_env(data_dir: Path) -> dict[str, str]:
    """An environment for a stack of its own: its data directory and free ports."""
    env = dict(os.environ)
    env.update(
        {
            "VORI_DATA_DIR": str(data_dir),
            "VORI_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}",
            "VORI_KAFKA__CONTROLLER_PORT": str(free_port()),
            "VORI_POSTGRES__PORT": str(free_port()),
            "VORI_GATEWAY__PORT": str(free_port()),
            "VORI_INGEST__PORT": str(free_port()),
            "VORI_KANBAN__PORT": str(free_port()),
            "VORI_TRANSCRIBER__METRICS_PORT": str(free_port()),
            "VORI_SUMMARIZER__METRICS_PORT": str(free_port()),
            "VORI_TRANSCRIBER_BATCH__METRICS_PORT": str(free_port()),
            "VORI_SUMMARIZER__LOCAL_PORT": str(free_port()),
            # A scheduled Spark batch run would load the machine under the test's timings.
            "VORI_ANALYTICS__BATCH_INTERVAL_S": "0",
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("VORI_DATABASE_URL", None)
    return env


def start_up(env: dict[str, str]) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """`vori up`, its output lines arriving on the queue."""
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


def wait_for(lines: queue.Queue[str], text: str, seen: list[str], timeout_s: float) -> None:
    """Until a line containing `text` (every line read is kept in `seen`)."""
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


def service_pids(up_pid: int) -> dict[str, int]:
    """The pid of each service process, found among `vori up`'s children by command line."""
    pids: dict[str, int] = {}
    for child in psutil.Process(up_pid).children(recursive=True):
        try:
            cmdline = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if cmdline[1:3] == ["-m", "vori"] and len(cmdline) == 4 and cmdline[3] in SERVICES:
            pids[cmdline[3]] = child.pid
    return pids


def services_running(up_pid: int, timeout_s: float, seen: list[str]) -> dict[str, int]:
    """Every service's pid once all are found; a fresh process may take a moment to show."""
    deadline = time.monotonic() + timeout_s
    while True:
        pids = service_pids(up_pid)
        if set(pids) == set(SERVICES) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(pids) == set(SERVICES), f"running: {pids}; output:\n{''.join(seen)}"
    return pids


def restarted_pid(seen: list[str], name: str) -> int:
    """The pid the supervisor said it restarted `name` with."""
    for line in reversed(seen):
        found = re.search(rf"{name} restarted \(pid (\d+)\)", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"no restart of {name} in:\n{''.join(seen)}")


def ready_after(url: str, since: float, timeout_s: float) -> float:
    """Seconds from `since` until `url` answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - since
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready {timeout_s} s after the kill")
