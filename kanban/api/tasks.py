"""`GET /api/v1/me/tasks`: the caller's open cards across every board they may see."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from kanban.api.deps import current_user
from kanban.my_tasks import MyTasks
from kanban.schemas import ErrorOut, MyTasksOut
from vori.auth import Principal

router = APIRouter(prefix="/api/v1/me", tags=["my tasks"], responses={401: {"model": ErrorOut}})


@router.get("/tasks", response_model=MyTasksOut)
def my_tasks(
    request: Request,
    user: Annotated[Principal, Depends(current_user)],
    today: Annotated[
        date | None,
        Query(description="The caller's local date, for overdue; default today in UTC."),
    ] = None,
) -> MyTasksOut:
    """Open cards assigned to you (your name or e-mail), by due date, overdue flagged."""
    return MyTasks(request.app.state.sessions).list(user, today or datetime.now(UTC).date())
