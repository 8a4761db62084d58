"""Kafka transactions whose every call ends in bounded time, even while the broker is away.

librdkafka's transactional calls do not keep their timeouts when a coordinator is
unreachable: `send_offsets_to_transaction` waits for the group coordinator without a
deadline (confluentinc/librdkafka#5456, #5511). Measured here with a single broker
stopped: a call given 5 s returned only when the broker was back (34 s), one given 3 s
after 60 s (socket.timeout.ms), and in the whole stack one had not returned 3 minutes
after the broker was back, so the transcriber published no final any more.
So each transaction runs on a helper thread and the caller waits at most
`call_timeout_s`. A call still running then is abandoned with its producer, and the
next attempt starts a new producer with the same `transactional.id`: its
`init_transactions` fences the old one and aborts whatever that one left open, so
read_committed consumers are not held back until the transaction timeout. One it had
already asked to commit is committed instead: after a commit call that timed out or never
returned, nobody knows which, so the content is not sent again (it might appear twice);
the caller is told once the new producer is in (TransactionInDoubtError) and re-reads its
committed offsets, which then say.

The group coordinator writes one TxnOffsetCommit as one record batch to
`__consumer_offsets`, which the broker's `message.max.bytes` (1 MiB by default) bounds:
measured on the local broker, 30 partitions with 32,766 B of metadata each commit in one
call and 32 are refused. So offsets go in calls of at most `OFFSETS_CALL_BYTES` of
metadata; calls within one transaction still commit or abort together (measured: 40 such
partitions in two calls, committed and read back after a broker restart).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from vori.events import EncodedMessage
from vori.kafka.producer import create_producer
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
# How long past its own timeout a call may run before it counts as hung.
STUCK_MARGIN_S = 5.0
# Metadata per send_offsets_to_transaction call: half of the default message.max.bytes.
OFFSETS_CALL_BYTES = 512 * 1024


class TransactionAbortedError(Exception):
    """The broker refused the transaction (a stale group generation, say) and it was aborted:
    nothing of it is visible, and the offsets it carried may no longer be this member's."""


class TransactionInDoubtError(Exception):
    """A commit was sent but its answer never came: it may have committed. Sending the same
    content again could publish it twice, so the caller re-reads its committed offsets
    instead; raised once a new producer has fenced the old one, which settles the fate."""


class _StuckError(Exception):
    """A transactional call outlived its deadline."""


