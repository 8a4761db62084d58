"""Browser sign-ins: a refresh token in an httpOnly cookie, rotated at each use.

The web app keeps its short-lived access token in memory only, so a script injected into
the page finds no long-lived credential in storage. What keeps a person signed in across
reloads is the refresh cookie: httpOnly (no script reads it), SameSite=Strict (no other
site makes the browser send it), scoped to the auth path, Secure over https. Its value is
stored only as a SHA-256 hash (it is 256 random bits, so a slow hash adds nothing).

Each use rotates it: the token is marked used and a successor of the same family issued.
A used or revoked token presented again means two holders (a copy was stolen, or it was
replayed): the whole family is revoked, so the thief's copy dies with the owner's. The one
exception is a used token presented again within REFRESH_REUSE_GRACE_S of its use: a reload
that aborted the request whose answer carried the successor leaves the browser with the
old cookie, and ending the sign-in for that would sign people out for clicking twice.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from vori.auth import new_id
from vori.db.tables import RefreshToken, User
from vori.settings import GatewaySettings

COOKIE = "vori_refresh"
COOKIE_PATH = "/api/v1/auth"


class RefreshRefusedError(Exception):
    """A refresh cookie that gives no access token; the message says why."""


@dataclass(frozen=True)
class Renewal:
    """A refreshed sign-in: whose it is and the new cookie value."""

    user: User
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(
    session: Session, gateway: GatewaySettings, user_id: str, family_id: str, now: datetime
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_id("rft"),
            token_hash=_digest(token),
            family_id=family_id,
            user_id=user_id,
            expires_at=now + timedelta(seconds=gateway.refresh_ttl_s),
        )
    )
    return token


def start(session: Session, gateway: GatewaySettings, user_id: str) -> str:
    """A new sign-in's first refresh token (the caller commits); the user's expired
    ones are forgotten on the way, so the table holds live sign-ins only."""
    now = datetime.now(UTC)
    session.execute(
        delete(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.expires_at < now)
    )
    return _issue(session, gateway, user_id, new_id("fam"), now)


def rotate(session: Session, gateway: GatewaySettings, token: str | None) -> Renewal:
    """Use a refresh token: its successor, or RefreshRefusedError (the caller commits
    either way, since a refused reuse revokes the family)."""
    if not token:
        raise RefreshRefusedError("not signed in: no refresh cookie")
    now = datetime.now(UTC)
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == _digest(token)).with_for_update()
    ).first()
    if row is None:
        raise RefreshRefusedError("not signed in: unknown refresh token")
    raced = row.used_at is not None and now - row.used_at <= timedelta(
        seconds=gateway.refresh_reuse_grace_s
    )
    if row.revoked_at is not None or (row.used_at is not None and not raced):
        revoke_family(session, row.family_id, now)
        raise RefreshRefusedError(
            "this sign-in was ended (signed out, or its refresh token was used twice); "
            "sign in again"
        )
    if row.expires_at <= now:
        raise RefreshRefusedError("sign-in expired; sign in again")
    user = session.get(User, row.user_id)
    if user is None:
        raise RefreshRefusedError("the account of this sign-in no longer exists")
    if row.used_at is None:
        row.used_at = now
    return Renewal(user, _issue(session, gateway, row.user_id, row.family_id, now))


def revoke(session: Session, token: str | None) -> None:
    """End the sign-in that this refresh token belongs to (nothing if it is unknown)."""
    if not token:
        return
    family = session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.token_hash == _digest(token))
    )
    if family is not None:
        revoke_family(session, family, datetime.now(UTC))


def revoke_family(session: Session, family_id: str, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def browser_may_sign_in(request: Request) -> bool:
    """Whether a log-in or register request may start a browser sign-in (the cookie).

    Not when the browser says another site sent it (`Sec-Fetch-Site: cross-site`): a form
    on a hostile page must not sign the victim's browser into the attacker's account (login
    CSRF). API clients send no such header and get their bearer token as always.
    """
    return request.headers.get("sec-fetch-site", "same-origin") != "cross-site"


def set_cookie(response: Response, request: Request, gateway: GatewaySettings, token: str) -> None:
    """The refresh cookie: httpOnly, SameSite=Strict, the auth path only, Secure over https."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=gateway.refresh_ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_https(request, gateway),
    )


def clear_cookie(response: Response, request: Request, gateway: GatewaySettings) -> None:
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_https(request, gateway),
    )


def _https(request: Request, gateway: GatewaySettings) -> bool:
    """Behind the TLS proxy the request arrives over http; its public URL says https."""
    public = gateway.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")
