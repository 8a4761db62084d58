"""Rows of the analytics tables as the Spark jobs write them, for tests of their readers.

The gateway and the web app only read these tables; their tests put known rows in with
SQLAlchemy and check what comes out. Values are a small, plausible three-person meeting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vori.db.engine import create_db_engine
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsLiveSpeaker,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
)
from vori.settings import Settings


@contextmanager
def analytics_session(settings: Settings) -> Iterator[Session]:
    """A session on the test database that commits on success."""
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            yield session
            session.commit()
    finally:
        engine.dispose()


def meeting_row(
    meeting_id: str, computed_at: datetime, board_id: str | None = None, **fields: Any
) -> AnalyticsMeeting:
    """A 30-minute meeting of three speakers; `fields` override any figure."""
    values: dict[str, Any] = {
        "started_at": computed_at - timedelta(hours=1),
        "duration_s": 1800.0,
        "speech_s": 1500.0,
        "silence_share": 1 / 6,
        "overlap_s": 42.0,
        "interruptions": 5,
        "questions": 7,
        "decisions": 2,
        "action_items": 3,
        "speakers": 3,
        "words": 4000,
        "gini": 0.2,
        "efficiency": 71.5,
        "input_fingerprint": "f" * 64,
        **fields,
    }
    return AnalyticsMeeting(
        meeting_id=meeting_id, board_id=board_id, computed_at=computed_at, **values
    )


def speaker_row(
    meeting_id: str,
    participant_id: str,
    speaker: str,
    talk_s: float,
    talk_share: float,
    **fields: Any,
) -> AnalyticsSpeaker:
    """One speaker's figures; words follow 150 words per minute unless given."""
    words = fields.pop("words", round(talk_s / 60 * 150))
    values: dict[str, Any] = {
        "user_id": participant_id,
        "wpm": words / (talk_s / 60) if talk_s > 0 else 0.0,
        "turns": 12,
        "longest_monologue_s": min(talk_s, 95.0),
        "interruptions_made": 2,
        "interrupted": 1,
        "overlap_s": 14.0,
        "questions": 3,
        **fields,
    }
    return AnalyticsSpeaker(
        meeting_id=meeting_id,
        participant_id=participant_id,
        speaker=speaker,
        talk_s=talk_s,
        talk_share=talk_share,
        words=words,
        **values,
    )


def live_row(
    meeting_id: str,
    participant_id: str,
    speaker: str | None,
    talk_s: float,
    words: int,
    updated_at: datetime | None = None,
) -> AnalyticsLiveSpeaker:
    """Running totals of one participant as the live job upserts them."""
    return AnalyticsLiveSpeaker(
        meeting_id=meeting_id,
        participant_id=participant_id,
        speaker=speaker,
        segments=max(1, words // 12),
        talk_s=talk_s,
        words=words,
        wpm=words / (talk_s / 60) if talk_s > 0 else 0.0,
        last_end_s=talk_s * 1.4,
        updated_at=updated_at or datetime.now(UTC),
    )


def board_rows(
    board_id: str, weeks: list[date], people: dict[str, str], computed_at: datetime
) -> list[Any]:
    """A board's weekly rows for `weeks` (Mondays), person weeks for `people` (id: name),
    two topics and two keywords a week whose weights trend in opposite directions."""
    rows: list[Any] = []
    for index, week in enumerate(weeks):
        rows.append(
            AnalyticsBoardWeek(
                board_id=board_id,
                week=week,
                meetings=index + 1,
                meeting_hours=1.5 * (index + 1),
                items_created=3 + index,
                items_completed=2 + index,
                items_overdue=index,
                median_time_to_done_h=None if index == 0 else 20.0 + index,
                computed_at=computed_at,
            )
        )
        for order, (person, name) in enumerate(sorted(people.items())):
            rows.append(
                AnalyticsPersonWeek(
                    board_id=board_id,
                    person=person,
                    week=week,
                    name=name,
                    meetings=index + 1,
                    talk_s=600.0 * (order + 1),
                    talk_share=(order + 1) / sum(range(1, len(people) + 1)),
                    words=1500 * (order + 1),
                    wpm=150.0,
                    computed_at=computed_at,
                )
            )
        for term, score in (("release", 0.2 + 0.1 * index), ("budget", 0.5 - 0.1 * index)):
            rows.append(
                AnalyticsKeywordWeek(
                    board_id=board_id,
                    week=week,
                    term=term,
                    score=score,
                    meetings=index + 1,
                    computed_at=computed_at,
                )
            )
    rows += [
        AnalyticsTopic(
            board_id=board_id,
            topic=0,
            terms=[["release", 0.31], ["beta", 0.22], ["notes", 0.1]],
            meetings=4,
            share=0.6,
            computed_at=computed_at,
        ),
        AnalyticsTopic(
            board_id=board_id,
            topic=1,
            terms=[["budget", 0.4], ["hiring", 0.2]],
            meetings=2,
            share=0.4,
            computed_at=computed_at,
        ),
    ]
    return rows
