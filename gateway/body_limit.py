"""A cap on request bodies, enforced while they arrive rather than after they are read.

A declared Content-Length over the cap is answered 413 at once, before any of the body
is read; a chunked body is counted as it streams and cut off with 413 at the byte that
crosses the cap. uvicorn stops reading a socket while the app has not taken what it
buffered (64 KiB), so an oversized upload never sits in memory whole.

Routes that take recordings (gateway/uploads.py) have larger caps of their own, given as
`RouteLimit`s; every other request keeps the global cap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(max_bytes: int) -> str:
    return f"request body too large: at most {max_bytes} bytes"


@dataclass(frozen=True)
class RouteLimit:
    """A body cap of its own for requests of `method` whose path matches `path` whole."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


class BodyLimitMiddleware:
    """Refuse HTTP request bodies over `max_bytes` (or a route's own cap) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> int:
        for route in self.routes:
            if route.method == method and route.path.fullmatch(path):
                return route.max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > max_bytes:
            await _refuse(send, too_large(max_bytes))
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    # Raised inside the route's body read: FastAPI passes an HTTPException
                    # through its body parsing, and the exception middleware answers it.
                    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, too_large(max_bytes))
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            # The server has already refused a malformed length with 400.
            return int(value) if value.isdigit() else None
    return None


async def _refuse(send: Send, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status.HTTP_413_CONTENT_TOO_LARGE,
            # The client may still be sending: tell it the connection will not read on.
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
