"""Accounts: register, log in (OAuth2 password flow), refresh and log out, who am I.

Log-in and register also set the browser's refresh cookie (gateway/auth_sessions.py);
API clients ignore it and use the bearer token of `/auth/token` as before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway import auth_sessions
from gateway.auth_limits import HashingBusyError
from gateway.deps import PrincipalDep, RuntimeDep, SessionDep
from gateway.passwords import clean_display_name, password_problem
from gateway.runtime import GatewayRuntime
from gateway.schemas import RegisterRequest, TokenOut, UserOut
from vori.auth import Principal, hash_password, issue_token, new_id
from vori.db.tables import User
from vori.settings import GatewaySettings

router = APIRouter(prefix="/api/v1", tags=["accounts"])

# Verified against when the e-mail is unknown, so a wrong address takes as long as a
# wrong password and the timing does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, email=user.email, display_name=user.display_name, created_at=user.created_at
    )


def _count_attempt(runtime: GatewayRuntime, request: Request, email: str) -> None:
    """429 with Retry-After when this address or account has made too many attempts."""
    address = request.client.host if request.client is not None else "unknown"
    refusal = runtime.auth_attempts.attempt(address, email, time.monotonic())
    if refusal is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            refusal.reason,
            headers={"Retry-After": str(refusal.retry_after_s)},
        )


@contextmanager
def _hashing() -> Iterator[None]:
    """503 with Retry-After when every password-hashing slot stayed busy."""
    try:
        yield
    except HashingBusyError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "too many sign-ins at once; try again shortly",
            headers={"Retry-After": "1"},
        ) from None


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", field), "msg": message, "type": "value_error", "input": None}]
    )


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(
    body: RegisterRequest,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    session: SessionDep,
) -> UserOut:
    """Create an account and sign it in (the refresh cookie; `/auth/refresh` gives the access
    token); 409 if the e-mail is taken, 422 for a weak password, 429 if throttled."""
    email = str(body.email).lower()
    _count_attempt(runtime, request, email)
    name = clean_display_name(body.display_name)
    if name is None:
        raise _invalid("display_name", "display name must be 1-200 printable characters")
    problem = password_problem(body.password, email, runtime.settings.gateway.password_min_length)
    if problem is not None:
        raise _invalid("password", problem)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "an account with this e-mail already exists")
    with _hashing():
        password_hash = runtime.password_work.hash(body.password)
    user = User(id=new_id("usr"), email=email, display_name=name, password_hash=password_hash)
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # registered by a concurrent request
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, "an account with this e-mail already exists"
        ) from None
    session.refresh(user)
    if auth_sessions.browser_may_sign_in(request):
        refresh = auth_sessions.start(session, runtime.settings.gateway, user.id)
        session.commit()
        auth_sessions.set_cookie(response, request, runtime.settings.gateway, refresh)
    return _user_out(user)


@router.post("/auth/token", response_model=TokenOut)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    session: SessionDep,
) -> TokenOut:
    """OAuth2 password flow: `username` is the e-mail address; 429 if throttled. Also sets
    the browser's refresh cookie."""
    email = form.username.strip().lower()
    _count_attempt(runtime, request, email)
    user = session.scalars(select(User).where(User.email == email)).first()
    with _hashing():
        matches = runtime.password_work.verify(
            _DUMMY_HASH if user is None else user.password_hash, form.password
        )
    if user is None or not matches:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "incorrect e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    gateway = runtime.settings.gateway
    if auth_sessions.browser_may_sign_in(request):
        refresh = auth_sessions.start(session, gateway, user.id)
        session.commit()
        auth_sessions.set_cookie(response, request, gateway, refresh)
    return _access(gateway, user)


def _access(gateway: GatewaySettings, user: User) -> TokenOut:
    access = issue_token(gateway, Principal(user.id, user.email, user.display_name))
    return TokenOut(access_token=access, expires_in=gateway.jwt_ttl_s)


RefreshCookie = Annotated[
    str | None,
    Cookie(alias=auth_sessions.COOKIE, description="The refresh cookie that log-in set."),
]


@router.post(
    "/auth/refresh",
    response_model=TokenOut,
    responses={
        204: {"description": "No refresh cookie: this browser is not signed in."},
        401: {"description": "An unknown, ended or expired sign-in."},
    },
)
def refresh(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    session: SessionDep,
    vori_refresh: RefreshCookie = None,
) -> TokenOut | Response:
    """A new access token from the refresh cookie, which is rotated; a cookie used before
    ends its whole sign-in (401). Without a cookie, 204: nothing to refresh (a visitor who
    has not signed in, which the web app asks on every load)."""
    gateway = runtime.settings.gateway
    if not vori_refresh:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    try:
        renewal = auth_sessions.rotate(session, gateway, vori_refresh)
    except auth_sessions.RefreshRefusedError as exc:
        session.commit()  # a detected reuse has revoked the family
        refusal = JSONResponse(
            {"detail": str(exc)},
            status_code=status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": "Bearer"},
        )
        auth_sessions.clear_cookie(refusal, request, gateway)
        return refusal
    session.commit()
    auth_sessions.set_cookie(response, request, gateway, renewal.token)
    return _access(gateway, renewal.user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    request: Request, runtime: RuntimeDep, session: SessionDep, vori_refresh: RefreshCookie = None
) -> Response:
    """End this browser's sign-in: its refresh cookie is revoked and cleared. Access tokens
    already issued run out by themselves (they are short-lived)."""
    auth_sessions.revoke(session, vori_refresh)
    session.commit()
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    auth_sessions.clear_cookie(response, request, runtime.settings.gateway)
    return response


@router.get("/me", response_model=UserOut)
def me(principal: PrincipalDep, session: SessionDep) -> UserOut:
    """The caller's account."""
    user = session.get(User, principal.user_id)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "the account of this token no longer exists",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _user_out(user)
