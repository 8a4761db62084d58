"""The gateway's three Kafka consumers, each in a background thread of the gateway process.

- persistence (one consumer group shared by every gateway process, from the earliest
  offset): stores final segments, the latest summary, task cards and stream starts,
  applies the batch transcriber's reports to uploaded recordings (and ends a meeting
  whose upload asked for it once it is transcribed, as a transcript import does), and
  numbers every durable live event in the meeting's event log, so nothing is lost while
  no gateway runs and `since` can replay it;
- fan-out (a group of its own per process, from the latest offset; gateway/fanout.py):
  hands every event to this process's clients within milliseconds, numbering durable
  ones in the same log first when a client here follows their meeting (whichever
  consumer gets there first assigns the seq; the other reads it; why the fan-out does
  not wait for the persistence consumer's numbering instead: the persistence group lags
  by its backlog, see gateway/event_log.py);
- webhooks (one group shared by every gateway process): gateway/webhook_delivery.py.

Both the persistence and the fan-out consumer record the notifications that card changes
and final segments make (gateway/notification_store.py; the ids make the second a no-op):
the first so that none is lost while no gateway runs, the second so that every process
pushes them to its own clients of the person (when one of them is connected to it). A
fourth thread looks for cards due tomorrow (gateway/due_check.py).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaException, TopicPartition
from sqlalchemy.orm import Session, sessionmaker

from gateway import event_log, metrics, notification_store, retranscription_store, store
from gateway.due_check import DueCheck
from gateway.fanout import (
    LiveHandler,
    Notify,
    PersistProgress,
    Publish,
    Watching,
    delivery,
    log_all,
    notification_deliveries,
)
from gateway.live_events import LiveEvent, live_events_for
from gateway.meeting_clock import StreamOffsets
from gateway.webhook_delivery import WEBHOOK_TOPICS, WebhookHandler
from vori.db.engine import DATABASE_AWAY
from vori.events import (
    KANBAN_CHANGES,
    MEETING_EVENTS,
    MEETING_SUMMARIES,
    TRANSCRIBER_LOAD,
    TRANSCRIPT_SEGMENTS,
    Event,
    KanbanChange,
    MeetingEvent,
    MeetingSummary,
    TranscriptSegment,
    utc_now,
)
from vori.kafka.consumer import ConsumerLoop, MessageContext
from vori.kafka.producer import EventProducer
from vori.kafka.topics import KafkaUnavailableError
from vori.settings import Settings

log = logging.getLogger(__name__)

TOPICS = (TRANSCRIPT_SEGMENTS, MEETING_EVENTS, MEETING_SUMMARIES, KANBAN_CHANGES)


class PersistHandler:
    """Stores what the gateway serves later, then numbers the durable live events."""

    def __init__(
        self, sessions: sessionmaker[Session], publish: Publish, producer: EventProducer
    ) -> None:
        self.sessions = sessions
        self.publish = publish
        self.producer = producer
        self.offsets = StreamOffsets(sessions)

    def __call__(self, event: Event, context: MessageContext) -> None:
        metrics.EVENTS_CONSUMED.labels("persist", context.topic).inc()
        if isinstance(event, TranscriptSegment) and not event.final:
            return  # partials are live only
        received, at = time.monotonic(), utc_now()
        durable = [live for live in live_events_for(event, self.offsets.of(event)) if live.durable]
        with self.sessions.begin() as session:
            logged = self._store(session, event, durable, at)
        for entry in logged:
            if entry.inserted:  # this process numbered it: its own clients hear it now
                self.publish(delivery(entry, received))

    def _store(
        self, session: Session, event: Event, durable: list[LiveEvent], at: datetime
    ) -> list[event_log.LoggedEvent]:
        if isinstance(event, KanbanChange):
            store.store_task_card(session, event)
            notification_store.record_event(session, event)
            return log_all(session, durable, at)
        meeting_id = getattr(event, "meeting_id", None)
        if meeting_id is None or not store.meeting_exists(session, meeting_id):
            # Nobody can ever see an unknown meeting's events (ids are random, not guessable).
            log.debug("ignoring %s of unknown meeting %s", event.topic, meeting_id)
            return []
        if isinstance(event, TranscriptSegment):
            if retranscription_store.of_failed_job(session, event):
                return []
            # An empty final withdraws the partials of an utterance that proved not to be
            # speech: live clients get it (below), the stored transcript has nothing to keep.
            if event.text.strip() and store.store_final_segment(session, event):
                metrics.SEGMENTS_STORED.inc()
            notification_store.record_event(session, event)
        elif isinstance(event, MeetingSummary):
            store.store_summary(session, event)
        elif isinstance(event, MeetingEvent):
            if event.type == "ended":
                store.record_meeting_ended(session, event.meeting_id, event.at)
            elif event.type in store.RECORDING_REPORTS:
                if not retranscription_store.apply_report(session, event):
                    self._recording_report(session, event)
            elif event.type == "transcript_replaced":
                dropped = retranscription_store.replace_transcript(session, event)
                log.info(
                    "meeting %s: transcript replaced by %s (%d old segments dropped)",
                    event.meeting_id,
                    event.upload_id,
                    dropped,
                )
            else:
                store.record_stream(session, event)
        return log_all(session, durable, at)

    def _recording_report(self, session: Session, event: MeetingEvent) -> None:
        """Apply the report; an upload that asked to end the meeting ends it once transcribed
        (unless audio streams in), with `ended` confirmed by Kafka before the commit, so a
        crash in between ends it again on the replay rather than never."""
        if not store.apply_recording_report(session, event):
            return
        if store.meeting_streaming(session, event.meeting_id):
            log.info(
                "meeting %s: upload transcribed while audio streams; not ended", event.meeting_id
            )
            return
        ended = store.end_meeting(session, event.meeting_id)
        if ended is None:
            return
        self.producer.publish(ended)
        if self.producer.flush(10.0) > 0:
            raise KafkaUnavailableError(f"meeting {event.meeting_id}: `ended` not confirmed")
        log.info(
            "meeting %s: ended after upload %s was transcribed", event.meeting_id, event.upload_id
        )


class GatewayConsumers:
    """Runs the persistence and fan-out consumers of one gateway process in threads."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        publish: Publish,
        notify: Notify,
        producer: EventProducer,
        watching: Watching,
    ) -> None:
        self.instance_id = uuid.uuid4().hex[:12]
        self._stop = threading.Event()
        self.live_ready = threading.Event()
        self.failures: list[str] = []
        gateway = settings.gateway
        self.persist = ConsumerLoop(
            settings.kafka,
            gateway.persist_group,
            TOPICS,
            PersistHandler(sessions, publish, producer),
            # PostgreSQL away: the loop tries the message again while it lasts. A retried
            # handler repeats only keyed work (event log, notifications), and each client
            # takes a seq once (gateway/events_ws.py), so nothing is shown twice.
            # Kafka not confirming an `ended` this handler publishes: the same.
            transient=(*DATABASE_AWAY, KafkaUnavailableError),
        )
        # A group of this process's own that starts at the end: live fan-out needs no
        # history (the persistence group covers it) and commits nothing.
        live_overrides: dict[str, Any] = {
            "auto.offset.reset": "latest",
            "enable.auto.commit": False,
        }
        # It does its database work only for whom waits on this process, and learns from
        # the persistence group's offsets when put-off work is done (gateway/fanout.py).
        progress = PersistProgress(settings.kafka, gateway.persist_group)
        self.live_handler = LiveHandler(sessions, publish, notify, watching, progress)
        self.live = ConsumerLoop(
            settings.kafka,
            f"{gateway.live_group_prefix}-{self.instance_id}",
            # Load reports are live only: which meetings lag now (docs/overload.md).
            (*TOPICS, TRANSCRIBER_LOAD),
            self.live_handler,
            on_tick=self._live_tick,
            poll_timeout_s=0.1,
            transient=DATABASE_AWAY,
            **live_overrides,
        )
        self.webhook_handler = WebhookHandler(gateway, sessions, self._stop)
        self.webhooks = ConsumerLoop(
            settings.kafka, gateway.webhook_group, WEBHOOK_TOPICS, self.webhook_handler
        )
        self.due_check = DueCheck(
            sessions, gateway.due_check_interval_s, notification_deliveries, notify, self._stop
        )
        self._threads = [
            threading.Thread(target=self._run, args=(loop,), name=name, daemon=True)
            for name, loop in (
                ("gateway-persist", self.persist),
                ("gateway-live", self.live),
                ("gateway-webhooks", self.webhooks),
            )
        ]
        self._threads.append(
            threading.Thread(target=self.due_check.run, name="gateway-due-check", daemon=True)
        )

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self.persist.stop()
        self.live.stop()
        self.webhooks.stop()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.webhook_handler.close()

    @property
    def running(self) -> bool:
        return not self.failures and all(thread.is_alive() for thread in self._threads)

    def _run(self, loop: ConsumerLoop) -> None:
        try:
            loop.run(install_signal_handlers=False)
        except Exception as exc:
            self.failures.append(f"{loop.group_id}: {exc!r}")
            log.exception("gateway consumer %s failed", loop.group_id)
            raise

    def _live_tick(self) -> None:
        self._check_live_ready()
        self.live_handler.tick()

    def _check_live_ready(self) -> None:
        """Once partitions are assigned, start each at its current end: then we are live.

        librdkafka resolves `latest` lazily and `position()` stays unknown until a message
        arrives, so the consumer seeks to the high watermarks itself: every event produced
        after readiness is delivered (earlier ones reach clients through the log).
        """
        if self.live_ready.is_set():
            return
        consumer = self.live.consumer
        assignment = consumer.assignment()
        if not assignment:
            return
        try:
            for partition in assignment:
                _low, high = consumer.get_watermark_offsets(partition, timeout=5, cached=False)
                consumer.seek(TopicPartition(partition.topic, partition.partition, high))
        except KafkaException as exc:
            log.debug("live consumer not ready yet: %s", exc)
            return
        self.live_ready.set()
        log.info("live fan-out consumer %s ready", self.live.group_id)
