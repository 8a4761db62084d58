"""`vori up` heals itself: a SIGKILLed service comes back, the others keep running.

The first test runs the real stack as `make run` does; the second drives the supervisor
with small real processes to prove the give-up path without a stack.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.helpers.ports import free_port
from tests.integration.test_vori_up import READY, _start, _wait_for
from vori.local.restarts import RestartPolicy
from vori.local.supervisor import Supervisor

SERVICES = ("gateway", "stream-ingest", "transcriber", "summarizer", "kanban")


def _stack_env(data_dir: Path) -> dict[str, str]:
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
        }
    )
    env.pop("DATABASE_URL", None)
    env.pop("VORI_DATABASE_URL", None)
    return env


def _service_pids(up_pid: int) -> dict[str, int]:
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


def _restarted_pid(seen: list[str], name: str) -> int:
    """The pid the supervisor said it restarted `name` with."""
    for line in reversed(seen):
        found = re.search(rf"{name} restarted \(pid (\d+)\)", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"no restart of {name} in:\n{''.join(seen)}")


def _services_running(up_pid: int, timeout_s: float, seen: list[str]) -> dict[str, int]:
    """Every service's pid once all are found; a fresh process may take a moment to show."""
    deadline = time.monotonic() + timeout_s
    while True:
        pids = _service_pids(up_pid)
        if set(pids) == set(SERVICES) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(pids) == set(SERVICES), f"running: {pids}; output:\n{''.join(seen)}"
    return pids


def _ready_after(url: str, since: float, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.monotonic() - since
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready {timeout_s} s after the kill")


def test_a_killed_service_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    env = _stack_env(tmp_path / "vori-data")
    kanban_readyz = f"http://127.0.0.1:{env['VORI_KANBAN__PORT']}/readyz"
    process, lines = _start(env)
    seen: list[str] = []
    try:
        _wait_for(lines, READY, seen, timeout_s=240)
        before = _services_running(process.pid, 10, seen)

        killed_at = time.monotonic()
        os.kill(before["kanban"], signal.SIGKILL)
        _wait_for(lines, "kanban killed by SIGKILL; restarting in 1 s", seen, timeout_s=10)
        kanban_ready_s = _ready_after(kanban_readyz, killed_at, timeout_s=60)
        _wait_for(lines, "kanban ready again", seen, timeout_s=10)

        killed_at = time.monotonic()
        os.kill(before["summarizer"], signal.SIGKILL)
        _wait_for(lines, "summarizer killed by SIGKILL; restarting in 1 s", seen, timeout_s=10)
        _wait_for(lines, "summarizer restarted (pid", seen, timeout_s=10)
        summarizer_back_s = time.monotonic() - killed_at

        after = _services_running(process.pid, 10, seen)
        assert after["summarizer"] == _restarted_pid(seen, "summarizer")
        assert after["kanban"] == _restarted_pid(seen, "kanban")
        for name in ("kanban", "summarizer"):
            assert after[name] != before[name], f"{name} was not restarted"
            assert psutil.Process(after[name]).is_running()
        unchanged = {n: p for n, p in before.items() if n not in ("kanban", "summarizer")}
        assert {n: after[n] for n in unchanged} == unchanged, "a crash disturbed the others"
        gateway = httpx.get(f"http://127.0.0.1:{env['VORI_GATEWAY__PORT']}/readyz", timeout=10)
        assert gateway.status_code == 200, gateway.text
        descendants = psutil.Process(process.pid).children(recursive=True)
    except BaseException:
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
    assert process.wait(60) == 130
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert alive == [], f"left running after SIGINT: {alive}"
    while True:
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            break
    output = "".join(seen)
    for expected in ("postgresql stopped", "kafka stopped"):
        assert expected in output, f"{expected!r} missing from:\n{output}"
    print(
        f"\nkanban /readyz again {kanban_ready_s:.1f} s after SIGKILL; "
        f"summarizer process back {summarizer_back_s:.1f} s after SIGKILL"
    )


def test_a_service_that_keeps_crashing_stops_the_stack_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said: list[str] = []
    supervisor = Supervisor(RestartPolicy(3, 60, first_delay_s=0.05), said.append)
    supervisor.add("crasher", [sys.executable, "-c", "import sys; sys.exit(3)"], os.environ)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    supervisor.add("steady", sleeper, os.environ)
    started = time.monotonic()
    code = supervisor.run()
    assert code == 1
    assert time.monotonic() - started < 10, "SIGTERM must stop the steady one quickly"
    assert said[:4] == [
        "crasher exited with code 3; restarting in 0.05 s (crash 1 of 3 allowed within 60 s)",
        f"crasher restarted (pid {said[1].rsplit(' ', 1)[1]}",
        "crasher exited with code 3; restarting in 0.1 s (crash 2 of 3 allowed within 60 s)",
        f"crasher restarted (pid {said[3].rsplit(' ', 1)[1]}",
    ]
    assert said[4].startswith("crasher exited with code 3; it crashed 3 times within 60 s")
    assert "gives up and stops everything" in said[4]
    assert supervisor.pid("steady") is None
