"""The broker stops with a transaction of finals and offsets in hand: the commit comes back in
bounded time instead of hanging in librdkafka, and once Kafka is back the same content
commits exactly once (what the transcriber's finals rely on, issue #13's Kafka outage)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.helpers.kafka import create_topic
from tests.helpers.ports import free_port
from vori.events import EncodedMessage
from vori.kafka.consumer import consumer_config
from vori.kafka.transactions import (
    STUCK_MARGIN_S,
    BoundedTransactions,
    TransactionAbortedError,
)
from vori.local.kafka_broker import KafkaBroker
from vori.settings import KafkaSettings

OUTAGE_S = 15.0
CALL_TIMEOUT_S = 3.0
BOUND_S = CALL_TIMEOUT_S + STUCK_MARGIN_S + 2.0  # well under the outage
SOURCE, SINK, GROUP = "txn-source", "txn-sink", "txn-group"


@pytest.fixture
def own_broker() -> Iterator[KafkaBroker]:
    """A broker of this test only: stopping the session's broker would break other tests."""
    root = Path(tempfile.mkdtemp(prefix="vori-txn-outage-"))
    broker = KafkaBroker(root / "kafka", port=free_port(), controller_port=free_port())
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


def _message(text: str) -> EncodedMessage:
    return EncodedMessage(SINK, b"meeting", text.encode(), [])


def _read_committed(kafka: KafkaSettings, expected: int) -> list[str]:
    """Every message of the sink that a read_committed consumer sees."""
    reader = Consumer(
        consumer_config(
            kafka, f"reader-{time.monotonic_ns()}", **{"isolation.level": "read_committed"}
        )
    )
    reader.subscribe([SINK])
    seen: list[str] = []
    deadline = time.monotonic() + 30
    complete_at: float | None = None
    try:
        while time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is not None and message.error() is None:
                seen.append((message.value() or b"").decode())
            if len(seen) >= expected:
                complete_at = complete_at or time.monotonic()
                if time.monotonic() - complete_at > 3:
                    break  # a message too many would have shown by now
    finally:
        reader.close()
    return seen


def test_a_transaction_during_a_broker_outage_returns_in_bounded_time_then_commits_once(
    own_broker: KafkaBroker,
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers=own_broker.bootstrap_servers, retry_backoff_s=0.2, retry_backoff_max_s=1.0
    )
    create_topic(kafka, SOURCE)
    create_topic(kafka, SINK)
    source = Producer({"bootstrap.servers": kafka.bootstrap_servers})
    for index in range(3):
        source.produce(SOURCE, f"frame {index}".encode())
    assert source.flush(30) == 0
    consumer = Consumer(consumer_config(kafka, GROUP, **{"enable.auto.commit": False}))
    consumer.subscribe([SOURCE])
    deadline = time.monotonic() + 60
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(0.5)
    assert consumer.assignment(), "the consumer joined its group"

    transactions = BoundedTransactions(
        kafka, "txn-outage", call_timeout_s=CALL_TIMEOUT_S, **{"linger.ms": 0}
    )
    transactions.start(60)
    assert transactions.commit(
        [_message("before")], [TopicPartition(SOURCE, 0, 1)], consumer.consumer_group_metadata()
    )

    own_broker.stop()
    stopped = time.monotonic()
    attempts = []
    while time.monotonic() - stopped < OUTAGE_S:
        began = time.monotonic()
        committed = transactions.commit(
            [_message("during")],
            [TopicPartition(SOURCE, 0, 2)],
            consumer.consumer_group_metadata(),
        )
        attempts.append(time.monotonic() - began)
        assert not committed, "nothing commits while the broker is away"
        consumer.poll(0.2)
    assert max(attempts) < BOUND_S, f"a commit blocked {max(attempts):.1f} s: {attempts}"

    own_broker.start(timeout_s=120)
    # The content of the transaction that did not commit, and then some, as the transcriber
    # sends it again; the consumer rejoins its group meanwhile.
    deadline = time.monotonic() + 90
    committed = False
    while not committed and time.monotonic() < deadline:
        consumer.poll(0.2)
        began = time.monotonic()
        try:
            committed = transactions.commit(
                [_message("during"), _message("after")],
                [TopicPartition(SOURCE, 0, 3)],
                consumer.consumer_group_metadata(),
            )
        except TransactionAbortedError:
            committed = False  # the group generation changed while Kafka was away
        assert time.monotonic() - began < BOUND_S
    assert committed, "the transaction commits once Kafka is back"

    assert _read_committed(kafka, 3) == ["before", "during", "after"]
    [offset] = consumer.committed([TopicPartition(SOURCE, 0)], timeout=30)
    assert offset.offset == 3
    consumer.close()
