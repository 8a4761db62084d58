"""The gateway's live fan-out consumer: hands Kafka events to this process's clients.

Live-only events (partials) go to the hub at once. A durable event is numbered in its
meeting's event log first (gateway/event_log.py), and a card change or a final records the
notifications it makes (gateway/notification_store.py); the persistence consumer does both
for every event too, so the fan-out does them only for whom waits on this process: a client
of the meeting, or the notification channel of a person the event may concern. Issue 16:
when the fan-out did them for every event, 3,000 finals of a meeting nobody here watched
(an uploaded recording is transcribed in bursts) held up every other meeting's finals by
~33 s, two transactions each, contending with the persistence consumer for the meeting's
row lock (docs/protocol.md, "Who numbers durable events").

Skipping opens a race, closed here: a client subscribes just after its meeting's event was
skipped and reads the log before anyone numbered it; the persistence consumer that numbers
it later may run in another process, which publishes only to its own clients. So skipped
work is held (gateway/fanout_skips.py) until either someone here waits for it (then it is
done as before, and a held event is numbered before any later one of its meeting, so seqs
keep the order events were consumed in), or the persistence group's committed offset has
passed the event: then its log rows and notifications are committed, and a client that
subscribes afterwards reads them in its replay, which follows its subscription.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Protocol

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from sqlalchemy.orm import Session, sessionmaker

from gateway import event_log, metrics, notification_store
from gateway.fanout_skips import Held, Partition, Skipped, may_concern, may_notify
from gateway.hub import Delivery
from gateway.live_events import LiveEvent, live_events_for
from gateway.meeting_clock import StreamOffsets
from gateway.notifications import Person
from vori.db.engine import DATABASE_AWAY
from vori.events import Event, utc_now
from vori.kafka.consumer import MessageContext
from vori.kafka.topics import admin_client
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

Publish = Callable[[Delivery], None]
# Hands an event to one person's own channels (notifications): user id, delivery.
Notify = Callable[[str, Delivery], None]
NOTIFICATION = "notification"
# Held events past this many are done as before, the largest meeting's first: memory stays
# bounded (a held final is a few kB) when the persistence group stalls for long.
HOLD_LIMIT = 20_000
# How often to ask for the persistence group's committed offsets while events are held, and
# to try held work again after PostgreSQL failed it.
PROGRESS_INTERVAL_S = 1.0
RETRY_INTERVAL_S = 1.0


def recipients(event: LiveEvent) -> list[str]:
    """Meetings whose clients see an event: its own meeting only. A card change reaches the
    meeting the card came from; a card of no meeting belongs to the board's owner and
    members, whom a meeting on that board does not make of everyone in it."""
    return [event.meeting_id] if event.meeting_id else []


def log_all(session: Session, events: list[LiveEvent], at: datetime) -> list[event_log.LoggedEvent]:
    logged = []
    for event in events:
        for meeting_id in recipients(event):
            entry = event_log.append(session, meeting_id, event, at)
            if entry is not None:
                logged.append(entry)
                if entry.inserted:
                    metrics.EVENT_LOG_APPENDS.inc()
    return logged


def delivery(entry: event_log.LoggedEvent, received: float) -> Delivery:
    return Delivery(entry.meeting_id, entry.type, entry.at, entry.payload, entry.seq, received)


def notification_deliveries(
    session: Session, stored: list[notification_store.Stored]
) -> list[tuple[str, Delivery]]:
    """Each notification for its person's channels, with their unread count at this point."""
    at = utc_now().isoformat()
    deliveries = []
    for user_id, note in stored:
        payload = {
            "notification": note.model_dump(mode="json"),
            "unread": notification_store.unread_count(session, user_id),
        }
        deliveries.append((user_id, Delivery(note.meeting_id or "", NOTIFICATION, at, payload)))
    return deliveries


class Watching(Protocol):
    """Who waits on this process (gateway/hub.py's Hub); read from the consumer's thread."""

    channel_people: tuple[Person | None, ...]
    channels_version: int

    def watched(self, meeting_id: str) -> bool: ...


class PersistProgress:
    """The persistence group's committed offsets, asked for without blocking the fan-out."""

    def __init__(self, kafka: KafkaSettings, group_id: str) -> None:
        self.group_id = group_id
        self._admin = admin_client(kafka)
        self._pending: Future[ConsumerGroupTopicPartitions] | None = None

    def ask(self, partitions: set[Partition]) -> None:
        """Ask for these partitions' committed offsets, unless a question is open."""
        if self._pending is None and partitions:
            request = ConsumerGroupTopicPartitions(
                self.group_id, [TopicPartition(topic, part) for topic, part in partitions]
            )
            futures = self._admin.list_consumer_group_offsets([request], request_timeout=10)
            self._pending = futures[self.group_id]

    def answer(self) -> dict[Partition, int] | None:
        """The offsets asked for, once they are known; None while the question is open."""
        if self._pending is None or not self._pending.done():
            return None
        future, self._pending = self._pending, None
        try:
            result = future.result()
        except KafkaException as exc:
            log.warning("persistence group offsets not read: %s", exc)
            return {}
        return {
            (tp.topic, tp.partition): tp.offset
            for tp in result.topic_partitions or []
            if tp.error is None and tp.offset >= 0
        }


