"""When `vori up` restarts a crashed service, and when it gives up: a pure policy.

Data in (a service name, the time of its exit), a decision out; no clock reads, no
processes. Each service is judged on its own crashes: one that keeps dying does not
count against the others.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Restart:
    """Start the service again after `delay_s`; `crashes` is its count inside the window."""

    delay_s: float
    crashes: int


@dataclass(frozen=True)
class GiveUp:
    """The service crashed `crashes` times within `window_s`: stop the stack."""

    crashes: int
    window_s: float


class RestartPolicy:
    """Exponential back-off per service, and a give-up after `max_crashes` within `window_s`.

    The n-th crash inside the window waits `first_delay_s * 2**(n-1)`, capped at
    `max_delay_s`; crashes older than the window are forgotten, so a service that ran
    quietly for a while starts again from the first delay.
    """

    def __init__(
        self,
        max_crashes: int,
        window_s: float,
        first_delay_s: float = 1.0,
        max_delay_s: float = 30.0,
    ) -> None:
        if max_crashes < 1:
            raise ValueError("max_crashes must be at least 1")
        if window_s <= 0 or first_delay_s < 0 or max_delay_s < first_delay_s:
            raise ValueError("window_s must be positive and 0 <= first_delay_s <= max_delay_s")
        self.max_crashes = max_crashes
        self.window_s = window_s
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self._crashes: dict[str, deque[float]] = {}

    def on_crash(self, service: str, now: float) -> Restart | GiveUp:
        """Record that `service` exited unexpectedly at monotonic time `now`; decide."""
        recent = self._crashes.setdefault(service, deque())
        recent.append(now)
        while recent and recent[0] <= now - self.window_s:
            recent.popleft()
        crashes = len(recent)
        if crashes >= self.max_crashes:
            return GiveUp(crashes, self.window_s)
        delay = min(self.first_delay_s * 2 ** (crashes - 1), self.max_delay_s)
        return Restart(delay, crashes)
