"""`vori up` runs the batch analytics now and then: first shortly after start, then a fixed
time after each run ended (never two at once), niced, and not at all when switched off."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vori.cli.batch_schedule import BATCH_RUN, run_every
from vori.cli.main import app
from vori.cli.up import _add_batch_analytics
from vori.local.restarts import RestartPolicy
from vori.local.supervisor import Supervisor
from vori.settings import load_settings


class Clock:
    """Records what the schedule waited for and ran, in order; stops after `waits` waits."""

    def __init__(self, waits: int, codes: list[int] | None = None) -> None:
        self.waits = waits
        self.codes = codes or []
        self.events: list[str] = []

    def wait(self, seconds: float) -> bool:
        if self.waits == 0:
            return False
        self.waits -= 1
        self.events.append(f"wait {seconds:g}")
        return True

    def run_once(self) -> int:
        self.events.append("run")
        return self.codes.pop(0) if self.codes else 0


def test_the_first_run_comes_shortly_after_start_then_one_per_interval() -> None:
    clock = Clock(waits=3)
    run_every(clock.run_once, clock.wait, print, interval_s=900, first_delay_s=60)
    assert clock.events == ["wait 60", "run", "wait 900", "run", "wait 900", "run"]


def test_a_failed_run_is_reported_and_the_next_one_still_comes() -> None:
    clock = Clock(waits=2, codes=[1, 0])
    said: list[str] = []
    run_every(clock.run_once, clock.wait, said.append, interval_s=900, first_delay_s=0)
    assert clock.events == ["wait 0", "run", "wait 900", "run"]
    assert said == ["analytics run exited with code 1; the next one in 15 min"]


def test_each_run_is_the_documented_command_in_a_process_of_its_own() -> None:
    assert [sys.executable, "-m", "vori", "analytics", "run"] == BATCH_RUN


def _supervisor() -> Supervisor:
    return Supervisor(RestartPolicy(max_crashes=5, window_s=60), lambda line: None)


def test_vori_up_supervises_the_schedule(tmp_path: Path) -> None:
    supervisor = _supervisor()
    _add_batch_analytics(load_settings(data_dir=tmp_path), supervisor, {})
    assert supervisor.pid("analytics-batch") is None  # registered, started by run()


def test_an_interval_of_zero_switches_the_runs_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(data_dir=tmp_path, analytics={"batch_interval_s": 0})
    supervisor = _supervisor()
    _add_batch_analytics(settings, supervisor, {})
    with pytest.raises(KeyError):
        supervisor.pid("analytics-batch")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VORI_ANALYTICS__BATCH_INTERVAL_S", "0")
    result = CliRunner().invoke(app, ["analytics", "schedule"])
    assert result.exit_code == 2
    assert "--every" in result.output
