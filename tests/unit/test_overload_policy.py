"""The overload policy: levels with hysteresis over the lag, lagging meetings, stream lag."""

from __future__ import annotations

import pytest

from transcriber.overload import Level, MeetingStatus, OverloadPolicy, StreamLag, stream_lag
from transcriber.scheduler import DecodeScheduler
from vori.settings import OverloadSettings


def _policy() -> OverloadPolicy:
    return OverloadPolicy(
        OverloadSettings(
            shed_partials_s=1.0, degrade_s=2.0, refuse_s=4.0, lagging_s=2.0, recover_ratio=0.5
        )
    )


def _lags(*values: float, meeting: str = "m1") -> list[StreamLag]:
    """Streams with nothing in decode: their queued lag is their lag."""
    return [StreamLag(f"{meeting}:u{i}:mic", meeting, v, v) for i, v in enumerate(values)]


def test_levels_step_up_with_the_furthest_behind_stream() -> None:
    policy = _policy()
    assert policy.update(_lags(0.2, 0.5)).level is Level.NORMAL
    decision = policy.update(_lags(0.2, 1.1))
    assert decision.level is Level.SHEDDING
    assert decision.shed_partials
    assert not decision.degraded
    decision = policy.update(_lags(2.5, 0.0))
    assert decision.degraded
    assert not decision.over_capacity
    decision = policy.update(_lags(4.0))
    assert decision.over_capacity
    assert decision.lag_s == 4.0
    assert decision.changed


def test_a_jump_goes_straight_to_the_level_it_reaches() -> None:
    assert _policy().update(_lags(9.0)).level is Level.OVER_CAPACITY


def test_levels_are_left_only_below_the_recovery_share_of_their_threshold() -> None:
    policy = _policy()
    policy.update(_lags(5.0))
    held = policy.update(_lags(2.1))  # below refuse_s (4) but above half of it
    assert held.over_capacity
    assert not held.changed
    down = policy.update(_lags(1.9))  # below 2.0: over capacity left, degraded held (>= 1.0)
    assert down.level is Level.DEGRADED
    assert down.changed
    assert policy.update(_lags(0.9)).level is Level.SHEDDING
    assert policy.update(_lags(0.4)).level is Level.NORMAL


def test_rising_again_below_a_threshold_does_not_reenter_it() -> None:
    policy = _policy()
    policy.update(_lags(1.5))
    assert policy.update(_lags(1.9)).level is Level.SHEDDING  # degrade_s is 2.0


def test_a_long_final_in_decode_is_no_reason_for_cheaper_finals() -> None:
    """An 8 s utterance decodes for 1.7 s after its close: its stream lags 2.5 s while
    nothing waits for a worker. Cheaper finals would change only the decodes not yet begun,
    so they follow those; shedding partials, participants and admission the whole lag."""
    policy = _policy()  # shed 1, degrade_s 2, refuse_s 4, lagging_s 2
    decision = policy.update([StreamLag("m1:u0:mic", "m1", 2.5, 0.3)])
    assert decision.level is Level.SHEDDING
    assert not decision.degraded
    assert (decision.lag_s, decision.queued_s) == (2.5, 0.3)
    assert decision.meetings == [MeetingStatus("m1", 2.5, 1)]
    decision = policy.update([StreamLag("m1:u0:mic", "m1", 4.5, 0.3)])
    assert decision.over_capacity
    assert not decision.degraded
    # The next final of the stream waits behind it: now cheaper finals help.
    decision = policy.update([StreamLag("m1:u0:mic", "m1", 4.5, 2.2)])
    assert decision.degraded
    assert decision.over_capacity


def test_no_streams_means_normal() -> None:
    policy = _policy()
    policy.update(_lags(6.0))
    decision = policy.update([])
    assert decision.level is Level.NORMAL
    assert decision.lag_s == 0.0


def test_lagging_meetings_are_listed_with_their_worst_lag_then_cleared_once() -> None:
    policy = _policy()
    lags = _lags(3.04, 1.2, 0.1, meeting="a") + _lags(0.3, meeting="b")
    assert policy.update(lags).meetings == [MeetingStatus("a", 3.0, 2)]
    assert policy.lagging_meetings == 1
    # Still above half of lagging_s: still lagging.
    assert policy.update(_lags(1.5, meeting="a")).meetings == [MeetingStatus("a", 1.5, 1)]
    caught_up = policy.update(_lags(0.4, meeting="a"))
    assert caught_up.meetings == [MeetingStatus("a", 0.0, 0)]
    assert policy.update(_lags(0.4, meeting="a")).meetings == []
    assert policy.lagging_meetings == 0


def test_a_lagging_meeting_whose_streams_left_is_cleared() -> None:
    policy = _policy()
    policy.update(_lags(3.0, meeting="a"))
    assert policy.update(_lags(0.1, meeting="b")).meetings == [MeetingStatus("a", 0.0, 0)]


