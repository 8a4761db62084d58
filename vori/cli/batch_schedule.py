"""The batch analytics again and again: what `vori analytics schedule` (and so `vori up`) does.

Each run is `vori analytics run` in a child process of its own, so every run gets a fresh
Spark and gives its memory back when it ends, and the next run starts `interval_s` after
the previous one ended: runs never overlap. A failed run is reported and the next comes
at its time; the batch job records the failure itself (`analytics_runs`) and the next
run continues from the last one that finished.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from vori.local.supervisor import describe_exit

BATCH_RUN = [sys.executable, "-m", "vori", "analytics", "run"]


def run_every(
    run_once: Callable[[], int],
    wait: Callable[[float], bool],
    say: Callable[[str], None],
    *,
    interval_s: float,
    first_delay_s: float,
) -> None:
    """Call `run_once` (which returns an exit code) after `first_delay_s`, then again
    `interval_s` after each call returned, for as long as `wait(seconds)` returns True."""
    delay = first_delay_s
    while wait(delay):
        code = run_once()
        if code != 0:
            say(f"analytics run {describe_exit(code)}; the next one in {_span(interval_s)}")
        delay = interval_s


def run_batch_process() -> int:
    """One `vori analytics run` in a child process, its output on ours; its exit code."""
    return subprocess.run(BATCH_RUN, stdin=subprocess.DEVNULL, check=False).returncode


def _span(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"
