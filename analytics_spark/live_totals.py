"""A speaker's live totals and how they are written: pure, no Spark and no connection.

The live job (`analytics_spark.live`) hands each micro-batch's changed totals here as
plain values; this module turns them into rows of `analytics_live_speakers` and into the
one upsert statement that writes them, for the meetings that `present_meetings` finds.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import Insert, insert

from vori.db.tables import AnalyticsLiveSpeaker, Meeting


def words_per_minute(words: int, talk_s: float) -> float:
    """Speaking rate over the time a speaker talked; 0 before any talk time."""
    return words * 60.0 / talk_s if talk_s > 0 else 0.0


@dataclass(frozen=True)
class SpeakerTotals:
    """Everything one speaker said in one meeting so far: absolute, never a delta."""

    meeting_id: str
    participant_id: str
    speaker: str | None
    segments: int
    talk_s: float
    words: int
    last_end_s: float

    @property
    def wpm(self) -> float:
        return words_per_minute(self.words, self.talk_s)

    def row(self, at: datetime) -> dict[str, object]:
        """The `analytics_live_speakers` row of these totals, stamped `at`."""
        return {
            "meeting_id": self.meeting_id,
            "participant_id": self.participant_id,
            "speaker": self.speaker,
            "segments": self.segments,
            "talk_s": round(self.talk_s, 3),
            "words": self.words,
            "wpm": round(self.wpm, 2),
            "last_end_s": round(self.last_end_s, 3),
            "updated_at": at,
        }


def present_meetings(meeting_ids: Collection[str]) -> Select[str]:
    """Those of the meetings that exist, locked (FOR KEY SHARE) until the transaction ends:
    a meeting being deleted is waited for and then left out, so its totals cannot fail the
    batch on the foreign key (a failed batch fails again on every replay)."""
    return (
        select(Meeting.id)
        .where(Meeting.id.in_(sorted(meeting_ids)))
        .order_by(Meeting.id)
        .with_for_update(key_share=True)
    )


def upsert_totals(totals: Sequence[SpeakerTotals], at: datetime) -> Insert:
    """One statement that writes every speaker's totals, idempotently.

    The values are absolute, so writing a batch twice (Spark replays the batch a crash
    interrupted) leaves the same rows. A row never goes back to fewer segments: totals
    only grow, so a smaller count can only come from a stale writer (an old checkpoint,
    or one restarted after the topic's retention dropped early segments), and the more
    complete figures stay.
    """
    statement = insert(AnalyticsLiveSpeaker).values([t.row(at) for t in totals])
    table = AnalyticsLiveSpeaker.__table__
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.meeting_id, table.c.participant_id],
        set_={
            "speaker": excluded.speaker,
            "segments": excluded.segments,
            "talk_s": excluded.talk_s,
            "words": excluded.words,
            "wpm": excluded.wpm,
            "last_end_s": excluded.last_end_s,
            "updated_at": excluded.updated_at,
        },
        where=excluded.segments >= table.c.segments,
    )
