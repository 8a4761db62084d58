"""`vori stream-ingest`: serve the audio WebSocket with uvicorn."""

from __future__ import annotations

import gc

import uvicorn

from stream_ingest.app import create_app
from vori.settings import Settings
from vori.ws_server import WebSocketProtocol

# Frames are at most 200 ms (6,400 bytes) and control messages at most 16 KiB; anything up
# to this size reaches the app and is refused there with 4400 and a reason. Larger ones
# are cut off by the server (1009, "frame with N bytes exceeds limit of 65536 bytes")
# before they are read into memory, also before authentication: no client makes a
# process buffer megabytes.
MAX_MESSAGE_BYTES = 64 * 1024


def server_config(settings: Settings) -> uvicorn.Config:
    """How uvicorn serves the ingest app (also used by the tests and the benchmark)."""
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.ingest.port,
        log_level=settings.log_level.lower(),
        ws=WebSocketProtocol,
        ws_max_size=MAX_MESSAGE_BYTES,
        # PCM barely compresses; per-message deflate only burns CPU on both ends.
        ws_per_message_deflate=False,
        # Keepalive pongs are not read while a stream is paused by back-pressure: allow
        # a Kafka outage of a minute before the connection is declared dead.
        ws_ping_interval=20.0,
        ws_ping_timeout=60.0,
        access_log=False,
        lifespan="on",
    )


def run(settings: Settings) -> None:
    """Serve the ingest app on settings.ingest.port until SIGTERM."""
    config = server_config(settings)
    # Everything imported so far lives as long as the process: keep it out of the cyclic
    # collector's full passes, which otherwise stall every stream's acks while they run.
    gc.collect()
    gc.freeze()
    uvicorn.Server(config).run()
