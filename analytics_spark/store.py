"""Writing the batch results: upserts keyed by the tables' primary keys, on the driver.

The results are small (a row per meeting and per speaker, a row per board-week), so the
driver collects them and writes them with SQLAlchemy in one transaction per table group:
`INSERT ... ON CONFLICT DO UPDATE` makes a re-run write the same rows, and a set that is
recomputed as a whole (a meeting's speakers, a board's weeks) is replaced in the same
transaction, so nothing stale survives. Spark's JDBC writer can only append or overwrite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from analytics_spark.meetings import PlannedMeeting
from analytics_spark.metrics import MeetingFigures
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsRun,
    AnalyticsSpeaker,
    AnalyticsTopic,
)

BATCH = 2000


def _batches(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


def save_meetings(
    engine: Engine,
    planned: Sequence[PlannedMeeting],
    figures: dict[str, MeetingFigures],
    computed_at: datetime,
) -> None:
    """Upsert the meetings' figures and replace their speakers' rows."""
    meetings: list[dict[str, Any]] = []
    speakers: list[dict[str, Any]] = []
    for p in planned:
        f = figures[p.meeting_id]
        meetings.append(
            {
                "meeting_id": p.meeting_id,
                "board_id": p.board_id,
                "started_at": p.started_at,
                "duration_s": f.duration_s,
                "speech_s": f.speech_s,
                "silence_share": f.silence_share,
                "overlap_s": f.overlap_s,
                "interruptions": f.interruptions,
                "questions": f.questions,
                "decisions": f.decisions,
                "action_items": f.action_items,
                "speakers": f.speakers,
                "words": f.words,
                "gini": f.gini,
                "efficiency": f.efficiency,
                "input_fingerprint": p.fingerprint,
                "computed_at": computed_at,
            }
        )
        speakers.extend(
            {
                "meeting_id": p.meeting_id,
                "participant_id": s.participant,
                "speaker": s.speaker,
                "user_id": s.user_id,
                "talk_s": s.talk_s,
                "talk_share": s.talk_share,
                "words": s.words,
                "wpm": s.wpm,
                "turns": s.turns,
                "longest_monologue_s": s.longest_monologue_s,
                "interruptions_made": s.interruptions_made,
                "interrupted": s.interrupted,
                "overlap_s": s.overlap_s,
                "questions": s.questions,
            }
            for s in f.per_speaker
        )
    with engine.begin() as conn:
        for rows in _batches(meetings):
            stmt = pg_insert(AnalyticsMeeting).values(list(rows))
            keep = {c: stmt.excluded[c] for c in rows[0] if c != "meeting_id"}
            conn.execute(stmt.on_conflict_do_update(index_elements=["meeting_id"], set_=keep))
        ids = [p.meeting_id for p in planned]
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            conn.execute(delete(AnalyticsSpeaker).where(AnalyticsSpeaker.meeting_id.in_(chunk)))
        for rows in _batches(speakers):
            conn.execute(insert(AnalyticsSpeaker), list(rows))


def replace_board_rows(
    engine: Engine,
    table: type[AnalyticsBoardWeek | AnalyticsPersonWeek | AnalyticsKeywordWeek | AnalyticsTopic],
    boards: Sequence[str],
    rows: Sequence[dict[str, Any]],
    from_week: date | None = None,
) -> None:
    """Replace the boards' rows (from a week on, for weekly tables) with `rows`."""
    with engine.begin() as conn:
        for i in range(0, len(boards), BATCH):
            stmt = delete(table).where(table.board_id.in_(boards[i : i + BATCH]))
            if from_week is not None and hasattr(table, "week"):
                stmt = stmt.where(table.week >= from_week)
            conn.execute(stmt)
        for chunk in _batches(rows):
            conn.execute(insert(table), list(chunk))


def last_watermark(engine: Engine, board: str | None) -> dict[str, Any]:
    """The watermark of the newest finished run that covered `board` (all boards: None).

    A run of one board says nothing about the others, so a run of all boards only
    continues from another run of all boards.
    """
    covering: ColumnElement[bool] = AnalyticsRun.board_id.is_(None)
    if board is not None:
        covering = or_(covering, AnalyticsRun.board_id == board)
    with engine.connect() as conn:
        value = conn.scalar(
            select(AnalyticsRun.watermark)
            .where(AnalyticsRun.status == "done", covering)
            .order_by(AnalyticsRun.id.desc())
            .limit(1)
        )
    return dict(value or {})


def input_watermark(engine: Engine) -> dict[str, Any]:
    """Where the inputs stand now: newest card change, segment and summary."""
    from vori.db.tables import CardHistoryRow, MeetingSummaryRow, TranscriptSegmentRow

    with engine.connect() as conn:
        card = conn.scalar(select(func.max(CardHistoryRow.id)))
        segment = conn.scalar(select(func.max(TranscriptSegmentRow.created_at)))
        summary = conn.scalar(select(func.max(MeetingSummaryRow.stored_at)))
    return {
        "card_history_id": card or 0,
        "segment_created_at": segment.isoformat() if segment else None,
        "summary_stored_at": summary.isoformat() if summary else None,
    }


def start_run(
    engine: Engine, started_at: datetime, board: str | None, since: datetime | None, master: str
) -> int:
    with engine.begin() as conn:
        run_id = conn.scalar(
            insert(AnalyticsRun)
            .values(
                started_at=started_at,
                board_id=board,
                since=since,
                master=master,
                watermark={},
                meetings=0,
                status="running",
            )
            .returning(AnalyticsRun.id)
        )
    return int(run_id or 0)


def finish_run(
    engine: Engine,
    run_id: int,
    finished_at: datetime,
    status: str,
    meetings: int = 0,
    watermark: dict[str, Any] | None = None,
) -> None:
    with engine.begin() as conn:
        values: dict[str, Any] = {"finished_at": finished_at, "status": status}
        if status == "done":
            values.update(meetings=meetings, watermark=watermark or {})
        conn.execute(update(AnalyticsRun).where(AnalyticsRun.id == run_id).values(**values))
