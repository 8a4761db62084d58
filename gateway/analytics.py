"""`/api/v1/analytics/*`: what the Spark jobs computed about a meeting and about a board.

The gateway only reads the analytics tables (analytics_spark writes them). A meeting is
answered to its members, a board to whoever may see it on the kanban side; everyone else
gets 404, exactly as for one that does not exist. Before the batch job has run, both
answer 200 with `status: "pending"` and empty figures, so a client can say so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from gateway.corrections import speaker_labels
from gateway.deps import MeetingDep, PrincipalDep, SessionDep
from gateway.schemas import (
    AnalysisStatus,
    BoardAnalyticsOut,
    BoardMeetingOut,
    BoardWeekOut,
    KeywordWeekOut,
    LiveSpeakerOut,
    LiveTotalsOut,
    MeetingAnalyticsOut,
    MeetingFiguresOut,
    PersonWeekOut,
    SpeakerFiguresOut,
    TermWeightOut,
    TopicOut,
)
from vori.auth import board_visible_to, works_board
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsLiveSpeaker,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
    Meeting,
    MeetingMember,
    User,
)

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

BOARD_NOT_FOUND = "board not found"
BOARD_WORKERS_ONLY = (
    "board analytics are for the board's owner and members; you see this board through a meeting"
)
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such meeting or board, or the caller may not see it."}
}
# `30d`, `12w`: a look-back from today. Capped so that a typo cannot overflow the calendar.
DURATION = re.compile(r"(\d{1,5})([dw])")
MAX_LOOKBACK_DAYS = 3660
# A board page lists at most this many of its meetings.
BOARD_MEETINGS_LIMIT = 200


def parse_since(value: str | None, today: date) -> date | None:
    """The Monday of the week that `value` falls in: an ISO date or date-time, or a
    look-back such as `30d` or `12w` from `today`. None for no bound; ValueError if bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    duration = DURATION.fullmatch(text.lower())
    if duration is not None:
        days = int(duration.group(1)) * (7 if duration.group(2) == "w" else 1)
        if days > MAX_LOOKBACK_DAYS:
            raise ValueError(f"since={text!r} looks back more than {MAX_LOOKBACK_DAYS} days")
        day = today - timedelta(days=days)
    else:
        try:
            day = (
                datetime.fromisoformat(text).date()
                if "T" in text or " " in text
                else date.fromisoformat(text)
            )
        except ValueError:
            raise ValueError(
                f"since={text!r} is neither an ISO date (2026-01-31) nor a look-back "
                "such as 30d or 12w"
            ) from None
    return day - timedelta(days=day.weekday())


def _status(row: AnalyticsMeeting | None, meeting: Meeting) -> AnalysisStatus:
    if row is None:
        return "pending"
    if meeting.ended_at is None or row.computed_at < meeting.ended_at:
        return "partial"  # figures of the meeting so far
    return "ready"


