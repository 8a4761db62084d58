"""What BoundedTransactions does when a call fails: send the same content again only when
nothing of it can have committed (librdkafka's producer replaced by a recording fake)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from vori.events import EncodedMessage
from vori.kafka import transactions
from vori.kafka.transactions import BoundedTransactions, TransactionInDoubtError
from vori.settings import KafkaSettings

TIMED_OUT = KafkaException(KafkaError(KafkaError._TIMED_OUT, "timed out", retriable=True))


class RecordingProducer:
    """Records each call; the call named in `fail` raises `TIMED_OUT` once."""

    def __init__(self, calls: list[str], fail: set[str]) -> None:
        self.calls = calls
        self.fail = fail

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            self.fail.discard(name)
            raise TIMED_OUT

    def init_transactions(self, timeout: float) -> None:
        self._call("init")

    def begin_transaction(self) -> None:
        self._call("begin")

    def produce(self, topic: str, **_: Any) -> None:
        self._call("produce")

    def send_offsets_to_transaction(self, *_: Any) -> None:
        self._call("offsets")

    def commit_transaction(self, timeout: float) -> None:
        self._call("commit")

    def abort_transaction(self, timeout: float) -> None:
        self._call("abort")


def _transactions(
    monkeypatch: pytest.MonkeyPatch, fail: set[str]
) -> tuple[BoundedTransactions, list[str]]:
    calls: list[str] = []
    monkeypatch.setattr(
        transactions, "create_producer", lambda *_, **__: RecordingProducer(calls, fail)
    )
    kafka = KafkaSettings(retry_backoff_s=0.01, retry_backoff_max_s=0.01)
    bounded = BoundedTransactions(kafka, "t", call_timeout_s=1.0)
    bounded.start(1.0)
    return bounded, calls


def _commit(bounded: BoundedTransactions) -> bool:
    time.sleep(0.02)  # past the back-off of a failure before
    message = EncodedMessage("out", b"k", b"final", [])
    return bounded.commit([message], [TopicPartition("in", 0, 5)], object())


def test_a_commit_left_unanswered_is_not_sent_again_but_reported_once_settled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bounded, calls = _transactions(monkeypatch, {"commit"})
    assert not _commit(bounded)
    assert calls == ["init", "begin", "produce", "offsets", "commit"]
    calls.clear()
    # A new producer fences the old one (settling that commit) and sends nothing.
    with pytest.raises(TransactionInDoubtError):
        _commit(bounded)
    assert calls == ["init"]
    calls.clear()
    assert _commit(bounded)
    assert calls == ["begin", "produce", "offsets", "commit"]


def test_a_failure_before_the_commit_sends_the_same_content_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bounded, calls = _transactions(monkeypatch, {"offsets"})
    assert not _commit(bounded)
    assert calls == ["init", "begin", "produce", "offsets", "abort"]
    calls.clear()
    assert _commit(bounded)
    assert calls == ["begin", "produce", "offsets", "commit"]
