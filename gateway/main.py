"""`vori gateway`: serve the gateway with uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from vori.settings import Settings
from vori.ws_server import WebSocketProtocol

# Clients send the events socket an auth frame and pings of a few hundred bytes. A larger
# frame is cut off by the server (1009 and a reason) before it is read into memory, so an
# unauthenticated client cannot make the process buffer 16 MiB (uvicorn's default) a socket.
MAX_WS_MESSAGE_BYTES = 64 * 1024


def run(settings: Settings) -> None:
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.gateway.port,
        log_level=settings.log_level.lower(),
        ws=WebSocketProtocol,
        ws_max_size=MAX_WS_MESSAGE_BYTES,
    )