def _names(session: Session, user_ids: Sequence[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def live_totals(session: Session, meeting: Meeting) -> LiveTotalsOut:
    """The live job's running totals of the meeting, most talk time first."""
    rows = list(
        session.scalars(
            select(AnalyticsLiveSpeaker)
            .where(AnalyticsLiveSpeaker.meeting_id == meeting.id)
            .order_by(AnalyticsLiveSpeaker.talk_s.desc(), AnalyticsLiveSpeaker.participant_id)
        )
    )
    # The live job sees only what a segment carries; a segment without a speaker name
    # still has its participant, whose display name the gateway knows.
    names = _names(session, [row.participant_id for row in rows if not row.speaker])
    # A room microphone's voice is keyed by its speaker_id, which a member may have named.
    labels = speaker_labels(session, meeting.id)
    total = sum(max(0.0, row.talk_s) for row in rows)
    return LiveTotalsOut(
        active=meeting.ended_at is None,
        updated_at=max((row.updated_at for row in rows), default=None),
        talk_s=total,
        speakers=[
            LiveSpeakerOut(
                participant_id=row.participant_id,
                speaker=labels.get(row.participant_id)
                or row.speaker
                or names.get(row.participant_id, row.participant_id),
                segments=row.segments,
                talk_s=row.talk_s,
                talk_share=max(0.0, row.talk_s) / total if total > 0 else 0.0,
                words=row.words,
                wpm=row.wpm,
                last_end_s=row.last_end_s,
                updated_at=row.updated_at,
            )
            for row in rows
        ],
    )


def meeting_analytics(session: Session, meeting: Meeting) -> MeetingAnalyticsOut:
    """The batch figures of a meeting (if computed), its speakers and its live totals."""
    row = session.get(AnalyticsMeeting, meeting.id)
    speakers: list[AnalyticsSpeaker] = []
    if row is not None:
        speakers = list(
            session.scalars(
                select(AnalyticsSpeaker)
                .where(AnalyticsSpeaker.meeting_id == meeting.id)
                .order_by(AnalyticsSpeaker.talk_s.desc(), AnalyticsSpeaker.speaker)
            )
        )
    return MeetingAnalyticsOut(
        meeting_id=meeting.id,
        status=_status(row, meeting),
        computed_at=row.computed_at if row is not None else None,
        figures=MeetingFiguresOut.model_validate(row, from_attributes=True) if row else None,
        speakers=[SpeakerFiguresOut.model_validate(s, from_attributes=True) for s in speakers],
        live=live_totals(session, meeting),
    )


def _terms(raw: list[Any]) -> list[TermWeightOut]:
    return [TermWeightOut(term=str(term), weight=float(weight)) for term, weight in raw]


def _board_computed_at(session: Session, board_id: str) -> datetime | None:
    """When any of the board's analytics rows was last computed; None if none exists."""
    latest = union_all(
        *(
            select(func.max(table.computed_at)).where(table.board_id == board_id)
            for table in (
                AnalyticsBoardWeek,
                AnalyticsPersonWeek,
                AnalyticsTopic,
                AnalyticsKeywordWeek,
            )
        )
    ).subquery()
    computed: datetime | None = session.scalar(select(func.max(latest.c[0])))
    return computed


def board_analytics(
    session: Session, board_id: str, user_id: str, since: date | None
) -> BoardAnalyticsOut:
    """A board's weeks from `since` on (all when None), its topics, and the caller's meetings."""
    weeks = select(AnalyticsBoardWeek).where(AnalyticsBoardWeek.board_id == board_id)
    people = select(AnalyticsPersonWeek).where(AnalyticsPersonWeek.board_id == board_id)
    keywords = select(AnalyticsKeywordWeek).where(AnalyticsKeywordWeek.board_id == board_id)
    meetings = (
        select(Meeting.title, AnalyticsMeeting)
        .join(AnalyticsMeeting, AnalyticsMeeting.meeting_id == Meeting.id)
        .join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
        .where(Meeting.board_id == board_id, MeetingMember.user_id == user_id)
    )
    if since is not None:
        weeks = weeks.where(AnalyticsBoardWeek.week >= since)
        people = people.where(AnalyticsPersonWeek.week >= since)
        keywords = keywords.where(AnalyticsKeywordWeek.week >= since)
        start = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        meetings = meetings.where(AnalyticsMeeting.started_at >= start)
    topics = session.scalars(
        select(AnalyticsTopic)
        .where(AnalyticsTopic.board_id == board_id)
        .order_by(AnalyticsTopic.share.desc(), AnalyticsTopic.topic)
    )
    computed_at = _board_computed_at(session, board_id)
    return BoardAnalyticsOut(
        board_id=board_id,
        status="pending" if computed_at is None else "ready",
        since=since,
        computed_at=computed_at,
        weeks=[
            BoardWeekOut.model_validate(row, from_attributes=True)
            for row in session.scalars(weeks.order_by(AnalyticsBoardWeek.week))
        ],
        people=[
            PersonWeekOut.model_validate(row, from_attributes=True)
            for row in session.scalars(
                people.order_by(AnalyticsPersonWeek.week, AnalyticsPersonWeek.name)
            )
        ],
        topics=[
            TopicOut(topic=t.topic, terms=_terms(t.terms), meetings=t.meetings, share=t.share)
            for t in topics
        ],
        keywords=[
            KeywordWeekOut.model_validate(row, from_attributes=True)
            for row in session.scalars(
                keywords.order_by(AnalyticsKeywordWeek.week, AnalyticsKeywordWeek.score.desc())
            )
        ],
        meetings=[
            BoardMeetingOut(
                meeting_id=row.meeting_id,
                title=title,
                started_at=row.started_at,
                duration_s=row.duration_s,
                speakers=row.speakers,
                gini=row.gini,
                efficiency=row.efficiency,
            )
            for title, row in session.execute(
                meetings.order_by(AnalyticsMeeting.started_at.desc()).limit(BOARD_MEETINGS_LIMIT)
            )
        ],
    )


@router.get("/meetings/{meeting_id}", response_model=MeetingAnalyticsOut, responses=NOT_FOUND)
def get_meeting_analytics(meeting: MeetingDep, session: SessionDep) -> MeetingAnalyticsOut:
    """A meeting's figures (talk time, words per minute, overlaps, interruptions, questions,
    decisions, action items, Gini, efficiency), per-speaker rows and the live totals.

    Before the batch job has analysed the meeting, `status` is `pending`, `figures` null
    and `speakers` empty; the live totals fill in while the meeting runs.
    """
    return meeting_analytics(session, meeting)


@router.get(
    "/boards/{board_id}",
    response_model=BoardAnalyticsOut,
    responses={**NOT_FOUND, 422: {"description": "`since` is not a date or a look-back."}},
)
def get_board_analytics(
    board_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    since: Annotated[
        str | None,
        Query(
            max_length=40,
            description=(
                "Weeks from this one on: an ISO date (2026-01-31) or a look-back from today "
                "such as 30d or 12w. All weeks when absent."
            ),
        ),
    ] = None,
) -> BoardAnalyticsOut:
    """A board's meeting hours and action-item flow per week, each person's participation
    per week, recurring topics and keyword trends, and the caller's analysed meetings of it.
    """
    if not board_visible_to(session, board_id, principal.user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, BOARD_NOT_FOUND)
    if not works_board(session, board_id, principal.user_id):
        # Figures across all the board's meetings: not for a guest of one of them.
        raise HTTPException(status.HTTP_403_FORBIDDEN, BOARD_WORKERS_ONLY)
    try:
        week = parse_since(since, datetime.now(UTC).date())
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return board_analytics(session, board_id, principal.user_id, week)
