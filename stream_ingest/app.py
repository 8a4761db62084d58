"""The ingest ASGI application: the audio WebSocket, /healthz and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from stream_ingest.service import IngestService
from stream_ingest.session import AudioSession
from vori.auth import require_usable_jwt_secret
from vori.metrics import MetricsMiddleware, metrics_endpoint
from vori.settings import Settings

AUDIO_PATH = "/ingest/v1/meetings/{meeting_id}/audio"


def create_app(settings: Settings) -> Starlette:
    """Build the ingest app; the producer and database engine live as long as the app."""
    require_usable_jwt_secret(settings)  # it verifies tokens
    service = IngestService(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    async def audio(websocket: WebSocket) -> None:
        meeting_id = websocket.path_params["meeting_id"]
        await AudioSession(
            websocket, meeting_id, settings=settings, host=service, sink=service.sink
        ).run()

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "open_streams": service.open_streams()})

    app = Starlette(
        routes=[
            WebSocketRoute(AUDIO_PATH, audio),
            Route("/healthz", healthz),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(MetricsMiddleware)
    app.state.service = service
    return app
