"""Liveness and readiness of the kanban service."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from vori.probes import database_reachable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Readiness: PostgreSQL answers and the proposal consumer (if enabled) is running."""
    engine: Engine = request.app.state.engine
    db_ok = await asyncio.to_thread(database_reachable, engine)
    consumer = request.app.state.consumer
    consumer_state = "disabled" if consumer is None else "ok" if consumer.alive else "stopped"
    ready = db_ok and consumer_state != "stopped"
    body = {"postgres": "ok" if db_ok else "unreachable", "consumer": consumer_state}
    return JSONResponse(body, status_code=200 if ready else 503)
