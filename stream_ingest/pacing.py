"""Audio pacing: a stream may send faster than real time only within bounds (pure).

A browser sends 1x real time; a reconnecting client re-sends what was not acknowledged
(at most a few tens of seconds) as fast as it can, and `vori stream` may send a file a
few times faster than it plays. An unpaced upload of hours of audio at network speed
would fill the transcriber's queue for everyone: beyond `speed` x real time, after a
burst of `burst_s` of audio, the stream's socket is simply read more slowly.
"""

from __future__ import annotations


class Pacer:
    """A token bucket over samples: `rate` samples per second, up to `burst` in advance."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = now

    def delay(self, samples: int, now: float) -> float:
        """Take `samples` arrived at `now`; seconds to wait before reading more (0: none)."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        self.tokens -= samples
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
