"""Domain errors of the kanban service; the API turns each into a 4xx with its message."""

from __future__ import annotations

from typing import Any


class KanbanError(Exception):
    """A request the service refuses; `status` is the HTTP status, the message says why."""

    status = 400

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidRequestError(KanbanError):
    status = 400


class ForbiddenError(KanbanError):
    status = 403


class NotFoundError(KanbanError):
    """Missing, or not visible to the caller: the two are indistinguishable on purpose."""

    status = 404


class ConflictError(KanbanError):
    """A stale version or a state that forbids the change; `extra` carries the current state."""

    status = 409


class PreconditionRequiredError(KanbanError):
    status = 428


class UnknownMeetingError(Exception):
    """A proposal names a meeting that is not in the database."""
