"""Routes of /api/v1/boards: boards, their members and columns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from kanban.api.deps import boards, current_user
from kanban.boards import UNSET, BoardService
from kanban.preconditions import expected_version
from kanban.schemas import (
    BoardCreate,
    BoardMemberAdd,
    BoardOut,
    BoardRename,
    BoardSummary,
    ColumnCreate,
    ColumnUpdate,
    ErrorOut,
    MemberOut,
)
from vori.auth import Principal

router = APIRouter(
    prefix="/api/v1/boards",
    tags=["boards"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
User = Annotated[Principal, Depends(current_user)]
Boards = Annotated[BoardService, Depends(boards)]


@router.get("", response_model=list[BoardSummary])
def list_boards(
    user: User,
    service: Boards,
    meeting_id: Annotated[str | None, Query(max_length=40)] = None,
    include_archived: bool = False,
) -> list[BoardSummary]:
    """Boards you can see (your personal board is created on first use); `meeting_id`
    narrows the list to the board that meeting feeds; archived boards only on request."""
    return service.list_boards(user, meeting_id, include_archived)


@router.post("", response_model=BoardOut, status_code=201)
def create_board(body: BoardCreate, user: User, service: Boards) -> BoardOut:
    """A new shared board, owned by you, with the columns To do, In progress, Done."""
    return service.create_board(user, body.name)


@router.get("/{board_id}", response_model=BoardOut)
def get_board(
    board_id: str, user: User, service: Boards, include_archived: bool = False
) -> BoardOut:
    """The board with its columns in order and each column's cards in order."""
    return service.get_board(user, board_id, include_archived)


@router.patch("/{board_id}", response_model=BoardOut, responses={403: {"model": ErrorOut}})
def rename_board(board_id: str, body: BoardRename, user: User, service: Boards) -> BoardOut:
    """Rename, archive or restore a board, or replace its vocabulary (its owner only; a
    personal board cannot be archived)."""
    return service.rename_board(user, board_id, body.name, body.archived, body.vocabulary)


@router.get("/{board_id}/members", response_model=list[MemberOut])
def list_members(board_id: str, user: User, service: Boards) -> list[MemberOut]:
    """People added to the board explicitly (meeting members see it without this)."""
    return service.members(user, board_id)


@router.post(
    "/{board_id}/members",
    response_model=MemberOut,
    status_code=201,
    responses={403: {"model": ErrorOut}},
)
def add_member(board_id: str, body: BoardMemberAdd, user: User, service: Boards) -> MemberOut:
    """Give a person access to the board, by user id or email (its owner only); 404 when
    no account has that id or email."""
    return service.add_member(user, board_id, body.user_id, body.email)


@router.delete("/{board_id}/members/{member_id}", status_code=204, response_class=Response)
def remove_member(board_id: str, member_id: str, user: User, service: Boards) -> Response:
    """Take a person's explicit access away (its owner only)."""
    service.remove_member(user, board_id, member_id)
    return Response(status_code=204)


@router.post(
    "/{board_id}/columns",
    response_model=BoardOut,
    status_code=201,
    responses={409: {"model": ErrorOut}},
)
def add_column(board_id: str, body: ColumnCreate, user: User, service: Boards) -> BoardOut:
    """Add a column at `position` (default: last), with an optional WIP limit."""
    return service.add_column(user, board_id, body.name, body.position, body.wip_limit)


@router.patch(
    "/{board_id}/columns/{column_id}", response_model=BoardOut, responses={409: {"model": ErrorOut}}
)
def update_column(
    board_id: str,
    column_id: str,
    body: ColumnUpdate,
    user: User,
    service: Boards,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> BoardOut:
    """Rename, reorder or limit a column (`wip_limit`: null removes the limit); a version
    (If-Match or `version`) is checked if sent."""
    version = None
    if if_match is not None or body.version is not None:
        version = expected_version(if_match, body.version)
    wip_limit = body.wip_limit if "wip_limit" in body.model_fields_set else UNSET
    return service.update_column(
        user, board_id, column_id, body.name, body.position, version, wip_limit
    )


@router.delete(
    "/{board_id}/columns/{column_id}", response_model=BoardOut, responses={409: {"model": ErrorOut}}
)
def delete_column(board_id: str, column_id: str, user: User, service: Boards) -> BoardOut:
    """Delete an empty column (a board keeps at least one)."""
    return service.delete_column(user, board_id, column_id)
