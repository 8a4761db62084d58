"""The process supervisor of `vori up`: runs each service, restarts the ones that crash.

A thin shell over `subprocess`: when to restart and when to give up is decided by
`RestartPolicy`. honcho's Manager, used before, stops every process when one exits
and has no hook to restart one, which is why this exists.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

from vori.local.restarts import GiveUp, RestartPolicy

# How long services get to stop after SIGTERM before their process groups are killed.
KILL_WAIT_S = 5.0
POLL_S = 0.1
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class _Child:
    name: str
    argv: list[str]
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None
    restart_at: float | None = None
    pumps: list[threading.Thread] = field(default_factory=list)


def describe_exit(returncode: int) -> str:
    """'exited with code 1' or 'killed by SIGKILL', for the person at the terminal."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Supervisor:
    """Starts named commands, relays their output, restarts them per `policy`.

    `run` returns 130 or 143 after SIGINT or SIGTERM, 1 when the policy gives up; every
    child (and its process group) is stopped before it returns.
    """

    def __init__(
        self,
        policy: RestartPolicy,
        say: Callable[[str], None],
        on_restart: Callable[[str, int, float], None] | None = None,
    ) -> None:
        self.policy = policy
        self.say = say
        # Called with (name, new pid, monotonic time of the crash) after each restart.
        self.on_restart = on_restart
        self._children: dict[str, _Child] = {}
        self._stop_signal: int | None = None
        self._print_lock = threading.Lock()

    def add(self, name: str, argv: list[str], env: Mapping[str, str]) -> None:
        """Register a command; it starts when `run` is called."""
        if name in self._children:
            raise ValueError(f"{name} is already supervised")
        self._children[name] = _Child(name, argv, env)

    def pid(self, name: str) -> int | None:
        """The running process id of `name`, None while it waits for a restart."""
        process = self._children[name].process
        return None if process is None or process.poll() is not None else process.pid

    def run(self) -> int:
        """Supervise until a stop signal or a give-up; returns the exit code."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in SIGNAL_EXIT}
        try:
            for child in self._children.values():
                self._start(child)
            code = self._loop()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _loop(self) -> int:
        crashed_at: dict[str, float] = {}
        while self._stop_signal is None:
            now = time.monotonic()
            for child in self._children.values():
                process = child.process
                if process is not None and process.poll() is not None:
                    _kill_group(process.pid, signal.SIGKILL)  # whatever it spawned goes too
                    child.process = None
                    how = describe_exit(process.returncode)
                    decision = self.policy.on_crash(child.name, now)
                    if isinstance(decision, GiveUp):
                        self.say(
                            f"{child.name} {how}; it crashed {decision.crashes} times within "
                            f"{decision.window_s:g} s, so vori gives up and stops everything "
                            "(its output above says why; VORI_UP__MAX_CRASHES and "
                            "VORI_UP__CRASH_WINDOW_S set the limit)"
                        )
                        return 1
                    self.say(
                        f"{child.name} {how}; restarting in {decision.delay_s:g} s "
                        f"(crash {decision.crashes} of {self.policy.max_crashes} allowed "
                        f"within {self.policy.window_s:g} s)"
                    )
                    child.restart_at = now + decision.delay_s
                    crashed_at[child.name] = now
                if child.restart_at is not None and now >= child.restart_at:
                    child.restart_at = None
                    pid = self._start(child)
                    self.say(f"{child.name} restarted (pid {pid})")
                    if self.on_restart is not None:
                        self.on_restart(child.name, pid, crashed_at[child.name])
            time.sleep(POLL_S)
        name = signal.Signals(self._stop_signal).name
        self.say(f"{name} received, stopping every service")
        return SIGNAL_EXIT[signal.Signals(self._stop_signal)]

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def _start(self, child: _Child) -> int:
        # A session of its own: Ctrl-C at the terminal reaches only the supervisor, which
        # then stops the services in order, and killpg reaches what a service spawned.
        process = subprocess.Popen(
            child.argv,
            env=dict(child.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child.process = process
        assert process.stdout is not None
        pump = threading.Thread(target=self._relay, args=(child.name, process.stdout), daemon=True)
        pump.start()
        child.pumps = [t for t in child.pumps if t.is_alive()] + [pump]
        return process.pid

    def _relay(self, name: str, stream: IO[bytes]) -> None:
        width = max(len(n) for n in self._children)
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._print_lock:
                sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{width}} | {line}\n")
                sys.stdout.flush()
        stream.close()

    def _stop_all(self) -> None:
        running = [c.process for c in self._children.values() if c.process is not None]
        for process in running:
            if process.poll() is None:
                _kill_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + KILL_WAIT_S
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"pid {process.pid} did not stop within {KILL_WAIT_S:g} s: SIGKILL")
            # The group may hold a service's own children even when the leader is gone.
            _kill_group(process.pid, signal.SIGKILL)
            process.wait()
        for child in self._children.values():
            child.process = None
            for pump in child.pumps:
                pump.join(timeout=1.0)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
