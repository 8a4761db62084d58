"""Routes of /api/v1/cards: create, read, edit, move, archive, restore, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from kanban.api.deps import cards, current_user
from kanban.cards import CardService
from kanban.preconditions import etag, expected_version
from kanban.schemas import (
    CardCreate,
    CardMove,
    CardOut,
    CardUpdate,
    ErrorOut,
    HistoryEntryOut,
    VersionOnly,
)
from vori.auth import Principal

router = APIRouter(
    prefix="/api/v1/cards",
    tags=["cards"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
User = Annotated[Principal, Depends(current_user)]
Cards = Annotated[CardService, Depends(cards)]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The card\'s version as an ETag, e.g. "3".'),
]
VERSIONED: dict[int | str, dict[str, Any]] = {409: {"model": ErrorOut}, 428: {"model": ErrorOut}}


def _tagged(card: CardOut, response: Response) -> CardOut:
    response.headers["ETag"] = etag(card.version)
    return card


@router.get("", response_model=list[CardOut])
def list_cards(
    user: User,
    service: Cards,
    board_id: Annotated[str | None, Query(max_length=40)] = None,
    meeting_id: Annotated[str | None, Query(max_length=40)] = None,
    include_archived: bool = False,
) -> list[CardOut]:
    """Cards of a board, or the cards a meeting proposed (send one of the two)."""
    return service.list_cards(user, board_id, meeting_id, include_archived)


@router.post("", response_model=CardOut, status_code=201)
def create_card(body: CardCreate, user: User, service: Cards, response: Response) -> CardOut:
    """A card made by a person, in `column_id` (default: the first column) at `position`."""
    fields = body.model_dump(include={"title", "description", "assignee", "due_date"})
    card = service.create(user, body.board_id, fields, body.column_id, body.position)
    return _tagged(card, response)


@router.get("/{card_id}", response_model=CardOut)
def get_card(card_id: str, user: User, service: Cards, response: Response) -> CardOut:
    """One card, with its evidence; the ETag header carries its version."""
    return _tagged(service.get(user, card_id), response)


@router.patch("/{card_id}", response_model=CardOut, responses=VERSIONED)
def edit_card(
    card_id: str,
    body: CardUpdate,
    user: User,
    service: Cards,
    response: Response,
    if_match: IfMatch = None,
) -> CardOut:
    """Edit fields; each field sent becomes yours: later proposals never overwrite it."""
    version = expected_version(if_match, body.version)
    return _tagged(service.edit(user, card_id, body.changes(), version), response)


@router.post("/{card_id}/move", response_model=CardOut, responses=VERSIONED)
def move_card(
    card_id: str,
    body: CardMove,
    user: User,
    service: Cards,
    response: Response,
    if_match: IfMatch = None,
) -> CardOut:
    """Move to `column_id` at `position` (0-based; past the end appends)."""
    version = expected_version(if_match, body.version)
    card = service.move(user, card_id, body.column_id, body.position, version)
    return _tagged(card, response)


@router.post("/{card_id}/archive", response_model=CardOut, responses=VERSIONED)
def archive_card(
    card_id: str,
    user: User,
    service: Cards,
    response: Response,
    body: VersionOnly | None = None,
    if_match: IfMatch = None,
) -> CardOut:
    """Archive the card (it leaves its column; restore brings it back)."""
    version = expected_version(if_match, body.version if body else None)
    return _tagged(service.set_archived(user, card_id, True, version), response)


@router.post("/{card_id}/restore", response_model=CardOut, responses=VERSIONED)
def restore_card(
    card_id: str,
    user: User,
    service: Cards,
    response: Response,
    body: VersionOnly | None = None,
    if_match: IfMatch = None,
) -> CardOut:
    """Bring an archived card back, at the end of its column."""
    version = expected_version(if_match, body.version if body else None)
    return _tagged(service.set_archived(user, card_id, False, version), response)


@router.get("/{card_id}/history", response_model=list[HistoryEntryOut])
def card_history(
    card_id: str,
    user: User,
    service: Cards,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[HistoryEntryOut]:
    """Every change of the card, oldest first: who (person or meeting), when, before, after."""
    return service.history(user, card_id, limit)
