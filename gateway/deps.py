"""FastAPI dependencies: the runtime, a database session, the authenticated caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gateway.runtime import GatewayRuntime
from vori.auth import InvalidTokenError, Principal, meeting_for_member, verify_token
from vori.db.tables import Meeting

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

MEETING_NOT_FOUND = "meeting not found"


def get_runtime(request: Request) -> GatewayRuntime:
    runtime: GatewayRuntime = request.app.state.gateway
    return runtime


RuntimeDep = Annotated[GatewayRuntime, Depends(get_runtime)]


def db_session(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]


def current_principal(
    runtime: RuntimeDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal:
    """The caller named by the bearer token; 401 with the reason otherwise."""
    try:
        return verify_token(runtime.settings.gateway, token)
    except InvalidTokenError as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, str(exc), headers={"WWW-Authenticate": "Bearer"}
        ) from None


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def member_meeting(meeting_id: str, principal: PrincipalDep, session: SessionDep) -> Meeting:
    """The meeting if the caller is a member; 404 exactly as for a meeting that does not exist."""
    meeting = meeting_for_member(session, meeting_id, principal.user_id)
    if meeting is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, MEETING_NOT_FOUND)
    return meeting


MeetingDep = Annotated[Meeting, Depends(member_meeting)]
