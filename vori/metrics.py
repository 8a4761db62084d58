"""Prometheus plumbing every service shares: HTTP and WebSocket metrics as one ASGI
middleware, and the /metrics server of the workers that have no HTTP app of their own.

Requests are labelled by route template (`/api/v1/meetings/{meeting_id}`), never by raw
path, so the number of series stays bounded whatever clients send; a request no route
matches is labelled `<unmatched>`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"

HTTP_REQUESTS = Counter(
    "vori_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "vori_http_request_duration_seconds",
    "From a request's arrival to the end of its response, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
WS_CONNECTIONS = Counter(
    "vori_websocket_connections_total",
    "WebSocket connections accepted, by route template.",
    ["route"],
)
WS_OPEN = Gauge(
    "vori_websocket_connections_open",
    "WebSocket connections open now, by route template.",
    ["route"],
)
WS_DURATION = Histogram(
    "vori_websocket_connection_seconds",
    "How long WebSocket connections lasted, by route template.",
    ["route"],
    buckets=(1, 10, 60, 300, 900, 1800, 3600, 7200, 14400),
)


def route_template(scope: Scope) -> str:
    """The path template of the route that serves this request, or `<unmatched>`."""
    route = scope.get("route")  # Starlette's router sets it once it has chosen a route
    if route is None:
        # Refused before routing (e.g. a body over the limit): match like the router would.
        app = scope.get("app")
        partial = None
        for candidate in getattr(getattr(app, "router", None), "routes", ()):
            match, _child = candidate.matches(scope)
            if match == Match.FULL:
                route = candidate
                break
            if match == Match.PARTIAL and partial is None:
                partial = candidate
        route = route or partial
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request and WebSocket connection of an ASGI app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            method = str(scope.get("method", "GET"))
            route = route_template(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        route = UNMATCHED
        accepted = False

        async def send_counting(message: Message) -> None:
            nonlocal route, accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                route = route_template(scope)
                WS_CONNECTIONS.labels(route).inc()
                WS_OPEN.labels(route).inc()
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            if accepted:
                WS_OPEN.labels(route).dec()
                WS_DURATION.labels(route).observe(time.perf_counter() - started)


async def metrics_endpoint(_request: Request) -> Response:
    """GET /metrics: the process's metrics in Prometheus's text format. A route, not a
    mount, so that exactly `/metrics` answers (a mount answers `/metrics/` only, and the
    gateway's web-app catch-all would take `/metrics`)."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class _Registries(Collector):
    """Several registries exposed as one (a worker's own metrics plus the process's)."""

    def __init__(self, registries: Iterable[CollectorRegistry]) -> None:
        self.registries = list(registries)

    def collect(self) -> Iterable[Metric]:
        for registry in self.registries:
            yield from registry.collect()


def serve_metrics(host: str, port: int, *registries: CollectorRegistry) -> int:
    """Serve /metrics of these registries (default: the process's) on host:port from a
    daemon thread; returns the bound port, so port 0 picks a free one."""
    server, _thread = start_http_server(
        port, addr=host, registry=_Registries(registries or (REGISTRY,))
    )
    return int(server.server_port)
