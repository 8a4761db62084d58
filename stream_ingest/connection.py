"""The socket edge of one audio connection: JSON out, the close with a code and a reason,
and the one table from the domain's refusals (stream_ingest/errors.py) to the close codes
of the wire contract (ARCHITECTURE.md, docs/protocol.md).

Message-format errors come from the protocol core (stream_ingest/protocol.py) already
carrying their 4400/4401 codes; everything else ingest refuses is mapped here.
"""

from __future__ import annotations

import contextlib
import json

from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from stream_ingest.errors import (
    BadTokenError,
    MeetingEndedError,
    NotAMemberError,
    OverLimitError,
    PositionGapError,
    StreamFailedError,
    StreamOpenElsewhereError,
    StreamRefusedError,
    StreamTakenOverError,
    TranscribersBusyError,
    UnknownStreamError,
    UserGoneError,
)
from stream_ingest.protocol import CloseCode, ProtocolError, short_reason

CLOSE_CODES: dict[type[StreamRefusedError], CloseCode] = {
    BadTokenError: CloseCode.BAD_TOKEN,
    UserGoneError: CloseCode.BAD_TOKEN,
    NotAMemberError: CloseCode.NOT_FOUND,  # the same answer for no meeting and not a member
    UnknownStreamError: CloseCode.NOT_FOUND,
    MeetingEndedError: CloseCode.CONFLICT,
    StreamOpenElsewhereError: CloseCode.CONFLICT,
    StreamTakenOverError: CloseCode.CONFLICT,
    PositionGapError: CloseCode.BAD_MESSAGE,
    OverLimitError: CloseCode.OVER_LIMIT,
    TranscribersBusyError: CloseCode.TRY_AGAIN_LATER,
    StreamFailedError: CloseCode.INTERNAL_ERROR,
}


def close_for(error: StreamRefusedError | ProtocolError) -> tuple[CloseCode, str]:
    """The close code and reason (cut to fit a close frame) that answer `error`."""
    if isinstance(error, ProtocolError):
        return error.code, error.reason
    code = next(CLOSE_CODES[kind] for kind in type(error).__mro__ if kind in CLOSE_CODES)
    return code, short_reason(error.reason)


class ClientGoneError(Exception):
    """The client closed the socket or the connection dropped."""


class Connection:
    """One accepted audio WebSocket, as the session uses it."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket

    async def accept(self) -> None:
        await self.ws.accept()

    async def receive(self) -> Message:
        """The next ASGI message: text, bytes, or the client's disconnect."""
        return await self.ws.receive()

    async def send(self, message: dict[str, object]) -> None:
        await self.send_raw(json.dumps(message))

    async def send_raw(self, text: str) -> None:
        """Send a text frame; ClientGoneError if the socket is gone."""
        try:
            await self.ws.send_text(text)
        except (OSError, RuntimeError, WebSocketDisconnect) as exc:
            raise ClientGoneError from exc

    async def close(self, code: CloseCode, reason: str) -> None:
        """Close with a code and reason unless either side already has."""
        if self.ws.application_state is WebSocketState.DISCONNECTED:
            return
        if self.ws.client_state is WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(OSError, RuntimeError, WebSocketDisconnect):
            await self.ws.close(int(code), short_reason(reason))
