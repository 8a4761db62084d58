"""What a transcriber does when it falls behind live audio (pure: lags in, decisions out).

A stream's *lag* is how far behind the audio its transcript is: the age of its oldest
utterance still waiting for its final, or, while frames of its partition wait unread in
Kafka, the age of the newest frame read from that partition. Its *queued lag* leaves out
the final a worker is decoding: cheaper finals change only the decodes not yet begun, so
they follow the queued lag (a long utterance's own decode, 1.7 s for 8 s of speech, is
not a reason to decode the next finals worse). The process's lags are its
furthest-behind stream's. As they grow the policy steps through four levels, shedding on
the lag, the others on the queued lag, each entered at its threshold and left once
below `recover_ratio` times it (so that one slow decode does not flap them). Admission
also closes when the whole lag reaches `refuse_s`, when the expected wait of the finals
queued now reaches `refuse_s`, and when the speech that arrived over the
last seconds needs the decode workers' whole time for its finals (`refuse_utilisation`):
it reacts when the load exceeds capacity, before a queue or a lag has built up (with
streams joining every few seconds, the lag alone closed the door a dozen joins late).
It closes too when the checkpoints of one `audio.frames` partition fill
`refuse_metadata_fill` of the broker's commit metadata limit (transcriber/offsets.py):
that limit is not CPU but a count of streams per partition, and past it the partition
cannot be committed.
Shedding and cheaper finals cost every stream quality
now, so only lag that streams already have triggers them (a burst of audio is not
degraded before anyone waits):

- normal;
- shedding: no partials are decoded (they are disposable; finals are not);
- degraded: finals use a cheaper preset (greedy search on a shorter encoder window,
  about 30 % less decode time on tiny.en);
- over capacity: the load report says so and ingest refuses *new* streams, so that the
  streams already admitted keep a bounded latency. Resumed streams are always admitted.

No level ever drops audio: every utterance still gets its final, in order, later.
A meeting whose furthest-behind stream lags by `lagging_s` or more is *lagging*; its
participants are told by how much, and once more (lag 0) when it has caught up.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum

from vori.settings import OverloadSettings

# Admission closed by the utilisation opens again below this share of its threshold: just
# below full use, not the lag's half, since streams already admitted keep it high.
UTILISATION_RECOVERY = 0.9


class Level(IntEnum):
    """How far the transcriber has stepped back from its normal service."""

    NORMAL = 0
    SHEDDING = 1
    DEGRADED = 2
    OVER_CAPACITY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class StreamLag:
    """How far behind one stream's transcript is."""

    stream_id: str
    meeting_id: str
    lag_s: float
    queued_s: float  # the lag without the final in decode now: what cheaper finals can change


@dataclass(frozen=True)
class MeetingStatus:
    """A meeting to tell about: lagging (lag > 0), or caught up again (lag 0)."""

    meeting_id: str
    lag_s: float
    streams_behind: int


@dataclass(frozen=True)
class LoadDecision:
    """What the worker applies until the next decision, and what it reports."""

    level: Level
    lag_s: float
    meetings: list[MeetingStatus]
    queued_s: float  # the queued lag, which cheaper finals and over capacity followed
    changed: bool  # the level or the reported level differs from the previous decision's
    behind: bool = False  # the lag or the finals' queue (its wait or utilisation) closes admission
    metadata_full: bool = False  # a partition's commit metadata closes admission

    @property
    def shed_partials(self) -> bool:
        return self.level >= Level.SHEDDING

    @property
    def degraded(self) -> bool:
        return self.level >= Level.DEGRADED

    @property
    def over_capacity(self) -> bool:
        return self.level >= Level.OVER_CAPACITY or self.behind or self.metadata_full

    @property
    def reported(self) -> Level:
        """The level in reports and metrics: over capacity whenever admission is closed."""
        return Level.OVER_CAPACITY if self.over_capacity else self.level


def stream_lag(
    now: float, oldest_waiting_final: float | None, newest_read: float | None, unread: bool
) -> float:
    """Seconds a stream is behind, from wall-clock instants (epoch seconds).

    `oldest_waiting_final`: when the last sample of its oldest undecoded utterance was
    captured; `newest_read`: the Kafka time of the newest frame read from its partition;
    `unread`: frames of that partition wait in Kafka.
    """
    lag = 0.0
    if oldest_waiting_final is not None:
        lag = max(lag, now - oldest_waiting_final)
    if unread and newest_read is not None:
        lag = max(lag, now - newest_read)
    return max(lag, 0.0)


