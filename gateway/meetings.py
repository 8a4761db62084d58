"""Meetings: create, list mine, get, rename, delete, add and remove members, end; lifecycle
to `meeting.events`."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.deps import MeetingDep, PrincipalDep, RuntimeDep, SessionDep
from gateway.meeting_erase import erase_meeting
from gateway.meeting_query import (
    BadCursorError,
    MeetingFilter,
    Position,
    StatusFilter,
    decode_cursor,
    encode_cursor,
)
from gateway.meeting_schemas import (
    MeetingCreate,
    MeetingOut,
    MeetingRename,
    MemberAdd,
    MemberOut,
)
from gateway.runtime import GatewayRuntime
from vori.auth import may_feed_board, new_id, personal_board_id
from vori.db.tables import Meeting, MeetingMember, User
from vori.events import MeetingEvent

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/meetings", tags=["meetings"])

OWNER = "owner"
ONLY_OWNER = "only the meeting's owner can do this"
NEXT_CURSOR = "X-Next-Cursor"


def _members(session: Session, meeting_ids: Sequence[str]) -> dict[str, list[MemberOut]]:
    rows = session.execute(
        select(MeetingMember.meeting_id, MeetingMember.role, User)
        .join(User, User.id == MeetingMember.user_id)
        .where(MeetingMember.meeting_id.in_(meeting_ids))
        .order_by(MeetingMember.added_at, User.display_name)
    )
    members: dict[str, list[MemberOut]] = {meeting_id: [] for meeting_id in meeting_ids}
    for meeting_id, role, user in rows:
        members[meeting_id].append(
            MemberOut(user_id=user.id, email=user.email, display_name=user.display_name, role=role)
        )
    return members


def _meeting_out(meeting: Meeting, members: list[MemberOut]) -> MeetingOut:
    return MeetingOut(
        id=meeting.id,
        title=meeting.title,
        language=meeting.language,
        time_zone=meeting.time_zone,
        board_id=meeting.board_id,
        owner_id=meeting.owner_id,
        created_at=meeting.created_at,
        ended_at=meeting.ended_at,
        status="ended" if meeting.ended_at is not None else "active",
        members=members,
        vocabulary=list(meeting.vocabulary or []),
        tasks=meeting.tasks,
        accuracy=meeting.accuracy,
    )


def _publish(runtime: GatewayRuntime, event: MeetingEvent) -> None:
    """Publish a lifecycle event and wait briefly for Kafka; it stays queued if Kafka is down."""
    runtime.producer.publish(event)
    if runtime.producer.flush(5.0) > 0:
        log.warning("meeting %s: %s not yet confirmed by Kafka", event.meeting_id, event.type)


def _check_meeting_cap(session: Session, user_id: str, cap: int) -> None:
    """403 when the user already owns `cap` meetings. The user's row is locked first, so
    concurrent creations by one person are counted one after the other."""
    session.scalar(select(User.id).where(User.id == user_id).with_for_update())
    owned = session.scalar(select(func.count()).where(Meeting.owner_id == user_id)) or 0
    if owned >= cap:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"you own {owned} meetings, the most one person may have here ({cap}); "
            "erase meetings you no longer need to create more",
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeetingOut)
def create_meeting(
    body: MeetingCreate, principal: PrincipalDep, runtime: RuntimeDep, session: SessionDep
) -> MeetingOut:
    """Create a meeting; the caller owns it and is its first member. 403 beyond
    VORI_GATEWAY__MAX_MEETINGS_PER_USER meetings owned."""
    if body.board_id is not None and not may_feed_board(session, body.board_id, principal.user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "board not found")
    _check_meeting_cap(session, principal.user_id, runtime.settings.gateway.max_meetings_per_user)
    # No board named: the owner's personal board, so the meeting links to it before its
    # first card (kanban names it then if it did not exist yet).
    board_id = body.board_id or personal_board_id(session, principal.user_id)
    meeting = Meeting(
        id=new_id("mtg"),
        title=body.title,
        language=body.language,
        owner_id=principal.user_id,
        board_id=board_id,
        time_zone=body.time_zone,
        created_at=datetime.now(UTC),
        vocabulary=body.vocabulary,
        tasks=body.tasks,
        accuracy=body.accuracy,
    )
    session.add(meeting)
    session.flush()
    session.add(MeetingMember(meeting_id=meeting.id, user_id=principal.user_id, role=OWNER))
    session.commit()
    _publish(
        runtime,
        MeetingEvent(
            type="started", meeting_id=meeting.id, language=meeting.language, at=meeting.created_at
        ),
    )
    return _meeting_out(meeting, _members(session, [meeting.id])[meeting.id])


@router.get(
    "",
    response_model=list[MeetingOut],
    responses={
        200: {
            "description": "Newest first. `X-Next-Cursor` is set when more meetings follow.",
            "headers": {"X-Next-Cursor": {"schema": {"type": "string"}}},
        },
        400: {"description": "A cursor this gateway did not hand out."},
    },
)
def list_meetings(
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
    q: Annotated[str | None, Query(max_length=300, description="Words in the title.")] = None,
    board_id: Annotated[str | None, Query(max_length=40)] = None,
    status_filter: Annotated[StatusFilter | None, Query(alias="status")] = None,
    after: Annotated[datetime | None, Query(description="Created at or after.")] = None,
    before: Annotated[datetime | None, Query(description="Created before.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> list[MeetingOut]:
    """The caller's meetings, newest first, filtered and paged by cursor."""
    try:
        start = decode_cursor(cursor) if cursor else None
    except BadCursorError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    wanted = MeetingFilter(
        user_id=principal.user_id,
        q=q,
        board_id=board_id,
        status=status_filter,
        after=after,
        before=before,
        start=start,
    )
    # One row more than asked tells whether another page follows.
    meetings = list(session.scalars(wanted.query(limit + 1)))
    if len(meetings) > limit:
        meetings = meetings[:limit]
        last = meetings[-1]
        response.headers[NEXT_CURSOR] = encode_cursor(Position(last.created_at, last.id))
    members = _members(session, [meeting.id for meeting in meetings])
    return [_meeting_out(meeting, members[meeting.id]) for meeting in meetings]


