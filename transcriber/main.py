"""`vori transcriber`: run the transcriber worker with its /metrics endpoint."""

from __future__ import annotations

import logging

from transcriber.metrics import TranscriberMetrics
from transcriber.worker import TranscriberWorker
from vori.kafka import ensure_topics, wait_for_kafka
from vori.logs import configure_logging
from vori.settings import Settings

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    """Consume audio.frames and publish transcript.segments until SIGTERM."""
    configure_logging(settings.log_level)
    # faster-whisper logs every decode call at INFO.
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    wait_for_kafka(settings.kafka)
    ensure_topics(settings.kafka)
    metrics = TranscriberMetrics()
    if settings.transcriber.metrics_port:
        metrics.serve(settings.transcriber.metrics_port, settings.host)
        log.info(
            "transcriber metrics on http://%s:%d/metrics",
            settings.host,
            settings.transcriber.metrics_port,
        )
    TranscriberWorker(settings, metrics=metrics).run()
