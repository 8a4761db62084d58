"""`vori gateway`: serve the gateway with uvicorn."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from vori.settings import Settings


def run(settings: Settings) -> None:
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.gateway.port,
        log_level=settings.log_level.lower(),
        ws="websockets-sansio",
    )
