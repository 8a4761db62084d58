"""The gateway's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import make_asgi_app
from pydantic import BaseModel

from gateway.health import router as health_router
from vori.db.engine import create_db_engine
from vori.settings import Settings


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = create_db_engine(settings)
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="vori gateway",
        version="1",
        description="Meetings, transcripts, summaries and live events of vori.",
        lifespan=lifespan,
    )
    app.include_router(health_router)
    app.mount("/metrics", make_asgi_app())

    @app.get("/api/v1/config", response_model=ClientConfig, tags=["config"])
    async def client_config() -> ClientConfig:
        """Where clients send audio, and in which format."""
        ingest = settings.ingest
        base = ingest.public_url or f"ws://{settings.host}:{ingest.port}"
        return ClientConfig(
            audio_ws_url=base,
            audio_path_template="/ingest/v1/meetings/{meeting_id}/audio",
            sample_rate=16000,
            encoding="pcm_s16le",
            channels=1,
            api_version="v1",
        )

    return app
