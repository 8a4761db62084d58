"""Read one scope's analytics rows from PostgreSQL (SQLAlchemy; the report needs no Spark)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Engine, exists, func, select
from sqlalchemy.orm import Session

from analytics_spark.report.model import ReportInput, ReportScope, monday
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsRun,
    AnalyticsSpeaker,
    AnalyticsTopic,
    Board,
    Meeting,
)

Weekly = TypeVar("Weekly", AnalyticsBoardWeek, AnalyticsPersonWeek, AnalyticsKeywordWeek)


def board_exists(engine: Engine, board_id: str) -> bool:
    """Whether a board id names a board (or has analytics rows of its own)."""
    with Session(engine) as session:
        return bool(
            session.scalar(
                select(
                    exists().where(Board.id == board_id)
                    | exists().where(AnalyticsMeeting.board_id == board_id)
                    | exists().where(AnalyticsBoardWeek.board_id == board_id)
                )
            )
        )


def load_report_input(engine: Engine, scope: ReportScope) -> ReportInput:
    """The rows of a scope: meetings since `scope.since` on `scope.board_id` (or all boards)."""
    board, since = scope.board_id, scope.since
    first_week = monday(since.date()) if since else None
    with Session(engine) as session:
        meeting_query = select(AnalyticsMeeting, Meeting.title).join(
            Meeting, Meeting.id == AnalyticsMeeting.meeting_id
        )
        if board is not None:
            meeting_query = meeting_query.where(AnalyticsMeeting.board_id == board)
        if since is not None:
            meeting_query = meeting_query.where(AnalyticsMeeting.started_at >= since)
        pairs = session.execute(meeting_query).all()
        meetings = [meeting for meeting, _ in pairs]
        titles = {meeting.meeting_id: title for meeting, title in pairs}

        in_scope = meeting_query.with_only_columns(AnalyticsMeeting.meeting_id).subquery()
        speakers = session.scalars(
            select(AnalyticsSpeaker).where(AnalyticsSpeaker.meeting_id.in_(select(in_scope)))
        ).all()

        def weekly(table: type[Weekly]) -> list[Weekly]:
            query = select(table)
            if board is not None:
                query = query.where(table.board_id == board)
            if first_week is not None:
                query = query.where(table.week >= first_week)
            return list(session.scalars(query).all())

        board_weeks = weekly(AnalyticsBoardWeek)
        person_weeks = weekly(AnalyticsPersonWeek)
        keyword_weeks = weekly(AnalyticsKeywordWeek)
        topic_query = select(AnalyticsTopic)
        if board is not None:
            topic_query = topic_query.where(AnalyticsTopic.board_id == board)
        topics = session.scalars(topic_query).all()

        board_ids = {m.board_id for m in meetings if m.board_id}
        board_ids |= {row.board_id for row in board_weeks} | {row.board_id for row in topics}
        if board is not None:
            board_ids.add(board)
        names = session.execute(select(Board.id, Board.name).where(Board.id.in_(board_ids)))
        board_names = {board_id: name for board_id, name in names}
        last_run_at = session.scalar(
            select(func.max(AnalyticsRun.finished_at)).where(AnalyticsRun.status == "done")
        )
        has_runs = last_run_at is not None or bool(
            session.scalar(select(exists().where(AnalyticsMeeting.meeting_id.is_not(None))))
        )
    return ReportInput(
        meetings=meetings,
        speakers=list(speakers),
        board_weeks=board_weeks,
        person_weeks=person_weeks,
        topics=list(topics),
        keyword_weeks=keyword_weeks,
        titles=titles,
        board_names=board_names,
        has_runs=has_runs,
        last_run_at=last_run_at,
    )