class BoundedTransactions:
    """Publishes messages and consumer offsets atomically; never blocks past a deadline.

    `commit` answers True once both are in Kafka, False when Kafka could not be reached
    (nothing became visible; call again later with the same content), and raises
    TransactionAbortedError when the broker aborted it, TransactionInDoubtError when an
    earlier commit may have gone through after all, KafkaException when the producer hit a
    fatal error.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        transactional_id: str,
        *,
        call_timeout_s: float,
        **overrides: Any,
    ) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.call_timeout_s = call_timeout_s
        self.overrides = overrides
        self.abandoned = 0  # producers given up with a call still running
        self._producer: Producer | None = None
        self._abandoned_flag = threading.Event()
        self._ready = False
        self._failures = 0
        self._retry_at = 0.0
        self._in_doubt = False  # a commit was sent and not answered: settled by the next init

    def start(self, timeout_s: float = 60.0) -> None:
        """Register the transactional id (at start-up Kafka is expected to answer)."""
        self._ensure_producer()
        try:
            self._call(lambda producer: producer.init_transactions(timeout_s), timeout_s)
        except _StuckError:
            raise TimeoutError(f"init_transactions of {self.transactional_id} hung") from None
        self._ready = True

    def commit(
        self,
        messages: Sequence[EncodedMessage],
        offsets: list[TopicPartition],
        group_metadata: object,
    ) -> bool:
        """One transaction: `messages` and the group's `offsets`, all or nothing."""
        if time.monotonic() < self._retry_at:
            return False
        committing = threading.Event()
        try:
            if not self._ready:
                self._ensure_producer()
                # Fences the producer before (same transactional.id): whatever it left open
                # is aborted, or committed if its commit had reached the coordinator.
                self._call(lambda p: p.init_transactions(self.call_timeout_s), self.call_timeout_s)
                self._ready = True
            if self._in_doubt:
                self._in_doubt = False
                raise TransactionInDoubtError("a commit sent before was never answered")
            abandoned = self._abandoned_flag
            self._call(
                lambda p: self._transaction(
                    p, abandoned, committing, messages, offsets, group_metadata
                )
            )
        except _StuckError:
            self._in_doubt = self._in_doubt or committing.is_set()
            self._abandon()
            return self._failed("a transactional call did not return")
        except KafkaException as exc:
            error: KafkaError = exc.args[0]
            if error.fatal():
                raise
            if not self._ready:
                return self._failed(f"init_transactions: {error}")
            if committing.is_set() and not error.txn_requires_abort():
                # A commit that timed out may still complete: a new producer settles it.
                self._in_doubt = True
                self._abandon()
                return self._failed(f"commit_transaction: {error}")
            self._abort()
            if error.txn_requires_abort():
                self._failures = 0
                raise TransactionAbortedError(str(error)) from exc
            return self._failed(str(error))
        self._failures = 0
        return True

    # -- inside the helper thread --------------------------------------------------------

    def _transaction(
        self,
        producer: Producer,
        abandoned: threading.Event,
        committing: threading.Event,
        messages: Sequence[EncodedMessage],
        offsets: list[TopicPartition],
        group_metadata: object,
    ) -> None:
        deadline = time.monotonic() + self.call_timeout_s
        producer.begin_transaction()
        for message in messages:
            producer.produce(
                message.topic, key=message.key, value=message.value, headers=list(message.headers)
            )
        for chunk in offset_calls(offsets, OFFSETS_CALL_BYTES):
            remaining = max(0.1, deadline - time.monotonic())
            producer.send_offsets_to_transaction(chunk, group_metadata, remaining)
        if abandoned.is_set():  # given up while waiting: its content is being sent again
            return
        committing.set()
        producer.commit_transaction(max(0.1, deadline - time.monotonic()))

    # -- bookkeeping ---------------------------------------------------------------------

    def _ensure_producer(self) -> None:
        if self._producer is None:
            self._producer = create_producer(
                self.kafka, **{"transactional.id": self.transactional_id, **self.overrides}
            )
            self._abandoned_flag = threading.Event()

    def _call(self, work: Callable[[Producer], T], timeout_s: float | None = None) -> T:
        """Run one call on a daemon thread (a hung one must not keep the process from
        exiting) and wait for it; _StuckError once librdkafka overran its own timeout."""
        assert self._producer is not None
        producer = self._producer
        outcome: list[T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append(work(producer))
            except BaseException as exc:  # handed to the caller's thread below
                failure.append(exc)
            finally:
                done.set()

        threading.Thread(target=run, name="kafka-transaction", daemon=True).start()
        # librdkafka's own timeouts first; the margin covers its internal back-offs.
        if not done.wait((timeout_s or self.call_timeout_s) + STUCK_MARGIN_S):
            raise _StuckError
        if failure:
            raise failure[0]
        return outcome[0]

    def _abort(self) -> None:
        """Abort the open transaction; a producer that cannot is replaced (which aborts it)."""
        try:
            self._call(lambda p: p.abort_transaction(self.call_timeout_s))
        except _StuckError:
            self._abandon()
        except KafkaException as exc:
            if exc.args[0].fatal():
                raise
            log.warning("abort of %s failed (%s): a new producer", self.transactional_id, exc)
            self._abandon()

    def _abandon(self) -> None:
        """Leave the producer (and a call that may never return) behind; start afresh."""
        self.abandoned += 1
        self._abandoned_flag.set()
        self._producer = None
        self._ready = False

    def _failed(self, why: str) -> bool:
        self._failures += 1
        backoff = min(
            self.kafka.retry_backoff_s * 2 ** (self._failures - 1), self.kafka.retry_backoff_max_s
        )
        self._retry_at = time.monotonic() + backoff
        log.warning(
            "transaction %s not committed (%s): retrying in %.1f s",
            self.transactional_id,
            why,
            backoff,
        )
        return False


def offset_calls(offsets: list[TopicPartition], max_bytes: int) -> list[list[TopicPartition]]:
    """Offsets in order, cut into calls whose metadata adds up to at most `max_bytes`
    (a partition whose metadata alone is larger goes in a call of its own)."""
    calls: list[list[TopicPartition]] = []
    size = 0
    for tp in offsets:
        length = len((tp.metadata or "").encode())
        if not calls or size + length > max_bytes:
            calls.append([])
            size = 0
        calls[-1].append(tp)
        size += length
    return calls
