"""`vori kanban`: serve the kanban API (and its proposal consumer) with uvicorn."""

from __future__ import annotations

import uvicorn

from kanban.app import create_app
from vori.settings import Settings


def run(settings: Settings) -> None:
    servers: list[uvicorn.Server] = []

    def stop_server() -> None:
        for server in servers:
            server.should_exit = True

    app = create_app(settings, stop_server=stop_server)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.kanban.port,
            log_level=settings.log_level.lower(),
        )
    )
    servers.append(server)
    server.run()
    if getattr(app.state, "consumer_failed", False):
        raise SystemExit("kanban: the tasks.proposed consumer died; see the log above")
