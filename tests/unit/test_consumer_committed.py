"""The consumer loop asks again for committed offsets when the coordinator times out."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from vori.kafka.consumer import ConsumerLoop
from vori.settings import KafkaSettings


class _Coordinator:
    """A consumer whose committed() fails with the given errors, then answers."""

    def __init__(self, errors: list[int]) -> None:
        self.errors = list(errors)
        self.calls = 0

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[Any]:
        self.calls += 1
        if self.errors:
            raise KafkaException(KafkaError(self.errors.pop(0)))
        return [TopicPartition(tp.topic, tp.partition, 42) for tp in partitions]

    def close(self) -> None:
        pass


def _loop(coordinator: _Coordinator) -> ConsumerLoop:
    loop = ConsumerLoop(KafkaSettings(bootstrap_servers="127.0.0.1:1"), "g", ["t"], lambda *_: None)
    loop.consumer.close()
    loop.consumer = coordinator  # type: ignore[assignment]
    return loop


def test_a_timed_out_read_of_committed_offsets_is_asked_again() -> None:
    coordinator = _Coordinator([KafkaError._TIMED_OUT, KafkaError.COORDINATOR_LOAD_IN_PROGRESS])
    got = _loop(coordinator).committed([TopicPartition("t", 0)], timeout_s=0.01)
    assert [tp.offset for tp in got] == [42]
    assert coordinator.calls == 3


def test_other_errors_and_a_lasting_timeout_still_end_the_call() -> None:
    with pytest.raises(KafkaException):
        _loop(_Coordinator([KafkaError._TIMED_OUT] * 3)).committed(
            [TopicPartition("t", 0)], timeout_s=0.01
        )
    refused = _Coordinator([KafkaError.GROUP_AUTHORIZATION_FAILED])
    with pytest.raises(KafkaException):
        _loop(refused).committed([TopicPartition("t", 0)], timeout_s=0.01)
    assert refused.calls == 1
