"""The kanban FastAPI application: REST API, health, metrics, the outbox relay and (by
default) the `tasks.proposed` consumer on a thread of the same process."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

from kanban.api.boards import router as boards_router
from kanban.api.cards import router as cards_router
from kanban.api.tasks import router as tasks_router
from kanban.boards import BoardService
from kanban.cards import CardService
from kanban.consumer import ConsumerThread, ProposalHandler, proposal_loop
from kanban.errors import KanbanError
from kanban.health import router as health_router
from kanban.outbox import OutboxRelay
from kanban.proposals import ProposalApplier
from vori.api_docs import serve_api_docs
from vori.auth import require_usable_jwt_secret
from vori.db.engine import create_db_engine, session_factory
from vori.db.errors import data_error_response
from vori.kafka import EventProducer
from vori.metrics import MetricsMiddleware, metrics_endpoint
from vori.settings import Settings

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    run_consumer: bool | None = None,
    stop_server: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the app; `run_consumer` overrides `settings.kanban.run_consumer`; `stop_server`
    is how a dead consumer stops the process (default: SIGTERM to itself)."""
    require_usable_jwt_secret(settings)  # it verifies tokens
    with_consumer = settings.kanban.run_consumer if run_consumer is None else run_consumer

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings)
        sessions = session_factory(engine)
        relay = OutboxRelay(sessions, EventProducer(settings.kafka))
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = sessions
        app.state.relay = relay
        app.state.boards = BoardService(sessions)
        app.state.cards = CardService(sessions)
        app.state.consumer = None
        app.state.consumer_failed = False
        relay.start()
        if with_consumer:
            handler = ProposalHandler(ProposalApplier(sessions), relay)

            def failed(_exc: BaseException) -> None:
                # Without its consumer the service is half alive: stop it so a supervisor
                # restarts it, and say why in the exit code.
                app.state.consumer_failed = True
                if stop_server is not None:
                    stop_server()
                else:
                    os.kill(os.getpid(), signal.SIGTERM)

            app.state.consumer = ConsumerThread(proposal_loop(settings, handler), failed)
            app.state.consumer.start()
        try:
            yield
        finally:
            if app.state.consumer is not None:
                app.state.consumer.stop()
            relay.stop()
            engine.dispose()

    app = FastAPI(
        title="vori kanban",
        version="1",
        description="Boards, columns and cards that meetings propose and people work.",
        lifespan=lifespan,
        docs_url=None,  # served by serve_api_docs, without a CDN
        redoc_url=None,
    )
    serve_api_docs(app)
    app.add_middleware(MetricsMiddleware)
    app.include_router(health_router)
    app.include_router(boards_router)
    app.include_router(cards_router)
    app.include_router(tasks_router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)

    @app.exception_handler(KanbanError)
    async def kanban_error(_request: Request, exc: KanbanError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, **exc.extra}, status_code=exc.status)

    @app.exception_handler(DataError)
    async def refused_value(request: Request, exc: DataError) -> JSONResponse:
        """A NUL character or an out-of-range number: the client's error, not ours."""
        return data_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": readable(exc), "errors": jsonable_encoder(exc.errors())}, status_code=422
        )

    return app


def readable(exc: RequestValidationError) -> str:
    """One line per problem, e.g. `body.title: String should have at least 1 character`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts) or "invalid request"
