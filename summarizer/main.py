"""`vori summarizer`: rolling and final meeting summaries and action items from Kafka."""

from __future__ import annotations

import logging
import os
from functools import partial
from typing import Any

from summarizer.detector import ActionDetector, DetectorModel
from summarizer.engine import Summarizer
from summarizer.llm_client import LlmClient, base_url_for
from summarizer.worker import SummarizerWorker
from vori.db.engine import DATABASE_AWAY, create_db_engine, session_factory
from vori.embedding import Embedder
from vori.events import MEETING_EVENTS, TRANSCRIPT_SEGMENTS
from vori.kafka import ConsumerLoop, EventProducer
from vori.kafka.consumer import Handler
from vori.metrics import serve_metrics
from vori.settings import Settings

log = logging.getLogger("summarizer")

# A summary with a slow LLM holds the loop for minutes: stay in the group meanwhile.
_SLOW_HANDLER: dict[str, Any] = {"max.poll.interval.ms": 900_000}


def build_worker(settings: Settings) -> SummarizerWorker:
    """The worker with its database, producer and (if configured) LLM client."""
    config = settings.summarizer
    base_url = base_url_for(settings)
    ask = LlmClient(settings, base_url).ask if base_url else None
    log.info("summarizer: %s", f"LLM at {base_url} ({config.model})" if base_url else "rules only")
    detector = None
    if config.detector:
        model = DetectorModel.load()
        detector = ActionDetector(model, Embedder(config.detector_threads).embed)
    summarizer = Summarizer(
        ask,
        thresholds=detector.model.thresholds(config.tasks) if detector else None,
        bars_for=detector.model.thresholds if detector else None,
        final_budget_s=config.final_budget_s,
        max_items=config.max_items,
        max_prompt_words=config.max_prompt_words,
        budget_s=config.rolling_budget_s,
    )
    sessions = session_factory(create_db_engine(settings))
    return SummarizerWorker(
        config, sessions, EventProducer(settings.kafka), summarizer, detector=detector
    )


def run(settings: Settings) -> None:
    """Consume final segments and meeting events until SIGTERM."""
    os.nice(settings.summarizer.nice)  # speech recognition first; summaries can wait a little
    if settings.summarizer.metrics_port:
        port = serve_metrics(settings.host, settings.summarizer.metrics_port)
        log.info("summarizer metrics on http://%s:%d/metrics", settings.host, port)
    worker = build_worker(settings)
    build_loop(settings, worker).run()


def build_loop(
    settings: Settings,
    worker: SummarizerWorker,
    group_id: str | None = None,
    handler: Handler | None = None,
) -> ConsumerLoop:
    """The consumer loop that feeds the worker (its own handler unless one is given), its
    summaries waiting while segments published before them are still unread."""
    loop = ConsumerLoop(
        settings.kafka,
        group_id or settings.summarizer.group_id,
        [TRANSCRIPT_SEGMENTS, MEETING_EVENTS],
        handler or worker.handle,
        on_tick=worker.tick,
        transient=DATABASE_AWAY,  # PostgreSQL away: wait, not dead-letter
        track_ends=True,
        **_SLOW_HANDLER,
    )
    worker.segments_caught_up = partial(loop.caught_up, TRANSCRIPT_SEGMENTS)
    return loop
