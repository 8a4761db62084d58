"""`GET /api/v1/meetings/{id}/summary`: the latest summary with card links, or minutes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.deps import MeetingDep, SessionDep
from gateway.exports import local_stamp
from gateway.minutes import MinutesHeader, render_minutes
from gateway.schemas import ActionItemOut, CardLink, SummaryOut
from vori.db.tables import Meeting, MeetingMember, MeetingSummaryRow, MeetingTaskCard, User

router = APIRouter(prefix="/api/v1/meetings", tags=["summaries"])


def latest_summary(session: Session, meeting: Meeting) -> SummaryOut:
    """The stored summary with each action item's kanban card where one is known."""
    row = session.get(MeetingSummaryRow, meeting.id)
    if row is None:
        return SummaryOut(meeting_id=meeting.id, available=False)
    items = [ActionItemOut.model_validate(item) for item in row.action_items]
    keys = [item.task_key for item in items]
    cards = {
        card.task_key: CardLink(
            id=card.card_id,
            board_id=card.board_id,
            column=card.column_name,
            title=card.title,
            assignee=card.assignee,
            due_date=card.due_date,
            version=card.version,
            archived=card.archived,
        )
        for card in session.scalars(
            select(MeetingTaskCard).where(MeetingTaskCard.task_key.in_(keys))
        )
    }
    return SummaryOut(
        meeting_id=meeting.id,
        available=True,
        kind=row.kind,
        revision=row.revision,
        source=row.source,
        language=row.language,
        created_at=row.created_at,
        overview=row.overview,
        key_points=list(row.key_points),
        decisions=list(row.decisions),
        open_questions=list(row.open_questions),
        action_items=[item.model_copy(update={"card": cards.get(item.task_key)}) for item in items],
    )


def _participants(session: Session, meeting_id: str) -> list[str]:
    return list(
        session.scalars(
            select(User.display_name)
            .join(MeetingMember, MeetingMember.user_id == User.id)
            .where(MeetingMember.meeting_id == meeting_id)
            .order_by(User.display_name)
        )
    )


@router.get(
    "/{meeting_id}/summary",
    response_model=SummaryOut,
    responses={200: {"content": {"text/markdown": {}}, "description": "Summary or minutes."}},
)
def get_summary(
    meeting: MeetingDep,
    session: SessionDep,
    format: Annotated[Literal["json", "md"], Query(description="json or md")] = "json",
) -> SummaryOut | Response:
    """The latest summary, decisions and action items (with card ids and evidence)."""
    summary = latest_summary(session, meeting)
    if format == "json":
        return summary
    header = MinutesHeader(
        title=meeting.title,
        started=local_stamp(meeting.created_at, meeting.time_zone),
        ended=local_stamp(meeting.ended_at, meeting.time_zone) if meeting.ended_at else None,
        participants=_participants(session, meeting.id),
        language=meeting.language,
    )
    return Response(
        render_minutes(header, summary),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{meeting.id}-minutes.md"'},
    )
