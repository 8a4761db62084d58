"""Synthetic analytics rows of one board, as the batch jobs would write them (seeded).

For the report's tests and its example screenshot: the rows are plausible (talk time
within the meeting, WPM around 120-150, weekly card flow), not measurements.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from analytics_spark.report.model import ReportInput, monday
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
)

PEOPLE = (
    ("Mina Park", 1.6),
    ("Jonas Weber", 1.2),
    ("Aisha Khan", 1.0),
    ("Leo Rossi", 0.8),
    ("박지훈", 0.6),
    ("Sara Lind", 0.4),
)
TITLES = (
    "Sprint planning",
    "Design review",
    "Weekly sync",
    "Incident retro",
    "Roadmap Q2",
    "Customer calls debrief",
)
TOPICS = (
    (("release", 0.5), ("deploy", 0.4), ("staging", 0.3), ("rollback", 0.2), ("canary", 0.15)),
    (("customer", 0.5), ("onboarding", 0.35), ("churn", 0.3), ("survey", 0.2)),
    (("budget", 0.45), ("hiring", 0.3), ("q2", 0.25), ("예산", 0.2)),
    (("incident", 0.5), ("latency", 0.4), ("kafka", 0.3), ("on-call", 0.2)),
)


@dataclass
class BoardRows:
    """One board's analytics rows and the titles of its meetings."""

    board_id: str
    meetings: list[AnalyticsMeeting] = field(default_factory=list)
    speakers: list[AnalyticsSpeaker] = field(default_factory=list)
    board_weeks: list[AnalyticsBoardWeek] = field(default_factory=list)
    person_weeks: list[AnalyticsPersonWeek] = field(default_factory=list)
    topics: list[AnalyticsTopic] = field(default_factory=list)
    keyword_weeks: list[AnalyticsKeywordWeek] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)

    def all_rows(self) -> list[Any]:
        """Every row, parents first (for session.add_all after the meetings exist)."""
        return [
            *self.meetings,
            *self.speakers,
            *self.board_weeks,
            *self.person_weeks,
            *self.topics,
            *self.keyword_weeks,
        ]

    def report_input(self, board_name: str) -> ReportInput:
        return ReportInput(
            meetings=self.meetings,
            speakers=self.speakers,
            board_weeks=self.board_weeks,
            person_weeks=self.person_weeks,
            topics=self.topics,
            keyword_weeks=self.keyword_weeks,
            titles=self.titles,
            board_names={self.board_id: board_name},
            has_runs=True,
        )


def board_rows(
    board_id: str,
    now: datetime,
    *,
    meetings: int = 36,
    weeks: int = 12,
    prefix: str = "m",
    person_prefix: str = "u",
    seed: int = 7,
) -> BoardRows:
    """A board's meetings over the last `weeks` weeks before `now`, with everything derived."""
    rng = random.Random(seed)
    rows = BoardRows(board_id)
    start = now - timedelta(weeks=weeks)
    step = (now - start) / meetings
    person_week: dict[tuple[int, Any], list[float]] = {}
    for n in range(meetings):
        meeting_id = f"{prefix}{n}"
        started = start + step * n + timedelta(minutes=rng.randint(0, 300))
        duration = rng.uniform(20, 70) * 60
        present = sorted(rng.sample(range(len(PEOPLE)), rng.randint(3, len(PEOPLE))))
        weights = [PEOPLE[i][1] * rng.uniform(0.5, 1.5) for i in present]
        speech = duration * rng.uniform(0.7, 0.9)
        words_total = 0
        for i, weight in zip(present, weights, strict=True):
            talk = speech * weight / sum(weights)
            wpm = rng.gauss(140 - 5 * i, 15)
            words = int(talk / 60 * wpm)
            words_total += words
            rows.speakers.append(
                AnalyticsSpeaker(
                    meeting_id=meeting_id,
                    participant_id=f"p{i}",
                    speaker=PEOPLE[i][0],
                    user_id=f"{person_prefix}{i}",
                    talk_s=talk,
                    talk_share=weight / sum(weights),
                    words=words,
                    wpm=wpm,
                    turns=rng.randint(5, 40),
                    longest_monologue_s=rng.uniform(30, 200),
                    interruptions_made=rng.randint(0, 5),
                    interrupted=rng.randint(0, 5),
                    overlap_s=rng.uniform(0, 30),
                    questions=rng.randint(0, 6),
                )
            )
            totals = person_week.setdefault((i, monday(started.date())), [0.0, 0, 0])
            totals[0] += talk
            totals[1] += 1
            totals[2] += words
        rows.meetings.append(
            AnalyticsMeeting(
                meeting_id=meeting_id,
                board_id=board_id,
                started_at=started,
                duration_s=duration,
                speech_s=speech,
                silence_share=1 - speech / duration,
                overlap_s=rng.uniform(10, 90),
                interruptions=rng.randint(0, 12),
                questions=rng.randint(2, 20),
                decisions=rng.randint(0, 5),
                action_items=rng.randint(0, 8),
                speakers=len(present),
                words=words_total,
                gini=rng.uniform(0.1, 0.5),
                efficiency=rng.uniform(40, 90),
                input_fingerprint="synthetic",
                computed_at=now,
            )
        )
        rows.titles[meeting_id] = TITLES[n % len(TITLES)]
    mondays = sorted({monday(m.started_at.date()) for m in rows.meetings})
    for week in mondays:
        rows.board_weeks.append(
            AnalyticsBoardWeek(
                board_id=board_id,
                week=week,
                meetings=3,
                meeting_hours=2.0,
                items_created=rng.randint(3, 12),
                items_completed=rng.randint(2, 10),
                items_overdue=rng.randint(0, 4),
                median_time_to_done_h=rng.uniform(20, 120),
                computed_at=now,
            )
        )
    for (i, week), totals in person_week.items():
        week_talk, week_meetings, week_words = totals
        rows.person_weeks.append(
            AnalyticsPersonWeek(
                board_id=board_id,
                person=f"{person_prefix}{i}",
                week=week,
                name=PEOPLE[i][0],
                meetings=int(week_meetings),
                talk_s=week_talk,
                talk_share=0.0,
                words=int(week_words),
                wpm=week_words / (week_talk / 60),
                computed_at=now,
            )
        )
    shares = (0.35, 0.28, 0.22, 0.15)
    for number, (terms, share) in enumerate(zip(TOPICS, shares, strict=True)):
        rows.topics.append(
            AnalyticsTopic(
                board_id=board_id,
                topic=number,
                terms=[list(term) for term in terms],
                meetings=round(meetings * share),
                share=share,
                computed_at=now,
            )
        )
    keywords = [term for terms in TOPICS for term, _ in terms[:3]]
    for n, week in enumerate(mondays):
        for k, term in enumerate(keywords):
            peak = 0.3 if (n + k) % 5 == 0 else 0.0
            rows.keyword_weeks.append(
                AnalyticsKeywordWeek(
                    board_id=board_id,
                    week=week,
                    term=term,
                    score=max(0.0, rng.gauss(0.4 + peak, 0.15)),
                    meetings=2,
                    computed_at=now,
                )
            )
    return rows
