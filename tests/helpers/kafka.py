"""Reading and writing raw topic contents in tests (the real broker, no mocks)."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, Message
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from vori.settings import KafkaSettings


def create_topic(kafka: KafkaSettings, name: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(timeout=30)


def read_all(
    kafka: KafkaSettings, topic: str, expected: int, timeout_s: float = 30
) -> list[Message]:
    """Read a topic from the beginning until `expected` messages arrived or time ran out."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"test-reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(messages) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                messages.append(message)
    finally:
        consumer.close()
    return messages
