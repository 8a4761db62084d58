"""Liveness and readiness: is the process up, and can it reach Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from gateway.runtime import GatewayRuntime
from vori.probes import database_reachable, kafka_reachable
from vori.settings import Settings

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: Kafka answers a metadata request and PostgreSQL a query."""
    settings: Settings = request.app.state.settings
    engine: Engine = request.app.state.engine
    kafka_ok, db_ok = await asyncio.gather(
        asyncio.to_thread(kafka_reachable, settings.kafka),
        asyncio.to_thread(database_reachable, engine),
    )
    body = {
        "kafka": "ok" if kafka_ok else "unreachable",
        "postgres": "ok" if db_ok else "unreachable",
        "consumers": _consumers_state(request),
    }
    ready = kafka_ok and db_ok and body["consumers"] == "ok"
    return JSONResponse(body, status_code=200 if ready else 503)


def _consumers_state(request: Request) -> str:
    """`ok` once the live fan-out consumer listens; `starting` before, `failed` if one died."""
    runtime: GatewayRuntime | None = getattr(request.app.state, "gateway", None)
    if runtime is None:
        return "starting"
    if not runtime.consumers.running:
        return "failed"
    return "ok" if runtime.consumers.live_ready.is_set() else "starting"
