"""The one consumer loop of vori: every worker is a handler plus its state run by this loop.

Poll, decode through the event models, call the handler, and store the offset only after
the handler succeeded (librdkafka commits stored offsets in the background and on close),
so a crash redelivers instead of losing. Failing handlers are retried with exponential
back-off; a message that cannot be decoded, that the handler declares poison, or that
keeps failing goes to the topic's dead-letter topic with the error and the partition
keeps flowing. Failures that say a dependency is away rather than the message is bad
(`transient`: a database restarting) are retried with the same back-off for as long as
they last and never dead-lettered. SIGTERM and SIGINT stop the loop cleanly between
messages.

Workers that decide themselves when an offset is done (the transcriber holds frames until
their utterance is final) run the loop with ``manual_commit=True``: the loop never stores
offsets, tells the worker about every dead-lettered message (``on_dead_letter``) and about
partitions gained and lost (``on_assign``, ``on_revoke``), and exposes pause/resume and the
committed offsets so the worker can commit a computed offset per partition.

A worker that must not act on half of a backlog (the summarizer's final summary, whose
meeting-end event travels on another topic than the meeting's segments) runs the loop with
``track_ends=True`` and asks ``caught_up(topic)``: every assigned partition of the topic
has been read to its end (librdkafka's partition-EOF events) since its last message.

One module because it is the one consumer loop every worker runs (STYLE.md, 5): the poll,
retry, dead-letter and manual-commit paths of `ConsumerLoop` share one consumer and its
offsets.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_not_exception_type,
    wait_exponential,
)

from vori.events import (
    DeadLetter,
    DecodeError,
    Event,
    RawHeaders,
    dead_letter_topic,
    decode,
)
from vori.kafka import metrics
from vori.kafka.producer import EventProducer
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

# How often the loop refreshes its lag gauges; each refresh reads only local state.
LAG_INTERVAL_S = 5.0


@dataclass(frozen=True)
class MessageContext:
    """Where a message came from, for handlers that need more than the event."""

    topic: str
    partition: int
    offset: int
    key: str | None
    timestamp_ms: int | None


Handler = Callable[[Event, MessageContext], None]
PartitionsHook = Callable[[list[TopicPartition]], None]


class PoisonMessageError(Exception):
    """Raised by a handler for a message that can never succeed: dead-letter it at once."""


class _StopRequestedError(Exception):
    """Raised inside a retry back-off when the loop is asked to stop."""


def consumer_config(kafka: KafkaSettings, group_id: str, **overrides: Any) -> dict[str, Any]:
    """librdkafka settings of every vori consumer; overrides win."""
    config: dict[str, Any] = {
        "bootstrap.servers": kafka.bootstrap_servers,
        "client.id": f"{kafka.client_id}-{group_id}",
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        # Offsets are stored by the loop after the handler succeeded, never on poll.
        "enable.auto.offset.store": False,
        "enable.auto.commit": True,
        "auto.commit.interval.ms": kafka.commit_interval_ms,
        "session.timeout.ms": kafka.session_timeout_ms,
        "partition.assignment.strategy": "cooperative-sticky",
        "logger": logging.getLogger("vori.librdkafka"),
    }
    config.update(overrides)
    return config


class ConsumerLoop:
    """Runs a handler over the messages of some topics until stopped."""

    def __init__(
        self,
        kafka: KafkaSettings,
        group_id: str,
        topics: Sequence[str],
        handler: Handler,
        *,
        on_tick: Callable[[], None] | None = None,
        poll_timeout_s: float = 0.5,
        manual_commit: bool = False,
        on_assign: PartitionsHook | None = None,
        on_revoke: PartitionsHook | None = None,
        on_dead_letter: Callable[[MessageContext], None] | None = None,
        transient: tuple[type[BaseException], ...] = (),
        track_ends: bool = False,
        **consumer_overrides: Any,
    ) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.topics = list(topics)
        self.handler = handler
        self.on_tick = on_tick
        self.poll_timeout_s = poll_timeout_s
        self.manual_commit = manual_commit
        self.on_assign = on_assign
        self.on_revoke = on_revoke
        self.on_dead_letter = on_dead_letter
        self.transient = transient
        if manual_commit:
            consumer_overrides.setdefault("enable.auto.commit", False)
        if track_ends:
            consumer_overrides["enable.partition.eof"] = True
        # (topic, partition) -> read to its end since its last message; None: not tracked.
        self._at_end: dict[tuple[str, int], bool] | None = {} if track_ends else None
        self._assigned_once = False
        self.consumer = Consumer(consumer_config(kafka, group_id, **consumer_overrides))
        self.dead_letters = EventProducer(kafka)
        self._stop = threading.Event()
        self._lag_due = 0.0

    def stop(self) -> None:
        """Ask the loop to finish the message in hand and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Consume until `stop()` or SIGTERM/SIGINT; commits stored offsets on the way out."""
        if install_signal_handlers and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        self.consumer.subscribe(
            self.topics,
            on_assign=self._assigned,
            on_revoke=self._revoked,
            on_lost=self._revoked,
        )
        log.info("consumer group %s reading %s", self.group_id, ", ".join(self.topics))
        try:
            while not self._stop.is_set():
                message = self.consumer.poll(self.poll_timeout_s)
                if message is not None:
                    self._process(message)
                self._measure_lag()
                if self.on_tick is not None:
                    self.on_tick()
        except _StopRequestedError:
            log.info("consumer group %s stopping during a retry", self.group_id)
        finally:
            self.consumer.close()
            self.dead_letters.flush(10)
            log.info("consumer group %s stopped", self.group_id)

    # -- partition control for manual-commit workers -----------------------------------

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned_once = True
        if self._at_end is not None:
            for partition in partitions:
                self._at_end[(partition.topic, partition.partition)] = False
        # A hook may set each partition's start offset, so the loop assigns (incrementally:
        # the group uses the cooperative protocol) with the hook's offsets; otherwise the
        # client assigns by itself after this callback.
        if self.on_assign is not None and partitions:
            self.on_assign(partitions)
            self.consumer.incremental_assign(partitions)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        for partition in partitions:
            if self._at_end is not None:
                self._at_end.pop((partition.topic, partition.partition), None)
            labels = (self.group_id, partition.topic, str(partition.partition))
            with contextlib.suppress(KeyError):  # never measured
                metrics.CONSUMER_LAG.remove(*labels)
        if self.on_revoke is not None and partitions:
            self.on_revoke(partitions)

    def pause(self, partitions: list[TopicPartition]) -> None:
        """Stop fetching these partitions; polling (and group membership) goes on."""
        if partitions:
            self.consumer.pause(partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        if partitions:
            self.consumer.resume(partitions)

    def caught_up(self, topic: str) -> bool:
        """Every assigned partition of `topic` read to its end (``track_ends``); False
        before the group's first assignment, when nothing is known yet."""
        if self._at_end is None:
            raise RuntimeError("caught_up needs a loop made with track_ends=True")
        return self._assigned_once and all(
            at_end for (name, _partition), at_end in self._at_end.items() if name == topic
        )

    def assignment(self) -> list[TopicPartition]:
        return list(self.consumer.assignment())

    def committed(
        self, partitions: list[TopicPartition], timeout_s: float = 30.0, attempts: int = 3
    ) -> list[TopicPartition]:
        """Committed offsets (with their metadata) of these partitions.

        A coordinator that is still loading its offsets, or a machine so loaded that the
        answer takes longer than the timeout, fails the call with a timeout: it is asked
        again (a restarted transcriber exited on one at load average 10-12) before the
        error ends the worker.
        """
        for attempt in range(1, attempts + 1):
            try:
                return list(self.consumer.committed(partitions, timeout=timeout_s))
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                timed_out = isinstance(error, KafkaError) and error.code() in (
                    KafkaError._TIMED_OUT,
                    KafkaError.REQUEST_TIMED_OUT,
                    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                    KafkaError.NOT_COORDINATOR,
                )
                if not timed_out or attempt == attempts:
                    raise
                log.warning("committed offsets not read (%s); asking again", error)
        raise AssertionError("unreachable")

    def high_watermark(self, partition: TopicPartition, timeout_s: float = 10.0) -> int:
        _low, high = self.consumer.get_watermark_offsets(partition, timeout=timeout_s)
        return int(high)

    def group_metadata(self) -> object:
        """What a transactional producer needs to commit this group's offsets."""
        return self.consumer.consumer_group_metadata()

    def _measure_lag(self) -> None:
        """Set the lag gauge of each assigned partition from cached watermarks (no broker
        round trip); a partition not read from yet has no position and is skipped."""
        now = time.monotonic()
        if now < self._lag_due:
            return
        self._lag_due = now + LAG_INTERVAL_S
        assigned = self.consumer.assignment()
        if not assigned:
            return
        for position in self.consumer.position(assigned):
            if position.offset < 0:
                continue
            try:
                watermarks = self.consumer.get_watermark_offsets(position, cached=True)
            except KafkaException:
                continue  # no fetch response for it yet
            if watermarks is None or watermarks[1] < 0:
                continue
            metrics.CONSUMER_LAG.labels(self.group_id, position.topic, str(position.partition)).set(
                max(0, watermarks[1] - position.offset)
            )

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current message", signal.Signals(signum).name)
        self.stop()

    def _process(self, message: Message) -> None:
        error = message.error()
        at_end = error is not None and error.code() == KafkaError._PARTITION_EOF
        place = (message.topic() or "", message.partition() or 0)
        if self._at_end is not None and place in self._at_end:
            self._at_end[place] = at_end
        if error is not None:
            if at_end:
                return
            if error.fatal():
                raise KafkaException(error)
            log.warning("consumer %s: %s", self.group_id, error)
            return
        context = MessageContext(
            topic=message.topic() or "",
            partition=message.partition() or 0,
            offset=message.offset() or 0,
            key=_text(message.key()),
            timestamp_ms=message.timestamp()[1] if message.timestamp()[0] else None,
        )
        started = time.perf_counter()
        try:
            event = decode(context.topic, message.value(), message.headers())
        except DecodeError as exc:
            self._dead_letter(message, context, f"undecodable: {exc}", attempts=0)
            handled = False
        else:
            handled = self._handle_with_retries(message, event, context)
            metrics.HANDLER_SECONDS.labels(self.group_id, context.topic).observe(
                time.perf_counter() - started
            )
        outcome = "handled" if handled else "dead_lettered"
        metrics.MESSAGES.labels(self.group_id, context.topic, outcome).inc()
        if not self.manual_commit:
            self.consumer.store_offsets(message)

    def _handle_with_retries(self, message: Message, event: Event, context: MessageContext) -> bool:
        """True once the handler succeeded; False if the message went to the dead letters."""
        attempts = 0
        failures = 0  # attempts that failed for the message's sake, not a dependency's

        def give_up(state: RetryCallState) -> bool:
            nonlocal failures
            failure = state.outcome.exception() if state.outcome is not None else None
            if self.transient and isinstance(failure, self.transient):
                log.warning(
                    "group %s: %s[%d]@%d waits for a dependency: %r",
                    self.group_id,
                    context.topic,
                    context.partition,
                    context.offset,
                    failure,
                )
                return False
            failures += 1
            return failures >= self.kafka.handler_max_attempts

        retrying = Retrying(
            stop=give_up,
            wait=wait_exponential(
                multiplier=self.kafka.retry_backoff_s, max=self.kafka.retry_backoff_max_s
            ),
            retry=retry_if_not_exception_type((PoisonMessageError, _StopRequestedError)),
            sleep=self._sleep_unless_stopping,
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    self.handler(event, context)
        except PoisonMessageError as exc:
            self._dead_letter(message, context, f"poison: {exc}", attempts)
            return False
        except RetryError as exc:
            failure = exc.last_attempt.exception()
            log.error(
                "group %s gave up on %s[%d]@%d after %d attempts: %r",
                self.group_id,
                context.topic,
                context.partition,
                context.offset,
                attempts,
                failure,
            )
            self._dead_letter(message, context, f"failed: {failure!r}", attempts)
            return False
        return True

    def _sleep_unless_stopping(self, seconds: float) -> None:
        if self._stop.wait(seconds):
            raise _StopRequestedError

    def _dead_letter(
        self, message: Message, context: MessageContext, error: str, attempts: int
    ) -> None:
        """Publish the message to its dead-letter topic and wait until Kafka has it."""
        letter = DeadLetter(
            source_topic=context.topic,
            partition=context.partition,
            offset=context.offset,
            message_key=context.key,
            value_b64=base64.b64encode(message.value() or b"").decode(),
            headers={
                name: base64.b64encode(_raw(value)).decode()
                for name, value in _header_items(message.headers())
            },
            error=error[:4000],
            attempts=attempts,
            consumer_group=self.group_id,
        )
        self.dead_letters.publish(letter, topic=dead_letter_topic(context.topic))
        if self.dead_letters.flush(30) != 0:
            # Not durable in the dead-letter topic: do not move past it.
            raise KafkaException(f"dead letter for {context.topic}@{context.offset} not delivered")
        log.warning(
            "dead-lettered %s[%d]@%d: %s", context.topic, context.partition, context.offset, error
        )
        if self.on_dead_letter is not None:
            self.on_dead_letter(context)


def _text(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw


def _header_items(headers: RawHeaders) -> list[tuple[str, str | bytes | None]]:
    return list(headers.items()) if isinstance(headers, dict) else list(headers or [])


def _raw(value: str | bytes | None) -> bytes:
    if value is None:
        return b""
    return value.encode() if isinstance(value, str) else value