@pytest.mark.parametrize(
    ("waiting", "read", "unread", "expected"),
    [
        (None, None, False, 0.0),
        (97.0, None, False, 3.0),  # an utterance waits for its final
        (None, 95.0, False, 0.0),  # silent but caught up: not behind
        (None, 95.0, True, 5.0),  # frames wait unread in Kafka
        (98.0, 95.0, True, 5.0),
        (101.0, None, False, 0.0),  # clocks a little apart never give a negative lag
    ],
)
def test_stream_lag(
    waiting: float | None, read: float | None, unread: bool, expected: float
) -> None:
    assert stream_lag(100.0, waiting, read, unread) == pytest.approx(expected)


def test_a_shedding_scheduler_decodes_finals_only_and_counts_what_it_shed() -> None:
    scheduler: DecodeScheduler[str] = DecodeScheduler()
    scheduler.submit_partial("a", "partial a", now=0.0, audio_time=0.0)
    scheduler.shed(True)
    scheduler.submit_partial("b", "partial b", now=0.0, audio_time=0.0)
    scheduler.submit_final("a", "final a", 1.0, now=0.0)
    assert scheduler.next_job(0.1) == ("a", "final a")
    assert scheduler.next_job(0.1) is None
    assert scheduler.stats.partials_shed == 2
    scheduler.shed(False)
    scheduler.submit_partial("b", "partial b", now=0.2, audio_time=0.2)
    assert scheduler.next_job(0.3) == ("b", "partial b")


def test_a_growing_queue_closes_admission_before_its_oldest_final_has_aged() -> None:
    policy = _policy()
    decision = policy.update(_lags(0.5), queue_wait_s=4.5)
    assert decision.over_capacity
    assert decision.lag_s == 4.5
    # Quality is not given up before anyone waits, and meetings hear what they see.
    assert not decision.shed_partials
    assert decision.meetings == []
    assert policy.update(_lags(0.5), queue_wait_s=2.5).over_capacity  # above half of 4
    assert not policy.update(_lags(0.5), queue_wait_s=1.5).over_capacity


def test_the_expected_wait_is_the_queued_audio_at_the_recent_pace_per_worker() -> None:
    scheduler: DecodeScheduler[str] = DecodeScheduler(workers=2)
    scheduler.observe("final", 0.5, audio_seconds=5.0)  # 0.1 s per second of audio
    for stream in ("a", "b", "c"):
        scheduler.submit_final(stream, f"final {stream}", 10.0, now=0.0)
    assert scheduler.expected_final_wait == pytest.approx(30 * 0.1 / 2)


def test_thresholds_that_do_not_ascend_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="must ascend"):
        OverloadSettings(shed_partials_s=2.0, degrade_s=1.0)


def test_a_full_queue_is_reported_as_over_capacity_and_as_a_change() -> None:
    policy = _policy()
    decision = policy.update(_lags(1.2), queue_wait_s=5.0)
    assert decision.level is Level.SHEDDING
    assert decision.reported is Level.OVER_CAPACITY
    assert decision.changed
    assert not policy.update(_lags(1.2), queue_wait_s=5.0).changed


def test_admission_closed_by_the_queue_stays_closed_while_the_lag_is_near_the_threshold() -> None:
    policy = _policy()  # refuse_s 4, recovery share 0.5
    assert policy.update(_lags(3.5), queue_wait_s=5.0).over_capacity  # the queue closed it
    held = policy.update(_lags(3.5), queue_wait_s=0.5)  # drained; the lag is still 3.5 s
    assert held.over_capacity
    assert held.level is Level.DEGRADED
    assert not policy.update(_lags(1.9), queue_wait_s=0.5).over_capacity


def test_admission_closed_by_the_lag_stays_closed_while_the_queue_is_long() -> None:
    policy = _policy()
    assert policy.update(_lags(5.0)).over_capacity
    assert policy.update(_lags(1.0), queue_wait_s=3.0).over_capacity
    assert not policy.update(_lags(1.0), queue_wait_s=1.0).over_capacity


def test_speech_arriving_faster_than_it_can_be_decoded_closes_admission_at_once() -> None:
    policy = _policy()
    assert not policy.update(_lags(0.3), utilisation=0.75).over_capacity  # below 0.8
    decision = policy.update(_lags(0.3), queue_wait_s=0.2, utilisation=0.85)
    assert decision.over_capacity
    assert decision.level is Level.NORMAL  # no one waits yet: nothing is degraded
    assert policy.update(_lags(0.3), utilisation=0.75).over_capacity  # above 90 % of 0.8
    assert not policy.update(_lags(0.3), utilisation=0.7).over_capacity


def test_utilisation_is_the_recent_final_audio_at_the_recent_pace_per_worker() -> None:
    scheduler: DecodeScheduler[str] = DecodeScheduler(workers=2)
    scheduler.observe("final", 1.0, audio_seconds=4.0)  # a quarter of real time
    for second in range(10):
        scheduler.submit_final(f"s{second}", "job", 4.0, now=float(second))
    # 40 s of speech in the last 10 s at 0.25 s each, over 2 workers: 0.5 of their time.
    assert scheduler.final_utilisation(now=9.5) == pytest.approx(0.5)
    # Twenty seconds later none of it is recent any more.
    assert scheduler.final_utilisation(now=29.5) == 0.0
