"""The gateway's FastAPI application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError

from gateway import (
    accounts,
    analytics,
    corrections,
    events_ws,
    imports,
    kanban_proxy,
    meetings,
    notifications_api,
    recording_audio,
    recordings,
    retranscriptions,
    search,
    summaries,
    transcripts,
    uploads,
    webhooks,
)
from gateway.auth_limits import AttemptLimiter, PasswordWork
from gateway.body_limit import BodyLimitMiddleware
from gateway.consumers import GatewayConsumers
from gateway.health import router as health_router
from gateway.hub import Hub
from gateway.runtime import GatewayRuntime, audio_ws_base, kanban_base_url
from gateway.security_headers import SecurityHeadersMiddleware
from gateway.semantic import SemanticSearch
from gateway.webapp import web_app_router
from vori.api_docs import serve_api_docs
from vori.audio import CHANNELS, ENCODING, SAMPLE_RATE
from vori.auth import require_usable_jwt_secret
from vori.db.engine import create_db_engine, session_factory
from vori.db.errors import data_error_response
from vori.kafka.producer import EventProducer
from vori.metrics import MetricsMiddleware, metrics_endpoint
from vori.settings import Settings

log = logging.getLogger(__name__)


class ClientConfig(BaseModel):
    """What a client needs to know to talk to this deployment."""

    audio_ws_url: str
    audio_path_template: str
    sample_rate: int
    encoding: str
    channels: int
    api_version: str


def create_app(settings: Settings) -> FastAPI:
    """Build the gateway app for the given settings."""
    require_usable_jwt_secret(settings)  # it mints and verifies tokens

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings)
        sessions = session_factory(engine)
        loop = asyncio.get_running_loop()
        gateway = settings.gateway
        hub = Hub(
            loop, max_queue=gateway.events_client_queue, max_lag_s=gateway.events_client_max_lag_s
        )
        producer = EventProducer(settings.kafka)
        runtime = GatewayRuntime(
            settings=settings,
            engine=engine,
            sessions=sessions,
            producer=producer,
            hub=hub,
            consumers=GatewayConsumers(
                settings,
                sessions,
                hub.publish_threadsafe,
                hub.publish_to_user_threadsafe,
                producer,
                hub,
            ),
            kanban=httpx.AsyncClient(
                base_url=kanban_base_url(settings), timeout=gateway.kanban_timeout_s
            ),
            loop=loop,
            auth_attempts=AttemptLimiter(
                gateway.auth_attempts_per_address,
                gateway.auth_attempts_per_account,
                gateway.auth_window_s,
            ),
            password_work=PasswordWork(gateway.password_hash_slots, gateway.password_hash_wait_s),
            semantic=SemanticSearch(sessions) if gateway.semantic_search else None,
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.gateway = runtime
        runtime.consumers.start()
        if runtime.semantic is not None:
            runtime.semantic.start()
        try:
            yield
        finally:
            if runtime.semantic is not None:
                await asyncio.to_thread(runtime.semantic.stop)
            await asyncio.to_thread(runtime.consumers.stop)
            await runtime.kanban.aclose()
            runtime.producer.flush(5.0)
            engine.dispose()

    app = FastAPI(
        title="vori gateway",
        version="1",
        description=(
            "Meetings, transcripts, summaries and live events of vori. The events "
            "WebSocket and the kanban pass-through are described in docs/protocol.md."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by serve_api_docs, without a CDN
        redoc_url=None,
    )
    serve_api_docs(app)
    # Innermost of the three, so its 413 still gets the security headers.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.gateway.max_body_bytes,
        routes=uploads.body_limits(settings.gateway),
    )
    # The web bundle is ~370 kB of JavaScript; compressed it is about a third of that.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeadersMiddleware, audio_ws_url=audio_ws_base(settings))
    app.add_middleware(MetricsMiddleware)  # outermost: it also counts the 413s and 500s
    app.include_router(health_router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)

    @app.exception_handler(DataError)
    async def refused_value(request: Request, exc: DataError) -> JSONResponse:
        """A NUL character or an out-of-range number: the client's error, not ours."""
        return data_error_response(request, exc)

    @app.get("/api/v1/config", response_model=ClientConfig, tags=["config"])
    async def client_config() -> ClientConfig:
        """Where clients send audio, and in which format."""
        return ClientConfig(
            audio_ws_url=audio_ws_base(settings),
            audio_path_template="/ingest/v1/meetings/{meeting_id}/audio",
            sample_rate=SAMPLE_RATE,
            encoding=ENCODING,
            channels=CHANNELS,
            api_version="v1",
        )

    for router in (
        accounts.router,
        meetings.router,
        transcripts.router,
        corrections.router,
        imports.router,
        uploads.router,
        retranscriptions.router,
        recordings.router,
        recording_audio.router,
        search.router,
        summaries.router,
        events_ws.router,
        kanban_proxy.router,
        analytics.router,
        webhooks.router,
        notifications_api.router,
    ):
        app.include_router(router)
    # Last: everything no route above claims is the web app.
    app.include_router(web_app_router(settings.gateway.web_dir))
    return app