@router.get("/{meeting_id}", response_model=MeetingOut)
def get_meeting(meeting: MeetingDep, session: SessionDep) -> MeetingOut:
    """One meeting the caller is a member of; 404 otherwise."""
    return _meeting_out(meeting, _members(session, [meeting.id])[meeting.id])


@router.patch(
    "/{meeting_id}",
    response_model=MeetingOut,
    responses={403: {"description": "Only the owner renames."}},
)
def rename_meeting(
    body: MeetingRename, meeting: MeetingDep, principal: PrincipalDep, session: SessionDep
) -> MeetingOut:
    """Rename a meeting or choose which commitments become its cards (the owner only; the
    next summary reads with it) and/or replace its vocabulary (any member: the people who
    speak know the names; it applies to streams opened after the change)."""
    if (body.title is not None or body.changes_tasks) and meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    if body.title is not None:
        meeting.title = body.title
    if body.changes_tasks:
        meeting.tasks = body.tasks
    if body.vocabulary is not None:
        meeting.vocabulary = body.vocabulary
    session.commit()
    return _meeting_out(meeting, _members(session, [meeting.id])[meeting.id])


@router.delete(
    "/{meeting_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"description": "Only the owner deletes."},
        503: {"description": "Kafka did not confirm; nothing was deleted, try again."},
    },
)
def delete_meeting(
    meeting: MeetingDep, principal: PrincipalDep, runtime: RuntimeDep, session: SessionDep
) -> Response:
    """Delete a meeting with its transcript, summary and event log (the owner only). Its
    cards stay on their board as board cards, their evidence quotes with them.

    Each service deletes the rows it owns on the `deleted` event. It is published, and
    confirmed by Kafka, before the commit: a gateway that dies right after committing
    cannot leave the summarizer's copy or the recordings behind. If Kafka does not confirm
    in time nothing is deleted here (503); the event may still arrive later, and as when
    the commit fails after it, the services then hold nothing of a meeting its owner asked
    to delete and deleting it again completes the deletion."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    meeting_id = meeting.id  # the row is gone after the commit
    if meeting.ended_at is None:
        # Workers stop taking audio and summarising before the rows go.
        runtime.producer.publish(
            MeetingEvent(type="ended", meeting_id=meeting_id, language=meeting.language)
        )
    runtime.producer.publish(MeetingEvent(type="deleted", meeting_id=meeting_id))
    if runtime.producer.flush(5.0) > 0:
        log.warning("meeting %s: `deleted` not confirmed by Kafka, not deleted", meeting_id)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the event bus did not answer; try again"
        )
    member_ids = [member.user_id for member in _members(session, [meeting_id])[meeting_id]]
    erase_meeting(session, meeting_id)
    session.commit()
    log.info("meeting %s deleted by its owner %s", meeting_id, principal.user_id)
    # Every gateway closes everyone's event streams of the meeting (4404), as on a removal.
    for user_id in member_ids:
        _publish(
            runtime,
            MeetingEvent(type="member_removed", meeting_id=meeting_id, participant_id=user_id),
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{meeting_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    responses={200: {"description": "Already a member."}},
)
def add_member(
    body: MemberAdd,
    meeting: MeetingDep,
    principal: PrincipalDep,
    session: SessionDep,
    response: Response,
) -> MemberOut:
    """Add a registered user by e-mail (the owner only)."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    email = str(body.email).lower()
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with e-mail {email}")
    member = session.get(MeetingMember, (meeting.id, user.id))
    if member is not None:
        response.status_code = status.HTTP_200_OK
    else:
        member = MeetingMember(meeting_id=meeting.id, user_id=user.id, role="member")
        session.add(member)
        session.commit()
    return MemberOut(
        user_id=user.id, email=user.email, display_name=user.display_name, role=member.role
    )


