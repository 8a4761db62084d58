"""The final committer: finals and the offsets they make safe, in one Kafka transaction.

Owns the outbox of decoded finals waiting to be published (and of `stream_transcribed`
events: a stream's end read and every final before it decoded) and the transactional
producer (vori/kafka/transactions.py). A commit asks the partition bookkeeping
(transcriber/partitions.py) for each partition's offset and checkpoint metadata, then
publishes the finals of the partitions that are not held together with those offsets:
a crash publishes both or neither, so after a restart the same finals appear once. A
held partition's finals stay in the outbox with its offset; a partition that leaves this
process takes its finals with it (its new owner decodes them again).
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import TopicPartition

from transcriber.metrics import TranscriberMetrics
from transcriber.offsets import publishable
from transcriber.partitions import Partitions, Planned
from transcriber.segments import stamped, stream_transcribed
from vori.events import AUDIO_FRAMES, MeetingEvent, TranscriptSegment, encode
from vori.kafka.transactions import (
    BoundedTransactions,
    TransactionAbortedError,
    TransactionInDoubtError,
)
from vori.settings import Settings

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """How a commit went."""

    NOTHING = "nothing"  # nothing to publish and no offset moved
    COMMITTED = "committed"
    FAILED = "failed"  # nothing committed; the next try carries the same finals and more
    # The transaction was aborted, or one before may have committed unanswered: the state
    # must be re-read from Kafka.
    ABORTED = "aborted"


class FinalCommitter:
    """The outbox of finals and the transactions that publish them with their offsets."""

    def __init__(self, settings: Settings, metrics: TranscriberMetrics) -> None:
        self.metrics = metrics
        self.outbox: list[tuple[int, TranscriptSegment]] = []  # (partition, final)
        # (partition, stream_transcribed): they go out with the offset past the stream's end.
        self.ends: list[tuple[int, MeetingEvent]] = []
        self.last_commit = time.monotonic()
        self.transactions = BoundedTransactions(
            settings.kafka,
            f"{settings.transcriber.group_id}-{uuid.uuid4().hex}",
            call_timeout_s=settings.transcriber.transaction_timeout_s,
            **{"message.timeout.ms": 60000, "linger.ms": 0},
        )
        self.transactions.start(60)

    def add(self, partition: int, segment: TranscriptSegment) -> None:
        self.outbox.append((partition, segment))

    def ready(self, held: set[int]) -> bool:
        """Whether a final (or a stream's end) waits that a commit would publish now."""
        waiting = [partition for partition, _ in self.outbox] + [p for p, _ in self.ends]
        return any(partition not in held for partition in waiting)

    def forget(self, partition: int) -> None:
        """Finals of a partition this process no longer owns are its new owner's to publish."""
        self.outbox = [(p, segment) for p, segment in self.outbox if p != partition]
        self.ends = [(p, event) for p, event in self.ends if p != partition]

    def clear(self) -> None:
        self.outbox = []
        self.ends = []

    def commit(self, partitions: Partitions, group_metadata: Callable[[], Any]) -> Outcome:
        """One transaction: the finals decoded so far and the offsets they make safe."""
        for partition, stream in partitions.newly_transcribed():
            self.ends.append((partition, stream_transcribed(stream.info)))
        offsets: list[TopicPartition] = []
        for planned in partitions.plan():
            self._hold_changed(planned, partitions)
            if planned.due:
                plan = planned.plan
                offsets.append(
                    TopicPartition(
                        AUDIO_FRAMES, planned.partition, plan.offset, metadata=plan.metadata
                    )
                )
        self.metrics.metadata_held_partitions.set(len(partitions.held))
        self.metrics.metadata_fill.set(partitions.fill())
        ready, held = publishable(self.outbox, partitions.held)
        ends, ends_held = publishable(self.ends, partitions.held)
        if not offsets and not ready and not ends:
            return Outcome.NOTHING
        segments = stamped(ready, datetime.now(UTC))
        messages = [encode(segment) for segment in segments] + [encode(end) for end in ends]
        try:
            if not self.transactions.commit(messages, offsets, group_metadata()):
                return Outcome.FAILED
        except (TransactionAbortedError, TransactionInDoubtError) as exc:
            log.warning(
                "transaction aborted or in doubt (%s): re-reading the committed offsets", exc
            )
            return Outcome.ABORTED
        for tp in offsets:
            partitions.committed(tp.partition, tp.offset, tp.metadata or "")
        committed_at = datetime.now(UTC)
        for segment in segments:
            self.metrics.segments.labels("final").inc()
            end = segment.timing.audio_end_capture_time
            if end is not None:
                self.metrics.final_latency.observe((committed_at - end).total_seconds())
        self.metrics.commits.inc()
        self.outbox = held
        self.ends = ends_held
        self.last_commit = time.monotonic()
        return Outcome.COMMITTED

    def _hold_changed(self, planned: Planned, partitions: Partitions) -> None:
        plan = planned.plan
        if planned.now_held:
            self.metrics.metadata_held.inc()
            log.error(
                "%d stream checkpoints of %s[%d] do not fit its commit metadata (%d B) even "
                "without context: the partition is held (its finals wait with its offset) "
                "until enough of its streams end; new streams are refused meanwhile",
                plan.streams,
                AUDIO_FRAMES,
                planned.partition,
                partitions.metadata_max_bytes,
            )
        elif planned.released:
            log.warning(
                "%s[%d] fits its commit metadata again (%d streams): its finals go out",
                AUDIO_FRAMES,
                planned.partition,
                plan.streams,
            )
