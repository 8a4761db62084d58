"""The services `vori up` and `vori <service>` know, and how each is started and probed.

A service is started by importing its entry point by name, so the shared package never
imports a service's code at import time and services never import each other.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

from vori.settings import Settings


@dataclass(frozen=True)
class Service:
    """A vori service: its CLI name, entry point, (for HTTP services) health URL and the
    URL Prometheus scrapes."""

    name: str
    entry_point: str  # "module:function", the function takes the Settings
    description: str
    health_url: Callable[[Settings], str] | None = None
    public_url: Callable[[Settings], str] | None = None
    metrics_url: Callable[[Settings], str] | None = None
    # Whether `vori up` starts it (unless named with --only); always, when not given.
    enabled: Callable[[Settings], bool] | None = None

    def load(self) -> Callable[[Settings], None]:
        module_name, _, function = self.entry_point.partition(":")
        module = importlib.import_module(module_name)
        runner: Callable[[Settings], None] = getattr(module, function)
        return runner

    @property
    def available(self) -> bool:
        """Whether this service's code exists in this checkout."""
        module_name = self.entry_point.partition(":")[0]
        try:
            return importlib.util.find_spec(module_name) is not None
        except ModuleNotFoundError:
            return False


def _http(port: Callable[[Settings], int], path: str) -> Callable[[Settings], str]:
    return lambda s: f"http://{s.host}:{port(s)}{path}"


SERVICES: dict[str, Service] = {
    service.name: service
    for service in (
        Service(
            "gateway",
            "gateway.main:run",
            "REST API, live events WebSocket and the web app",
            # Readiness, not liveness: "ready" in `vori up` means Kafka, PostgreSQL and the
            # live consumers answer, so a client that connects then gets live events.
            health_url=_http(lambda s: s.gateway.port, "/readyz"),
            public_url=_http(lambda s: s.gateway.port, "/"),
            metrics_url=_http(lambda s: s.gateway.port, "/metrics"),
        ),
        Service(
            "stream-ingest",
            "stream_ingest.main:run",
            "audio WebSocket into Kafka",
            health_url=_http(lambda s: s.ingest.port, "/healthz"),
            metrics_url=_http(lambda s: s.ingest.port, "/metrics"),
        ),
        Service(
            "transcriber",
            "transcriber.main:run",
            "VAD-gated streaming faster-whisper",
            metrics_url=_http(lambda s: s.transcriber.metrics_port, "/metrics"),
        ),
        Service(
            "transcriber-batch",
            "transcriber.batch_worker:run",
            "uploaded recordings to transcripts, below live meetings",
            metrics_url=_http(lambda s: s.transcriber_batch.metrics_port, "/metrics"),
        ),
        Service(
            "summarizer",
            "summarizer.main:run",
            "rolling summaries and action items",
            metrics_url=_http(lambda s: s.summarizer.metrics_port, "/metrics"),
        ),
        Service(
            "kanban",
            "kanban.main:run",
            "boards and cards",
            health_url=_http(lambda s: s.kanban.port, "/readyz"),
            metrics_url=_http(lambda s: s.kanban.port, "/metrics"),
        ),
        Service(
            "archiver",
            "stream_ingest.archive.main:run",
            "each stream's audio into the recordings store, kept for its retention",
            metrics_url=_http(lambda s: s.recordings.metrics_port, "/metrics"),
        ),
        Service(
            "analytics-live",
            "analytics_spark.live:run",
            "live talk time and words per minute (Spark Structured Streaming)",
            enabled=lambda s: s.analytics.live,
        ),
    )
}
