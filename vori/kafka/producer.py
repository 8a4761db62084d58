"""The one producer factory: idempotent, acks=all, so retries never duplicate or reorder."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from vori.events import Event, encode
from vori.kafka import metrics
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

DeliveryCallback = Callable[[KafkaError | None, Message], None]


def producer_config(kafka: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """librdkafka settings of every vori producer; overrides win."""
    config: dict[str, Any] = {
        "bootstrap.servers": kafka.bootstrap_servers,
        "client.id": f"{kafka.client_id}-producer",
        "enable.idempotence": True,
        "acks": "all",
        # Small linger batches a burst of 20 ms audio frames without adding audible delay.
        "linger.ms": 5,
        "compression.type": "lz4",
        # Keep retrying through a broker outage instead of failing deliveries after 5 minutes
        # (the default); callers bound their own memory with back-pressure.
        "message.timeout.ms": 0,
        "logger": logging.getLogger("vori.librdkafka"),
    }
    config.update(overrides)
    return config


def create_producer(kafka: KafkaSettings, **overrides: Any) -> Producer:
    """An idempotent producer (`enable.idempotence`, `acks=all`)."""
    return Producer(producer_config(kafka, **overrides))


class EventProducer:
    """Publishes typed events to their topics through one idempotent producer."""

    def __init__(self, kafka: KafkaSettings, **overrides: Any) -> None:
        self.producer = create_producer(kafka, **overrides)

    def publish(
        self,
        event: Event,
        on_delivery: DeliveryCallback | None = None,
        *,
        topic: str | None = None,
    ) -> None:
        """Queue an event on its topic (or `topic`); `on_delivery` runs from `poll`/`flush`."""
        message = encode(event)
        destination = topic or message.topic
        reported = on_delivery or _log_failed_delivery
        produced_at = time.monotonic()

        def delivered(err: KafkaError | None, msg: Message) -> None:
            metrics.PRODUCE_SECONDS.labels(destination).observe(time.monotonic() - produced_at)
            if err is not None:
                metrics.PRODUCE_ERRORS.labels(destination).inc()
            reported(err, msg)

        while True:
            try:
                self.producer.produce(
                    destination,
                    key=message.key,
                    value=message.value,
                    headers=list(message.headers),
                    on_delivery=delivered,
                )
                break
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self.producer.poll(0.1)
        self.producer.poll(0)

    def poll(self, timeout: float = 0.0) -> int:
        return int(self.producer.poll(timeout))

    def flush(self, timeout: float = 30.0) -> int:
        """Wait for every queued event; returns how many are still undelivered."""
        return int(self.producer.flush(timeout))


def _log_failed_delivery(err: KafkaError | None, msg: Message) -> None:
    if err is not None:
        log.error("delivery to %s failed: %s", msg.topic(), err)
