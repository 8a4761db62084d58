"""The restart policy of `vori up` (pure core): back-off, the crash window, giving up."""

from __future__ import annotations

import pytest

from vori.local.restarts import GiveUp, Restart, RestartPolicy
from vori.local.supervisor import describe_exit
from vori.settings import Settings


def test_delays_double_then_it_gives_up_at_the_fifth_crash_within_the_window() -> None:
    policy = RestartPolicy(max_crashes=5, window_s=60)
    decisions = [policy.on_crash("transcriber", now) for now in (0.0, 2.0, 5.0, 10.0)]
    assert decisions == [Restart(1, 1), Restart(2, 2), Restart(4, 3), Restart(8, 4)]
    assert policy.on_crash("transcriber", 19.0) == GiveUp(crashes=5, window_s=60)


def test_crashes_older_than_the_window_are_forgotten_and_the_delay_starts_over() -> None:
    policy = RestartPolicy(max_crashes=3, window_s=60)
    assert policy.on_crash("kanban", 0.0) == Restart(1, 1)
    assert policy.on_crash("kanban", 30.0) == Restart(2, 2)
    # 61 s after the first crash only the second one still counts.
    assert policy.on_crash("kanban", 61.0) == Restart(2, 2)
    assert policy.on_crash("kanban", 200.0) == Restart(1, 1)


def test_a_service_that_keeps_crashing_does_not_count_against_the_others() -> None:
    policy = RestartPolicy(max_crashes=2, window_s=60)
    assert policy.on_crash("summarizer", 0.0) == Restart(1, 1)
    assert policy.on_crash("gateway", 1.0) == Restart(1, 1)
    assert isinstance(policy.on_crash("summarizer", 2.0), GiveUp)


def test_the_delay_is_capped() -> None:
    policy = RestartPolicy(max_crashes=100, window_s=3600, first_delay_s=1, max_delay_s=30)
    delays = [policy.on_crash("gateway", float(t)).delay_s for t in range(8)]  # type: ignore[union-attr]
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]


def test_one_allowed_crash_means_no_restart() -> None:
    assert RestartPolicy(max_crashes=1, window_s=60).on_crash("llm", 0.0) == GiveUp(1, 60)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_crashes": 0, "window_s": 60},
        {"max_crashes": 5, "window_s": 0},
        {"max_crashes": 5, "window_s": 60, "first_delay_s": 10, "max_delay_s": 5},
    ],
)
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RestartPolicy(**kwargs)  # type: ignore[arg-type]


def test_the_limits_are_settings_with_the_documented_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (Settings().up.max_crashes, Settings().up.crash_window_s) == (5, 60.0)
    monkeypatch.setenv("VORI_UP__MAX_CRASHES", "3")
    monkeypatch.setenv("VORI_UP__CRASH_WINDOW_S", "10")
    assert (Settings().up.max_crashes, Settings().up.crash_window_s) == (3, 10.0)


def test_exits_are_described_by_code_or_signal() -> None:
    assert describe_exit(1) == "exited with code 1"
    assert describe_exit(0) == "exited with code 0"
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(-15) == "killed by SIGTERM"
