"""`vori archiver`: keep every stream's audio in the recordings store."""

from __future__ import annotations

import logging

from stream_ingest.archive.worker import Archiver
from vori.db.engine import create_db_engine, session_factory
from vori.kafka import ensure_topics, wait_for_kafka
from vori.logs import configure_logging
from vori.metrics import serve_metrics
from vori.objectstore import S3ObjectStore, open_store
from vori.settings import Settings

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    """Consume audio.frames and meeting.events until SIGTERM."""
    configure_logging(settings.log_level)
    wait_for_kafka(settings.kafka)
    ensure_topics(settings.kafka)
    store = open_store(settings)
    if isinstance(store, S3ObjectStore):
        store.ensure_bucket()
    if settings.recordings.metrics_port:
        serve_metrics(settings.host, settings.recordings.metrics_port)
        log.info(
            "archiver metrics on http://%s:%d/metrics",
            settings.host,
            settings.recordings.metrics_port,
        )
    engine = create_db_engine(settings)
    try:
        Archiver(settings, store, session_factory(engine)).run()
    finally:
        engine.dispose()