class LiveHandler:
    """Hands every event to this process's clients: partials at once, durable ones numbered,
    and the notifications it makes to the channels of the people concerned; the work nobody
    here waits for is held, then done or dropped (see the module's docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        publish: Publish,
        notify: Notify,
        watching: Watching,
        progress: PersistProgress | None = None,
        hold_limit: int = HOLD_LIMIT,
    ) -> None:
        self.sessions = sessions
        self.publish = publish
        self.notify = notify
        self.watching = watching
        self.progress = progress
        self.hold_limit = hold_limit
        self.skipped = Skipped()
        self.offsets = StreamOffsets(sessions)
        self._channels_seen = watching.channels_version
        self._progress_due = 0.0
        self._retry_at = 0.0

    def __call__(self, event: Event, context: MessageContext) -> None:
        metrics.EVENTS_CONSUMED.labels("live", context.topic).inc()
        received, at = time.monotonic(), utc_now()
        events = live_events_for(event, self._offset(event))
        for live in events:
            if not live.durable and live.meeting_id is not None:
                self.publish(
                    Delivery(
                        live.meeting_id, live.type, at.isoformat(), live.payload, None, received
                    )
                )
        durable = [live for live in events if live.durable and recipients(live)]
        meeting_id = durable[0].meeting_id if durable else None
        if durable and meeting_id is not None and self.watching.watched(meeting_id):
            # Its held events first: numbered in the order they were consumed.
            self._release_meeting(meeting_id)
            with self.sessions.begin() as session:
                logged = log_all(session, durable, at)
            for entry in logged:
                self.publish(delivery(entry, received))
            durable = []
        notify = may_notify(event)
        if notify and may_concern(event, self.watching.channel_people):
            self._notify(event)
            notify = False
        if durable or notify:
            partition = (context.topic, context.partition)
            held = Held(event, partition, context.offset, received, at, durable, notify)
            self.skipped.hold(meeting_id, held)
            metrics.FANOUT_HELD.set(len(self.skipped))

    def _offset(self, event: Event) -> float | None:
        """A segment's place on the meeting clock; with PostgreSQL away, a partial still goes
        out at once, on its stream's clock (a final waits for the database anyway)."""
        try:
            return self.offsets.of(event)
        except DATABASE_AWAY as exc:
            log.warning("stream offset not read: %r", exc)
            return None

    def tick(self) -> None:
        """Between polls: do the held work someone now waits for, drop what the persistence
        group has done. PostgreSQL away: try again a second later."""
        if not self.skipped or time.monotonic() < self._retry_at:
            return
        try:
            self._tick()
        except DATABASE_AWAY as exc:
            log.warning("held fan-out work waits for the database: %r", exc)
            self._retry_at = time.monotonic() + RETRY_INTERVAL_S
        metrics.FANOUT_HELD.set(len(self.skipped))

    def _tick(self) -> None:
        committed = self.progress.answer() if self.progress is not None else None
        for meeting_id in self.skipped.meetings():
            if meeting_id is not None and self.watching.watched(meeting_id):
                self._release_meeting(meeting_id)
        if self.watching.channels_version != self._channels_seen:
            self._channels_seen = self.watching.channels_version
            self._release_concerned()
        while len(self.skipped) > self.hold_limit:
            self._release_meeting(self.skipped.largest(), everything=True)
        if committed:
            # Read before deciding who waits (the calls below): see Skipped.persisted.
            people = self.watching.channel_people
            self.skipped.persisted(
                committed,
                [m for m in self.skipped.meetings() if m is not None and self.watching.watched(m)],
                [held for held in self.skipped.unnotified() if may_concern(held.event, people)],
            )
        if self.progress is not None and self.skipped and time.monotonic() >= self._progress_due:
            self._progress_due = time.monotonic() + PROGRESS_INTERVAL_S
            self.progress.ask(self.skipped.partitions())

    def _release_meeting(self, meeting_id: str | None, *, everything: bool = False) -> None:
        """Number a meeting's held events (and, with `everything`, record their
        notifications) in one transaction, then publish them in order."""
        held = self.skipped.of(meeting_id)
        if not any(item.durable or (everything and item.notify) for item in held):
            return
        numbered = [(item, live) for item in held for live in item.durable]
        with self.sessions.begin() as session:
            logged: list[event_log.LoggedEvent] = []
            if numbered and meeting_id is not None:
                logged = event_log.append_many(
                    session, meeting_id, [(live, item.at) for item, live in numbered]
                )
            notes = [
                (item, notification_store.record_event(session, item.event))
                for item in held
                if everything and item.notify
            ]
            deliveries = [
                (item, notification_deliveries(session, stored)) for item, stored in notes
            ]
        for (item, _live), entry in zip(numbered, logged, strict=False):
            if entry.inserted:
                metrics.EVENT_LOG_APPENDS.inc()
            self.publish(delivery(entry, item.received))
        for item in held:
            item.durable = []
        for item, for_people in deliveries:
            for user_id, note in for_people:
                self.notify(user_id, note)
            item.notify = False
        self.skipped.prune()

    def _release_concerned(self) -> None:
        """Record the held notifications that may concern a channel opened since."""
        people = self.watching.channel_people
        for held in self.skipped.unnotified():
            if may_concern(held.event, people):
                self._notify(held.event)
                held.notify = False
        self.skipped.prune()

    def _notify(self, event: Event) -> None:
        with self.sessions.begin() as session:
            deliveries = notification_deliveries(
                session, notification_store.record_event(session, event)
            )
        for user_id, note in deliveries:
            self.notify(user_id, note)
