"""Liveness and readiness: is the process up, and can it reach Kafka and PostgreSQL."""

from __future__ import annotations

import asyncio

from confluent_kafka import KafkaException
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from gateway.runtime import GatewayRuntime
from vori.kafka.topics import admin_client
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
        asyncio.to_thread(_kafka_reachable, settings), asyncio.to_thread(_db_reachable, engine)
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


def _kafka_reachable(settings: Settings) -> bool:
    try:
        admin_client(settings.kafka, quiet=True).list_topics(timeout=2)
    except KafkaException:
        return False
    return True


def _db_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
