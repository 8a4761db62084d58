"""Executor side of the per-meeting job: a grouped meeting row through the pure core.

Only the standard library and `analytics_spark.metrics` are imported here, so executors
need nothing but this package (shipped with `addPyFile`, or `--py-files` on a cluster).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics_spark.metrics import Attendee, MeetingFigures, Segment, meeting_metrics


def figures_of(row: Any) -> tuple[str, MeetingFigures]:
    """One meeting (its collected segments and attendees) to its figures."""
    segments = [
        Segment(s.participant, float(s.start_m), float(s.end_m), int(s.words), bool(s.question))
        for s in row.segments or []
    ]
    attendees = [
        Attendee(a.participant, a.speaker or a.participant, a.user_id) for a in row.attendees or []
    ]
    return row.meeting_id, meeting_metrics(
        segments,
        attendees,
        duration_s=float(row.duration_s),
        decisions=int(row.decisions),
        action_items=int(row.action_items),
    )


def top_terms(
    row: Any, *, idf: list[float], vocab: list[str], keep: int
) -> list[tuple[str, date, str, float, int]]:
    """A board-week's strongest keywords: (board, week, term, mean TF-IDF, meetings using it).

    `row.s` holds the sums of the week's count vectors and per-term numbers of meetings.
    """
    sums, used = row.s["sum"].toArray(), row.s["numNonZeros"].toArray()
    scored = [
        (float(count) * idf[i] / row.held, i)
        for i, count in enumerate(sums)
        if count > 0 and idf[i] > 0
    ]
    scored.sort(key=lambda pair: (-pair[0], vocab[pair[1]]))
    return [
        (row.board_id, row.week, vocab[i], float(score), int(used[i])) for score, i in scored[:keep]
    ]