@dataclass
class OverloadPolicy:
    """Levels with hysteresis over the process's lag, and the meetings that lag."""

    settings: OverloadSettings
    level: Level = Level.NORMAL
    behind: bool = False
    metadata_full: bool = False
    _lagging: set[str] = field(default_factory=set)

    def _threshold(self, level: Level) -> float:
        s = self.settings
        return {
            Level.SHEDDING: s.shed_partials_s,
            Level.DEGRADED: s.degrade_s,
            Level.OVER_CAPACITY: s.refuse_s,
        }[level]

    def update(
        self,
        lags: list[StreamLag],
        queue_wait_s: float = 0.0,
        utilisation: float = 0.0,
        metadata_fill: float = 0.0,
    ) -> LoadDecision:
        """Decide from the lags of every stream the process holds, from how long an
        utterance closing now would wait for its decode (the lag it is about to have), from
        the share of the decode capacity that the speech arriving now needs, and from the
        fullest partition's commit metadata (its share of the broker's limit)."""
        lag = max((s.lag_s for s in lags), default=0.0)
        queued = max((s.queued_s for s in lags), default=0.0)
        refuse = self.settings.refuse_s
        busy = self.settings.refuse_utilisation
        fill = self.settings.refuse_metadata_fill
        previous_full = self.behind or self.metadata_full
        # Once admission is closed, by any signal, it opens again only when all are below
        # their recovery share: a queue that drains while the lag stays near the threshold
        # must not let new streams in for the second between the two.
        closed = previous_full or self.level >= Level.OVER_CAPACITY
        # Streams leave a partition one by one: below 90 % of the threshold before it opens.
        self.metadata_full = metadata_fill >= fill or (
            self.metadata_full and metadata_fill >= fill * UTILISATION_RECOVERY
        )
        self.behind = (
            max(queue_wait_s, lag) >= refuse
            or utilisation >= busy
            or (
                closed
                and (
                    max(queue_wait_s, lag) >= refuse * self.settings.recover_ratio
                    or utilisation >= busy * UTILISATION_RECOVERY
                )
            )
        )
        previous = self.level
        level = Level.NORMAL
        for candidate in (Level.SHEDDING, Level.DEGRADED, Level.OVER_CAPACITY):
            threshold = self._threshold(candidate)
            # Shedding follows the whole lag: with a long final in decode, the partials it
            # drops free the other worker for the finals that close next.
            signal = lag if candidate is Level.SHEDDING else queued
            held = candidate <= previous and signal >= threshold * self.settings.recover_ratio
            if signal >= threshold or held:
                level = candidate
        was = Level.OVER_CAPACITY if previous_full else previous
        self.level = level
        decision = LoadDecision(
            level,
            max(lag, queue_wait_s),
            self._meetings(lags),
            queued,
            False,
            self.behind,
            self.metadata_full,
        )
        return replace(decision, changed=decision.reported != was or level != previous)

    def _meetings(self, lags: list[StreamLag]) -> list[MeetingStatus]:
        worst: dict[str, float] = {}
        behind: dict[str, int] = {}
        floor = self.settings.lagging_s * self.settings.recover_ratio
        for s in lags:
            worst[s.meeting_id] = max(worst.get(s.meeting_id, 0.0), s.lag_s)
            if s.lag_s >= floor:
                behind[s.meeting_id] = behind.get(s.meeting_id, 0) + 1
        out: list[MeetingStatus] = []
        lagging: set[str] = set()
        for meeting_id, lag in sorted(worst.items()):
            enter = lag >= self.settings.lagging_s
            stay = meeting_id in self._lagging and lag >= floor
            if enter or stay:
                lagging.add(meeting_id)
                out.append(MeetingStatus(meeting_id, round(lag, 1), behind.get(meeting_id, 0)))
        # Caught up (or gone from this process): said once, so banners clear at once.
        out.extend(MeetingStatus(m, 0.0, 0) for m in sorted(self._lagging - lagging))
        self._lagging = lagging
        return out

    @property
    def lagging_meetings(self) -> int:
        return len(self._lagging)
