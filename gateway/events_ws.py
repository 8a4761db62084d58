"""The live events WebSocket, `/api/v1/meetings/{id}/events` (docs/protocol.md).

Auth frame first; then `ready`, the replay of what the client missed (`since`), the
current partials, and live events. Durable events go out in seq order, each once,
whatever order this process heard of them in: a gap is filled from the event log.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from gateway import event_log, metrics
from gateway.hub import Delivery, Subscriber
from gateway.live_events import (
    CLOSE_INTERNAL,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHORIZED,
    PARTIAL,
    AuthFrame,
    DeliveryCursor,
    ProtocolError,
    frame,
    is_ping,
    parse_auth_frame,
)
from gateway.runtime import GatewayRuntime
from vori.auth import InvalidTokenError, Principal, meeting_for_member, verify_token
from vori.events import utc_now

log = logging.getLogger(__name__)
router = APIRouter()

REPLAY_PAGE = 500
# How long a close may wait for a stuck client's socket to drain before giving up.
CLOSE_TIMEOUT_S = 10.0


class _Connection:
    """One authenticated client: sends events in seq order from its subscriber queue."""

    def __init__(
        self,
        websocket: WebSocket,
        runtime: GatewayRuntime,
        meeting_id: str,
        subscriber: Subscriber,
        last_seq: int,
    ) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.meeting_id = meeting_id
        self.subscriber = subscriber
        self.cursor = DeliveryCursor(last_seq)

    async def send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message, ensure_ascii=False))
        metrics.EVENTS_FANNED_OUT.labels(message["type"]).inc()

    async def replay(self, upto: int) -> None:
        """Send the logged events after the cursor up to `upto`, page by page."""
        while self.cursor.last_seq < upto:
            entries = await asyncio.to_thread(self._read, self.cursor.last_seq, upto)
            if not entries:
                return
            for entry in entries:
                await self.send(
                    frame(entry.type, entry.meeting_id, entry.seq, entry.at, entry.payload)
                )
                self.cursor.advance(entry.seq)

    def _read(self, after: int, upto: int) -> list[event_log.LoggedEvent]:
        with self.runtime.sessions() as session:
            return event_log.read_after(session, self.meeting_id, after, upto, REPLAY_PAGE)

    async def send_partial(self, at: str, payload: dict[str, Any]) -> None:
        await self.send(frame(PARTIAL, self.meeting_id, self.cursor.last_seq, at, payload))

    async def pump(self) -> None:
        """Forward queued events until the connection ends."""
        while True:
            item = await self.subscriber.next()
            await self.deliver(item)
            metrics.FANOUT_LATENCY.observe(time.monotonic() - item.received)

    async def deliver(self, item: Delivery) -> None:
        if item.seq is None:  # live only: a partial, or a member's removal
            await self.send(
                frame(item.type, self.meeting_id, self.cursor.last_seq, item.at, item.payload)
            )
            return
        plan = self.cursor.plan(item.seq)
        if plan == "send":
            await self.send(frame(item.type, item.meeting_id, item.seq, item.at, item.payload))
            self.cursor.advance(item.seq)
        elif plan == "fill":
            # Another process numbered events this one has not heard of yet: they are logged.
            await self.replay(item.seq)

    async def read_client(self) -> None:
        """Answer pings and notice the client leaving; other JSON objects are ignored,
        a frame that is not one ends the connection (ProtocolError)."""
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if is_ping(message.get("text")):
                await self.send({"type": "pong", "seq": self.cursor.last_seq})


@router.websocket("/api/v1/meetings/{meeting_id}/events")
async def meeting_events(websocket: WebSocket, meeting_id: str) -> None:
    """Live events of a meeting for its members."""
    runtime: GatewayRuntime = websocket.app.state.gateway
    signed_in = await authenticate(websocket, runtime)
    if signed_in is None:
        return
    principal, auth = signed_in
    if not await asyncio.to_thread(_is_member, runtime, meeting_id, principal.user_id):
        await close_socket(websocket, CLOSE_NOT_FOUND, "meeting not found")
        return
    await _serve(websocket, runtime, meeting_id, principal.user_id, auth.since)


async def authenticate(
    websocket: WebSocket, runtime: GatewayRuntime
) -> tuple[Principal, AuthFrame] | None:
    """Accept the socket and read its first frame, the token; None once the socket is
    closed (with a code and a reason) or the client left before sending one."""
    settings = runtime.settings.gateway
    await websocket.accept()
    try:
        message = await asyncio.wait_for(websocket.receive(), settings.events_auth_timeout_s)
    except TimeoutError:
        await close_socket(
            websocket,
            CLOSE_UNAUTHORIZED,
            f"no auth message within {settings.events_auth_timeout_s:g} s",
        )
        return None
    if message["type"] == "websocket.disconnect":
        return None
    try:
        auth = parse_auth_frame(message.get("text"))
        try:
            return verify_token(settings, auth.token), auth
        except InvalidTokenError as exc:
            raise ProtocolError(CLOSE_UNAUTHORIZED, str(exc)) from None
    except ProtocolError as exc:
        await close_socket(websocket, exc.code, exc.reason)
        return None


async def _serve(
    websocket: WebSocket,
    runtime: GatewayRuntime,
    meeting_id: str,
    user_id: str,
    since: int | None,
) -> None:
    # Subscribe before reading the log, so nothing falls between the replay and live.
    subscriber = runtime.hub.subscribe(meeting_id, user_id)
    metrics.CONNECTED_CLIENTS.inc()
    tasks: list[asyncio.Task[None]] = []
    try:
        latest = await asyncio.to_thread(_latest_seq, runtime, meeting_id)
        start = latest if since is None else min(since, latest)
        connection = _Connection(websocket, runtime, meeting_id, subscriber, start)
        await connection.send({"type": "ready", "meeting_id": meeting_id, "seq": latest})
        await connection.replay(latest)
        for partial in runtime.hub.current_partials(meeting_id):
            await connection.send_partial(utc_now().isoformat(), {"segment": partial})
        tasks = [
            asyncio.create_task(connection.pump()),
            asyncio.create_task(connection.read_client()),
            asyncio.create_task(_wait(subscriber.overflowed)),
            asyncio.create_task(_wait(subscriber.revoked)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if subscriber.revoked.is_set():
            await cancel_tasks(tasks)
            await close_socket(
                websocket, CLOSE_NOT_FOUND, "you are no longer a member of this meeting"
            )
            return
        if subscriber.overflowed.is_set():
            metrics.SLOW_CLIENTS_DROPPED.inc()
            log.info(
                "meeting %s: dropping a slow events client: %s",
                meeting_id,
                subscriber.overflow_reason,
            )
            await cancel_tasks(tasks)
            await close_socket(
                websocket, CLOSE_TOO_SLOW, subscriber.overflow_reason or "client too slow"
            )
            return
        for task in done:
            failure = task.exception()
            if isinstance(failure, ProtocolError):
                await cancel_tasks(tasks)
                await close_socket(websocket, failure.code, failure.reason)
                return
            if failure is not None and not isinstance(failure, WebSocketDisconnect | OSError):
                raise failure
    except (WebSocketDisconnect, OSError):
        pass  # the client went away
    except Exception:
        log.exception("meeting %s: events connection failed", meeting_id)
        await close_socket(websocket, CLOSE_INTERNAL, "internal error")
    finally:
        await cancel_tasks(tasks)
        runtime.hub.unsubscribe(subscriber)
        metrics.CONNECTED_CLIENTS.dec()


async def _wait(event: asyncio.Event) -> None:
    await event.wait()


async def cancel_tasks(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def close_socket(websocket: WebSocket, code: int, reason: str) -> None:
    """Close with a code and reason unless the client is gone or never reads again."""
    if websocket.application_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
        # A close frame is at most 125 bytes: 2 for the code, the rest for the reason.
        await asyncio.wait_for(
            websocket.close(code, reason.encode()[:120].decode(errors="ignore")), CLOSE_TIMEOUT_S
        )


def _is_member(runtime: GatewayRuntime, meeting_id: str, user_id: str) -> bool:
    with runtime.sessions() as session:
        return meeting_for_member(session, meeting_id, user_id) is not None


def _latest_seq(runtime: GatewayRuntime, meeting_id: str) -> int:
    with runtime.sessions() as session:
        return event_log.latest_seq(session, meeting_id)
