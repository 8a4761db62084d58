"""The audio pacer: real time and a burst go through; a flood is slowed to `speed` x."""

from __future__ import annotations

from stream_ingest.pacing import Pacer

RATE = 16_000


def test_real_time_audio_never_waits() -> None:
    pacer = Pacer(rate=2 * RATE, burst=10 * RATE, now=0.0)
    waits = [pacer.delay(1600, now=i * 0.1) for i in range(1, 3000)]  # 5 minutes, 100 ms frames
    assert max(waits) == 0.0


def test_a_burst_goes_through_then_a_flood_is_held_to_the_rate() -> None:
    pacer = Pacer(rate=2 * RATE, burst=10 * RATE, now=0.0)
    clock, sent = 0.0, 0
    for _ in range(1000):  # 100 s of audio offered as fast as possible
        clock += pacer.delay(1600, clock)
        sent += 1600
        if sent <= 10 * RATE:
            assert clock == 0.0, "the burst (a reconnect's re-send) is not slowed"
    # 100 s of audio: 10 s of it in the burst, the other 90 s at twice real time.
    assert abs(clock - 45.0) < 0.2


def test_idle_time_refills_only_up_to_the_burst() -> None:
    pacer = Pacer(rate=RATE, burst=5 * RATE, now=0.0)
    assert pacer.delay(5 * RATE, now=0.0) == 0.0
    assert pacer.delay(RATE, now=0.0) == 1.0
    # An hour of silence earns no more than the burst.
    assert pacer.delay(5 * RATE, now=3600.0) == 0.0
    assert pacer.delay(RATE, now=3600.0) == 1.0
