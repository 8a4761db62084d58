"""What the summarizer knows about a meeting: its members, date and time zone, and its speech."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from vori.settings import TaskSelection


@dataclass(frozen=True)
class Member:
    """A meeting member an action item can be assigned to."""

    user_id: str
    name: str


@dataclass(frozen=True)
class MeetingFacts:
    """The facts that resolve owners and dates: members, the meeting's local date and zone."""

    meeting_id: str
    language: str = "en"
    date: date = field(default_factory=date.today)
    time_zone: str = "UTC"
    members: tuple[Member, ...] = ()
    board_id: str | None = None
    tasks: TaskSelection | None = None  # which commitments become cards; None: the default


@dataclass(frozen=True)
class Utterance:
    """One final transcript segment as the summarizer uses it; `at` is seconds into the meeting."""

    segment_id: str
    speaker: str | None
    at: float
    text: str
    participant_id: str | None = None
    action_score: float | None = None  # the detector's probability; None: not scored

    @property
    def words(self) -> int:
        return count_words(self.text)


def count_words(text: str) -> int:
    """Words of English or Korean text (Korean eojeol are space separated too)."""
    return len(text.split())
