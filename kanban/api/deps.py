"""Request dependencies: the signed-in person, the services, the relay wake-up."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Header, HTTPException, Request

from kanban.boards import BoardService
from kanban.cards import CardService
from vori.auth import InvalidTokenError, Principal, verify_token
from vori.db.tables import User
from vori.settings import Settings


def current_user(
    request: Request, authorization: str | None = Header(None, include_in_schema=False)
) -> Principal:
    """The person a Bearer token names; 401 with the reason otherwise."""
    settings: Settings = request.app.state.settings
    scheme, _, token = (authorization or "").partition(" ")
    try:
        if authorization and scheme.lower() != "bearer":
            raise InvalidTokenError("the Authorization header must be 'Bearer <token>'")
        principal = verify_token(settings.gateway, token.strip() or None)
        with request.app.state.sessions() as session:
            if session.get(User, principal.user_id) is None:
                raise InvalidTokenError("the token names a user that does not exist")
    except InvalidTokenError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    return principal


def boards(request: Request) -> BoardService:
    service: BoardService = request.app.state.boards
    return service


def cards(request: Request) -> Iterator[CardService]:
    """The card service; after the request, wake the relay to publish what changed."""
    service: CardService = request.app.state.cards
    yield service
    request.app.state.relay.wake()
