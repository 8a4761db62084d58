"""`/api/v1/boards*`, `/api/v1/cards*` and `/api/v1/me/tasks` passed through to kanban.

The web app talks to one URL; the kanban service answers these itself (its own auth,
versions and 409s). The gateway forwards method, path, query, body and the headers
that matter, and answers 502/504 with a message when kanban is down or slow. It checks
the bearer token first (401 as on its own routes), so an anonymous client cannot make it
read a body or open an upstream request; bodies are capped by `BodyLimitMiddleware`.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.deps import oauth2_scheme
from gateway.runtime import GatewayRuntime
from vori.auth import InvalidTokenError, verify_token

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
REQUEST_HEADERS = (
    "authorization",
    "if-match",
    "if-none-match",
    "content-type",
    "accept",
    "accept-language",
)
RESPONSE_HEADERS = ("content-type", "etag", "location", "cache-control", "www-authenticate")


async def _forward(request: Request) -> Response:
    runtime: GatewayRuntime = request.app.state.gateway
    try:
        verify_token(runtime.settings.gateway, await oauth2_scheme(request))
    except InvalidTokenError as exc:
        return JSONResponse(
            {"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    body = await request.body()  # at most GATEWAY__MAX_BODY_BYTES: the middleware cuts it off
    path = request.scope.get("raw_path") or request.url.path.encode()
    target = path.decode("latin-1")
    if request.url.query:
        target += "?" + request.url.query
    headers = {name: value for name, value in request.headers.items() if name in REQUEST_HEADERS}
    if request.client is not None:
        headers["x-forwarded-for"] = request.client.host
    headers["x-forwarded-proto"] = request.url.scheme
    headers["x-forwarded-host"] = request.headers.get("host", "")
    try:
        upstream = await runtime.kanban.request(
            request.method, target, content=body, headers=headers
        )
    except httpx.TimeoutException:
        log.warning("kanban did not answer %s %s in time", request.method, target)
        return JSONResponse({"detail": "kanban service did not answer in time"}, status_code=504)
    except httpx.TransportError as exc:
        log.warning("kanban unreachable for %s %s: %s", request.method, target, exc)
        return JSONResponse(
            {"detail": f"kanban service unavailable: {exc or type(exc).__name__}"},
            status_code=502,
        )
    kept = {
        name: value for name, value in upstream.headers.items() if name.lower() in RESPONSE_HEADERS
    }
    return Response(upstream.content, status_code=upstream.status_code, headers=kept)


# Every path kanban serves lives under one of these (the token matrix test checks it).
KANBAN_PREFIXES = ("/api/v1/boards", "/api/v1/cards", "/api/v1/me/tasks")

for prefix in KANBAN_PREFIXES:
    router.add_api_route(prefix, _forward, methods=METHODS)
    router.add_api_route(prefix + "/{rest:path}", _forward, methods=METHODS)
