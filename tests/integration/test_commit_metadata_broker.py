"""Commit metadata of audio.frames partitions against the real broker: its limit and size."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from tests.helpers.kafka import create_topic
from tests.helpers.ports import free_port
from transcriber.offsets import (
    KAFKA_DEFAULT_METADATA_MAX_BYTES,
    decode_checkpoints,
    encode_metadata,
    metadata_budget,
)
from transcriber.segmenter import Checkpoint
from transcriber.stream import StreamCheckpoint
from transcriber.worker import TranscriberWorker
from vori.kafka.broker_config import broker_int_config
from vori.kafka.transactions import BoundedTransactions
from vori.local.kafka_broker import OFFSET_METADATA_MAX_BYTES
from vori.settings import KafkaSettings, Settings, load_settings

LIMIT = "offset.metadata.max.bytes"


@pytest.fixture(scope="module")
def settings_kafka_only(kafka_broker: object) -> Settings:
    """The session's broker (no PostgreSQL: nothing here needs it)."""
    return load_settings(
        kafka={"bootstrap_servers": kafka_broker.bootstrap_servers, "embedded": False},  # type: ignore[attr-defined]
        transcriber={"metrics_port": 0},
    )


@pytest.fixture(scope="module")
def kafka(settings_kafka_only: Settings) -> KafkaSettings:
    return settings_kafka_only.kafka


@pytest.fixture
def member(kafka: KafkaSettings, unique: str) -> Iterator[tuple[Consumer, str]]:
    """A consumer group member that owns the one partition of a topic of its own."""
    topic = f"metadata-{unique}"
    create_topic(kafka, topic)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"metadata-{unique}",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    deadline = time.monotonic() + 60
    while not consumer.assignment():
        assert time.monotonic() < deadline, "no partition assigned in 60 s"
        consumer.poll(0.5)
    yield consumer, topic
    consumer.close()


def test_vori_brokers_report_their_metadata_limit(kafka: KafkaSettings) -> None:
    limit = broker_int_config(kafka, LIMIT, KAFKA_DEFAULT_METADATA_MAX_BYTES)
    assert limit.from_broker
    assert limit.value == OFFSET_METADATA_MAX_BYTES


def test_an_unreachable_broker_gives_the_fallback() -> None:
    nowhere = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    limit = broker_int_config(nowhere, LIMIT, 4096, timeout_s=2)
    assert limit.value == 4096
    assert limit.source.startswith("fallback")


def test_the_transcriber_sizes_its_metadata_by_the_broker(settings_kafka_only: Settings) -> None:
    worker = TranscriberWorker(settings_kafka_only)
    try:
        assert worker.metadata_max_bytes == metadata_budget(OFFSET_METADATA_MAX_BYTES) == 32766
    finally:
        worker.loop.consumer.close()


def test_two_hundred_streams_checkpoints_commit_in_a_transaction_and_read_back(
    kafka: KafkaSettings, member: tuple[Consumer, str], unique: str
) -> None:
    consumer, topic = member
    checkpoints = {
        f"mtg_{i:020x}:usr_{i * 7919:020x}:mic": StreamCheckpoint(
            Checkpoint(i * 16_000 + 480, None if i % 3 else i * 16_000),
            f"and then stream {i} said something about the plan for the next release " * 3,
            last_seen_ms=1_796_000_000_000 + i,
        )
        for i in range(200)
    }
    encoded = encode_metadata(checkpoints, metadata_budget(OFFSET_METADATA_MAX_BYTES))
    assert len(encoded.text) > 4096  # more than Kafka's default would take
    assert encoded.fill < 1  # whole contexts
    transactions = BoundedTransactions(kafka, f"metadata-{unique}", call_timeout_s=30)
    transactions.start(60)
    offsets = [TopicPartition(topic, 0, 42, metadata=encoded.text)]
    deadline = time.monotonic() + 60
    while not transactions.commit([], offsets, consumer.consumer_group_metadata()):
        assert time.monotonic() < deadline, "the transaction did not commit in 60 s"
        time.sleep(0.5)
    committed = _committed(consumer, TopicPartition(topic, 0))
    assert committed.offset == 42
    assert committed.metadata == encoded.text
    assert decode_checkpoints(committed.metadata) == checkpoints


def _committed(consumer: Consumer, tp: TopicPartition) -> TopicPartition:
    deadline = time.monotonic() + 30
    while True:
        try:
            return consumer.committed([tp], timeout=10)[0]
        except KafkaException:  # the coordinator may still be loading
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
