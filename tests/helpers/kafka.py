"""Reading and writing raw topic contents in tests (the real broker, no mocks)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition
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


def consumer_at_end(
    kafka: KafkaSettings, topics: Iterable[str], name: str
) -> tuple[Consumer, dict[tuple[str, int], int]]:
    """A consumer of committed transactions assigned to the current end of every partition
    of `topics` (it reads only what comes next, commits nothing), with those end offsets."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"{name}-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    assignment = []
    for topic in topics:
        meta = consumer.list_topics(topic, timeout=30)
        for partition in meta.topics[topic].partitions:
            tp = TopicPartition(topic, partition)
            _low, high = consumer.get_watermark_offsets(tp, timeout=30)
            assignment.append(TopicPartition(topic, partition, high))
    consumer.assign(assignment)
    return consumer, {(tp.topic, tp.partition): tp.offset for tp in assignment}


def end_offsets(kafka: KafkaSettings, topics: Iterable[str]) -> list[TopicPartition]:
    """The current end of every partition of `topics` (those that exist)."""
    consumer = Consumer(
        {"bootstrap.servers": kafka.bootstrap_servers, "group.id": f"ends-{time.monotonic_ns()}"}
    )
    try:
        metadata = consumer.list_topics(timeout=15)
        offsets: list[TopicPartition] = []
        for topic in topics:
            if topic not in metadata.topics:
                continue
            for partition in metadata.topics[topic].partitions:
                _low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=15
                )
                offsets.append(TopicPartition(topic, partition, high))
        return offsets
    finally:
        consumer.close()


def commit_offsets(kafka: KafkaSettings, group_id: str, offsets: list[TopicPartition]) -> None:
    """Commit `offsets` for a group no consumer has joined yet (where it will start)."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": group_id,
            "enable.auto.commit": False,
        }
    )
    try:
        # Right after the broker starts, the group coordinator may still be loading.
        deadline = time.monotonic() + 60
        while offsets:
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
                break
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        consumer.close()


def commit_end_offsets(kafka: KafkaSettings, group_id: str, topics: Iterable[str]) -> None:
    """Make a new consumer group start at the current end of `topics` (it reads only new data)."""
    commit_offsets(kafka, group_id, end_offsets(kafka, topics))
