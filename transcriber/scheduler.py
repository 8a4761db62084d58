"""Which decode runs next on a model (pure; the caller passes the clock in).

Finals go first, in the order their utterances closed, and are never dropped. A stream
has at most one pending partial: a newer request replaces the older one, and a partial
whose audio is older than `max_age_s` is dropped, not decoded. Under load the cadence of
partials stretches so that partials take at most `budget` of the decoder's time: with N
streams speaking and a partial costing c seconds, each stream gets one every N*c/budget
seconds (never more often than `base_interval_s`). With several decode workers, a
stream's finals still run one at a time and in order: a stream with a final in flight
gets no other final until `final_done`. While shedding (the transcriber is behind live
audio, docs/overload.md) no partial is queued at all.

Between finals and partials come early finals: the decode of an utterance during the
pause that may close it (docs/latency.md). A stream has at most one; it is dropped when
the stream's final comes first (the final decodes itself) and while shedding, and while
one is decoded the stream's final waits for it, as for a final in flight.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

J = TypeVar("J")
UTILISATION_WINDOW_S = 10.0  # long enough to span several utterances of each stream


@dataclass
class _Partial(Generic[J]):
    job: J
    requested_at: float
    audio_time: float  # wall-clock capture time of the newest sample it covers


@dataclass
class SchedulerStats:
    partials_dropped: int = 0
    partials_shed: int = 0  # not decoded because the transcriber is behind
    partials_replaced: int = 0
    finals_done: int = 0
    partials_done: int = 0
    early_dropped: int = 0  # early finals not decoded: their final came first, or shedding


@dataclass
class DecodeScheduler(Generic[J]):
    """Orders final and partial decode jobs of many streams for one decoder."""

    base_interval_s: float = 0.6
    max_age_s: float = 3.0
    budget: float = 0.6
    workers: int = 1
    shed_partials: bool = False  # behind live audio: decode finals only
    _finals: deque[tuple[str, J, float]] = field(default_factory=deque)
    _partials: dict[str, _Partial[J]] = field(default_factory=dict)
    _early: dict[str, J] = field(default_factory=dict)
    _partial_cost_s: float = 0.0
    _final_rate: float = 0.0  # decode seconds per second of final audio
    _speaking: set[str] = field(default_factory=set)
    _in_flight: set[str] = field(default_factory=set)
    _arrivals: deque[tuple[float, float]] = field(default_factory=deque)  # (when, audio s)
    stats: SchedulerStats = field(default_factory=SchedulerStats)

    def submit_final(self, stream_id: str, job: J, audio_seconds: float, *, now: float) -> None:
        """Queue a final; it also cancels the stream's pending partial (now stale)."""
        self._finals.append((stream_id, job, audio_seconds))
        self._arrivals.append((now, audio_seconds))
        if self._partials.pop(stream_id, None) is not None:
            self.stats.partials_dropped += 1
        if self._early.pop(stream_id, None) is not None:
            self.stats.early_dropped += 1

    def submit_early(self, stream_id: str, job: J) -> None:
        """Queue an early final, replacing the stream's older one."""
        if self.shed_partials:
            self.stats.early_dropped += 1
            return
        if self._early.pop(stream_id, None) is not None:
            self.stats.early_dropped += 1
        self._early[stream_id] = job

    def busy(self, stream_id: str) -> bool:
        """A decode of the stream's is running, or a final of it waits."""
        return stream_id in self._in_flight or any(f[0] == stream_id for f in self._finals)

    def submit_partial(self, stream_id: str, job: J, *, now: float, audio_time: float) -> None:
        """Queue a partial, replacing the stream's older pending one."""
        if self.shed_partials:
            self.stats.partials_shed += 1
            return
        if stream_id in self._partials:
            self.stats.partials_replaced += 1
        self._partials[stream_id] = _Partial(job, now, audio_time)

    def speaking(self, stream_id: str, is_speaking: bool) -> None:
        """Tell the scheduler which streams have an utterance open (they want partials)."""
        if is_speaking:
            self._speaking.add(stream_id)
        else:
            self._speaking.discard(stream_id)

    def forget(self, stream_ids: set[str]) -> None:
        """Drop every job of these streams (their partition was taken away)."""
        self._finals = deque(f for f in self._finals if f[0] not in stream_ids)
        for stream_id in stream_ids:
            self._partials.pop(stream_id, None)
            self._early.pop(stream_id, None)
            self._speaking.discard(stream_id)
            self._in_flight.discard(stream_id)

    def shed(self, on: bool) -> None:
        """Stop (or resume) decoding partials; pending ones are dropped at once."""
        self.shed_partials = on
        if on and self._partials:
            self.stats.partials_shed += len(self._partials)
            self._partials.clear()
        if on and self._early:
            self.stats.early_dropped += len(self._early)
            self._early.clear()

    def partial_interval(self) -> float:
        """Seconds of new audio between two partials of one stream, given the load."""
        demand = len(self._speaking) * self._partial_cost_s / (self.budget * self.workers)
        return max(self.base_interval_s, demand)

    def observe(self, kind: str, seconds: float, audio_seconds: float = 0.0) -> None:
        """Learn what a decode costs (moving averages: a partial's time, a final's per
        second of audio)."""
        if kind == "final" and audio_seconds > 0:
            rate = seconds / audio_seconds
            self._final_rate = (
                rate if self._final_rate == 0.0 else 0.8 * self._final_rate + 0.2 * rate
            )
        if kind == "partial":
            self.stats.partials_done += 1
            if self._partial_cost_s == 0.0:
                self._partial_cost_s = seconds
            else:
                self._partial_cost_s = 0.8 * self._partial_cost_s + 0.2 * seconds
        else:
            self.stats.finals_done += 1

    def next_job(self, now: float) -> tuple[str, J] | None:
        """The next job to decode: the oldest final, else the oldest early final, else the
        longest-waiting fresh partial. A final or early final is done at `final_done`."""
        for index, (stream_id, job, _) in enumerate(self._finals):
            if stream_id not in self._in_flight:
                del self._finals[index]
                self._in_flight.add(stream_id)
                return stream_id, job
        for stream_id in self._early:
            if stream_id not in self._in_flight:
                self._in_flight.add(stream_id)
                return stream_id, self._early.pop(stream_id)
        for stream_id in [
            s for s, p in self._partials.items() if now - p.audio_time > self.max_age_s
        ]:
            del self._partials[stream_id]
            self.stats.partials_dropped += 1
        if not self._partials:
            return None
        stream_id = min(self._partials, key=lambda s: self._partials[s].requested_at)
        return stream_id, self._partials.pop(stream_id).job

    def final_done(self, stream_id: str) -> None:
        """A final (or early final) handed out by `next_job` is decoded: the stream's next
        one may go."""
        self._in_flight.discard(stream_id)

    @property
    def pending_final_seconds(self) -> float:
        """Audio waiting for its final decode."""
        return sum(seconds for _, _, seconds in self._finals)

    @property
    def expected_final_wait(self) -> float:
        """Seconds until the finals queued now are all decoded, at the recent pace: what an
        utterance closing now waits, before its lag has had time to show."""
        return self.pending_final_seconds * self._final_rate / self.workers

    def final_utilisation(self, now: float) -> float:
        """The share of the workers' time that the finals of the last UTILISATION_WINDOW_S
        would take at the recent pace: 1.0 or more means speech arrives faster than it can
        be decoded, before any lag or queue has had time to build up."""
        while self._arrivals and self._arrivals[0][0] < now - UTILISATION_WINDOW_S:
            self._arrivals.popleft()
        arriving = sum(seconds for _, seconds in self._arrivals) / UTILISATION_WINDOW_S
        return arriving * self._final_rate / self.workers

    @property
    def depth(self) -> int:
        return len(self._finals) + len(self._early) + len(self._partials)
