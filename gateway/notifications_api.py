"""Notifications API: the caller's own notifications, and their live channel.

`GET /api/v1/notifications` (newest first, paged, with the unread count),
`POST /api/v1/notifications/{id}/read`, `POST /api/v1/notifications/read-all`, and the
WebSocket `/api/v1/notifications/events` (auth frame as on a meeting's events socket,
then `ready` with the unread count and a `notification` frame per new one). Another
person's notification, or one whose card or meeting the caller can no longer see,
answers 404 as if it did not exist.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, Field

from gateway import metrics, notification_store
from gateway.deps import PrincipalDep, SessionDep
from gateway.events_ws import authenticate, cancel_tasks, close_socket
from gateway.hub import Subscriber
from gateway.live_events import (
    CLOSE_INTERNAL,
    CLOSE_TOO_SLOW,
    ProtocolError,
    is_ping,
)
from gateway.notification_store import NotificationOut
from gateway.notifications import Person
from gateway.runtime import GatewayRuntime
from vori.db.tables import User
from vori.events import utc_now

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

NOTIFICATION_NOT_FOUND = "notification not found"


class NotificationPage(BaseModel):
    unread: int = Field(description="The caller's unread notifications, on every page.")
    notifications: list[NotificationOut]
    next_before: str | None = Field(
        None, description="Pass as `before` for the next (older) page; null on the last one."
    )


class ReadAll(BaseModel):
    marked: int = Field(description="How many were unread.")
    unread: int


@router.get("", response_model=NotificationPage)
def list_notifications(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 30,
    before: Annotated[
        str | None, Query(max_length=40, description="The id of the last one already shown.")
    ] = None,
) -> NotificationPage:
    """The caller's notifications, newest first."""
    cursor: tuple[datetime, str] | None = None
    if before is not None:
        last = notification_store.visible_one(session, principal.user_id, before)
        if last is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, NOTIFICATION_NOT_FOUND)
        cursor = (last.created_at, last.id)
    rows = notification_store.page(session, principal.user_id, limit=limit + 1, before=cursor)
    more = len(rows) > limit
    rows = rows[:limit]
    return NotificationPage(
        unread=notification_store.unread_count(session, principal.user_id),
        notifications=rows,
        next_before=rows[-1].id if more else None,
    )


@router.post("/read-all", response_model=ReadAll)
def read_all(principal: PrincipalDep, session: SessionDep) -> ReadAll:
    """Mark every notification of the caller read."""
    marked = notification_store.mark_all_read(session, principal.user_id, utc_now())
    session.commit()
    return ReadAll(
        marked=marked, unread=notification_store.unread_count(session, principal.user_id)
    )


@router.post("/{notification_id}/read", response_model=NotificationOut)
def read_one(notification_id: str, principal: PrincipalDep, session: SessionDep) -> NotificationOut:
    """Mark one of the caller's notifications read (again: no change)."""
    row = notification_store.visible_one(session, principal.user_id, notification_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOTIFICATION_NOT_FOUND)
    if row.read_at is None:
        row.read_at = utc_now()
        session.commit()
        session.refresh(row)
    return notification_store.out(row)


@router.websocket("/events")
async def notification_events(websocket: WebSocket) -> None:
    """The caller's own live channel: new notifications and the unread count."""
    runtime: GatewayRuntime = websocket.app.state.gateway
    signed_in = await authenticate(websocket, runtime)
    if signed_in is None:
        return
    principal, _auth = signed_in
    subscriber: Subscriber | None = None
    metrics.CONNECTED_CLIENTS.inc()
    tasks: list[asyncio.Task[None]] = []
    try:
        # The person's names tell the fan-out which events may concern this channel
        # (gateway/fanout.py); display names and e-mail addresses do not change.
        person = await asyncio.to_thread(_person, runtime, principal.user_id)
        # Subscribe before counting, so nothing falls between the count and live.
        subscriber = runtime.hub.subscribe_user(principal.user_id, person)
        unread = await asyncio.to_thread(_unread, runtime, principal.user_id)
        await _send(websocket, {"type": "ready", "unread": unread})
        tasks = [
            asyncio.create_task(_pump(websocket, subscriber)),
            asyncio.create_task(_read_client(websocket)),
            asyncio.create_task(_overflowed(subscriber)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        await cancel_tasks(tasks)
        if subscriber.overflowed.is_set():
            metrics.SLOW_CLIENTS_DROPPED.inc()
            await close_socket(websocket, CLOSE_TOO_SLOW, subscriber.overflow_reason or "too slow")
            return
        for task in done:
            failure = task.exception()
            if isinstance(failure, ProtocolError):
                await close_socket(websocket, failure.code, failure.reason)
                return
            if failure is not None and not isinstance(failure, WebSocketDisconnect | OSError):
                raise failure
    except (WebSocketDisconnect, OSError):
        pass  # the client went away
    except Exception:
        log.exception("notifications connection of %s failed", principal.user_id)
        await close_socket(websocket, CLOSE_INTERNAL, "internal error")
    finally:
        await cancel_tasks(tasks)
        if subscriber is not None:
            runtime.hub.unsubscribe_user(subscriber)
        metrics.CONNECTED_CLIENTS.dec()


async def _overflowed(subscriber: Subscriber) -> None:
    await subscriber.overflowed.wait()


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    await websocket.send_text(json.dumps(message, ensure_ascii=False))
    metrics.EVENTS_FANNED_OUT.labels(message["type"]).inc()


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    while True:
        item = await subscriber.next()
        await _send(websocket, {"type": item.type, "at": item.at, **item.payload})


async def _read_client(websocket: WebSocket) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if is_ping(message.get("text")):
            await _send(websocket, {"type": "pong"})


def _person(runtime: GatewayRuntime, user_id: str) -> Person | None:
    with runtime.sessions() as session:
        user = session.get(User, user_id)
        return None if user is None else Person(user.id, user.display_name, user.email)


def _unread(runtime: GatewayRuntime, user_id: str) -> int:
    with runtime.sessions() as session:
        return notification_store.unread_count(session, user_id)
