"""Shared authentication: argon2 password hashes, JWT access tokens, meeting and board access.

The gateway issues tokens; the gateway, stream_ingest and kanban verify them with the
same secret from settings. A meeting that a user is not a member of is indistinguishable
from one that does not exist (both give None here, 404 or 4404 at the edges); the same
holds for boards, whose visibility rule kanban and the gateway's analytics share.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    CompoundSelect,
    exists,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from vori.db.tables import Board, BoardMember, Card, Meeting, MeetingMember
from vori.settings import (
    MIN_JWT_SECRET_BYTES,
    PUBLIC_JWT_SECRET,
    GatewaySettings,
    Settings,
    SettingsError,
)

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "vori"
_hasher = PasswordHasher()


class InvalidTokenError(Exception):
    """A token that is missing, malformed, badly signed or expired; the message says which."""


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request or a WebSocket."""

    user_id: str
    email: str
    name: str


def new_id(prefix: str) -> str:
    """A random, URL-safe identifier with a readable prefix (`usr_...`, `mtg_...`)."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def binds_to_loopback(host: str) -> bool:
    """Whether a server listening on `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def jwt_secret_problem(settings: Settings) -> str | None:
    """Why these settings may not mint or verify tokens (one line), or None if they may.

    The default secret is in the source and a short one can be guessed offline from any
    token: either lets anyone forge a token for any user, so only loopback may use them.
    """
    secret = settings.gateway.jwt_secret.get_secret_value()
    public = secret == PUBLIC_JWT_SECRET
    short = len(secret.encode()) < MIN_JWT_SECRET_BYTES
    if not (public or short) or binds_to_loopback(settings.host):
        return None
    what = "is the public default" if public else f"is under {MIN_JWT_SECRET_BYTES} bytes"
    return (
        f"VORI_GATEWAY__JWT_SECRET {what} (anyone could forge tokens) and VORI_HOST="
        f"{settings.host} is not loopback: set it to {MIN_JWT_SECRET_BYTES} bytes or more of "
        "random data (openssl rand -hex 32), or listen on 127.0.0.1 only"
    )


def require_usable_jwt_secret(settings: Settings) -> None:
    """Refuse to serve tokens with a forgeable secret beyond loopback (SettingsError)."""
    problem = jwt_secret_problem(settings)
    if problem is not None:
        raise SettingsError(problem)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def issue_token(
    gateway: GatewaySettings, principal: Principal, *, now: datetime | None = None
) -> str:
    """A signed access token for the principal that expires after the configured TTL."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": principal.user_id,
        "email": principal.email,
        "name": principal.name,
        "aud": JWT_AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=gateway.jwt_ttl_s)).timestamp()),
    }
    return jwt.encode(claims, gateway.jwt_secret.get_secret_value(), algorithm=JWT_ALGORITHM)


def verify_token(gateway: GatewaySettings, token: str | None) -> Principal:
    """The principal a token names; InvalidTokenError with a readable reason otherwise."""
    if not token:
        raise InvalidTokenError("missing token")
    try:
        claims = jwt.decode(
            token,
            gateway.jwt_secret.get_secret_value(),
            algorithms=[JWT_ALGORITHM],
            audience=JWT_AUDIENCE,
            options={"require": ["sub", "exp", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(f"invalid token: {exc}") from exc
    return Principal(
        user_id=str(claims["sub"]),
        email=str(claims.get("email", "")),
        name=str(claims.get("name", "")),
    )


def meeting_for_member(session: Session, meeting_id: str, user_id: str) -> Meeting | None:
    """The meeting if the user is one of its members, else None (as if it did not exist)."""
    return session.scalars(
        select(Meeting)
        .join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
        .where(Meeting.id == meeting_id, MeetingMember.user_id == user_id)
    ).first()


def may_feed_board(session: Session, board_id: str, user_id: str) -> bool:
    """Whether a meeting created by this user may feed (and so open to its members) a board.

    Only the board's owner or an explicit board member may point a meeting at it; anything
    else would let a leaked board id open the board to strangers.
    """
    board = session.get(Board, board_id)
    if board is None:
        return False
    if board.owner_id == user_id:
        return True
    return session.get(BoardMember, (board_id, user_id)) is not None


def personal_board_id(session: Session, user_id: str) -> str | None:
    """The user's personal board, if kanban has created it (it does on first use)."""
    return session.scalar(select(Board.id).where(Board.personal_owner_id == user_id))


def meeting_may_feed(
    board_id: ColumnExpressionArgument[str | None], owner_id: ColumnExpressionArgument[str]
) -> ColumnElement[bool]:
    """A meeting feeds a board only if its owner may work that board: pointing your own
    meeting at someone else's board id must not open that board to you."""
    return or_(
        exists().where(Board.id == board_id, Board.owner_id == owner_id),
        exists().where(BoardMember.board_id == board_id, BoardMember.user_id == owner_id),
    )


def visible_board_ids(user_id: str) -> CompoundSelect[str]:
    """Ids of every board the user may see: owned, an explicit member of, or fed by a
    meeting the user is a member of."""
    return union(
        select(Board.id).where(Board.owner_id == user_id),
        select(BoardMember.board_id).where(BoardMember.user_id == user_id),
        select(Meeting.board_id)
        .join(MeetingMember, MeetingMember.meeting_id == Meeting.id)
        .where(
            MeetingMember.user_id == user_id,
            Meeting.board_id.is_not(None),
            meeting_may_feed(Meeting.board_id, Meeting.owner_id),
        ),
    )


def board_worked_by(user_id: str) -> CompoundSelect[str]:
    """Ids of the boards the user works as a whole: owned or an explicit member of."""
    return union(
        select(Board.id).where(Board.owner_id == user_id),
        select(BoardMember.board_id).where(BoardMember.user_id == user_id),
    )


def works_board(session: Session, board_id: str, user_id: str) -> bool:
    """Whether the user works the whole board (owner or explicit member), rather than
    reaching it only through meetings, which shows them those meetings' cards alone."""
    return (
        session.scalar(
            select(Board.id).where(Board.id == board_id, Board.id.in_(board_worked_by(user_id)))
        )
        is not None
    )


def card_visible_to(user_id: str) -> ColumnElement[bool]:
    """Cards the user may see: all cards of a board they work (owner, explicit member); on a
    board they reach only through meetings, the cards of those meetings and no others.

    A meeting without a board feeds its owner's personal board: without this rule, everyone
    invited to one of the owner's meetings would see and edit the cards of all of them.
    """
    return or_(
        Card.board_id.in_(board_worked_by(user_id)),
        (
            Card.meeting_id.in_(
                select(MeetingMember.meeting_id).where(MeetingMember.user_id == user_id)
            )
        )
        & Card.board_id.in_(visible_board_ids(user_id)),
    )


def board_visible_to(session: Session, board_id: str, user_id: str) -> bool:
    """Whether the user may see the board (False for a board that does not exist)."""
    return (
        session.scalar(
            select(Board.id).where(Board.id == board_id, Board.id.in_(visible_board_ids(user_id)))
        )
        is not None
    )
