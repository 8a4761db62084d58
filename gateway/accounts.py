"""Accounts: register, log in (OAuth2 password flow), who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.deps import PrincipalDep, RuntimeDep, SessionDep
from gateway.passwords import clean_display_name, password_problem
from gateway.schemas import RegisterRequest, TokenOut, UserOut
from vori.auth import Principal, hash_password, issue_token, new_id, verify_password
from vori.db.tables import User

router = APIRouter(prefix="/api/v1", tags=["accounts"])

# Verified against when the e-mail is unknown, so a wrong address takes as long as a
# wrong password and the timing does not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id, email=user.email, display_name=user.display_name, created_at=user.created_at
    )


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", field), "msg": message, "type": "value_error", "input": None}]
    )


@router.post("/auth/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(body: RegisterRequest, runtime: RuntimeDep, session: SessionDep) -> UserOut:
    """Create an account; 409 if the e-mail is taken, 422 for a weak password."""
    email = str(body.email).lower()
    name = clean_display_name(body.display_name)
    if name is None:
        raise _invalid("display_name", "display name must be 1-200 printable characters")
    problem = password_problem(body.password, email, runtime.settings.gateway.password_min_length)
    if problem is not None:
        raise _invalid("password", problem)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "an account with this e-mail already exists")
    user = User(
        id=new_id("usr"),
        email=email,
        display_name=name,
        password_hash=hash_password(body.password),
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # registered by a concurrent request
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, "an account with this e-mail already exists"
        ) from None
    session.refresh(user)
    return _user_out(user)


@router.post("/auth/token", response_model=TokenOut)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    runtime: RuntimeDep,
    session: SessionDep,
) -> TokenOut:
    """OAuth2 password flow: `username` is the e-mail address."""
    user = session.scalars(select(User).where(User.email == form.username.strip().lower())).first()
    if user is None:
        verify_password(_DUMMY_HASH, form.password)
    if user is None or not verify_password(user.password_hash, form.password):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "incorrect e-mail or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    gateway = runtime.settings.gateway
    access = issue_token(gateway, Principal(user.id, user.email, user.display_name))
    return TokenOut(access_token=access, expires_in=gateway.jwt_ttl_s)


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
