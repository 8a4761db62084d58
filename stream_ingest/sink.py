"""The Kafka side of ingest: produce frames and events, and serve delivery reports.

Delivery reports run on the event loop's thread: a task polls the producer every few
milliseconds, so callbacks touch stream state without locks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, Message

from vori.events import Event
from vori.kafka import EventProducer
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.005
DeliveryCallback = Callable[[KafkaError | None, Message], None]


class AudioSink:
    """One idempotent producer shared by every stream of the process."""

    def __init__(self, kafka: KafkaSettings) -> None:
        # Memory is bounded per stream by back-pressure, not by librdkafka's message
        # count, which would otherwise block the event loop in `publish` (BufferError).
        self.producer = EventProducer(
            kafka,
            **{
                "client.id": f"{kafka.client_id}-ingest",
                "queue.buffering.max.messages": 10_000_000,
                # Back within a second of the broker's return, not after the default 10 s.
                "reconnect.backoff.max.ms": 1000,
            },
        )

    def send(self, event: Event, on_delivery: DeliveryCallback) -> None:
        """Queue an event; `on_delivery` runs on the event loop when Kafka has answered."""
        self.producer.publish(event, on_delivery)

    async def deliver(self, event: Event) -> Message:
        """Produce an event and wait until Kafka has it."""
        done: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

        def report(err: KafkaError | None, msg: Message) -> None:
            if done.done():
                return
            if err is not None:
                done.set_exception(KafkaException(err))
            else:
                done.set_result(msg)

        self.send(event, report)
        return await done

    def announce(self, event: Event) -> None:
        """Produce an event without waiting for it (delivery failures are logged)."""
        self.producer.publish(event)

    async def serve_deliveries(self) -> None:
        """Run delivery callbacks until cancelled."""
        while True:
            self.producer.poll(0)
            await asyncio.sleep(POLL_INTERVAL_S)

    def flush(self, timeout_s: float) -> int:
        """Wait for queued messages; returns how many are still undelivered."""
        return self.producer.flush(timeout_s)