@router.delete(
    "/{meeting_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        403: {"description": "Only the owner removes others."},
        404: {"description": "No such member."},
        409: {"description": "The owner cannot leave their own meeting."},
    },
)
def remove_member(
    user_id: str,
    meeting: MeetingDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    """Remove a member (the owner), or leave (a member removing themselves). They get 404
    for the meeting from then on, and their live connections to it are closed."""
    if user_id != principal.user_id and meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    if user_id == meeting.owner_id:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "the owner cannot leave their own meeting; end it instead"
        )
    member = session.get(MeetingMember, (meeting.id, user_id))
    if member is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"user {user_id} is not a member")
    session.delete(member)
    session.commit()
    # Every gateway (this one included) closes the person's event streams on this event.
    _publish(
        runtime, MeetingEvent(type="member_removed", meeting_id=meeting.id, participant_id=user_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{meeting_id}/end", response_model=MeetingOut)
def end_meeting(
    meeting: MeetingDep, principal: PrincipalDep, runtime: RuntimeDep, session: SessionDep
) -> MeetingOut:
    """End a meeting (the owner only); ending an ended meeting changes nothing."""
    if meeting.owner_id != principal.user_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, ONLY_OWNER)
    # Conditional update: of two concurrent ends, one ends the meeting and publishes.
    ended_at = session.scalar(
        update(Meeting)
        .where(Meeting.id == meeting.id, Meeting.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC))
        .returning(Meeting.ended_at)
    )
    session.commit()
    session.refresh(meeting)
    if ended_at is not None:
        _publish(
            runtime,
            MeetingEvent(
                type="ended", meeting_id=meeting.id, language=meeting.language, at=ended_at
            ),
        )
    return _meeting_out(meeting, _members(session, [meeting.id])[meeting.id])
