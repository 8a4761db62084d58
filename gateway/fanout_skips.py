"""The fan-out consumer's put-off work, the pure core: which events nobody here waits for,
and when that work can be dropped rather than done (gateway/fanout.py says why).

No database, no Kafka, no clock: the handler passes in who is connected and which offsets
the persistence group has committed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.live_events import LiveEvent
from gateway.notifications import Person, is_assignment, mentions
from vori.events import Event, KanbanChange, TranscriptSegment

# A topic and partition of the persistence consumer's topics.
Partition = tuple[str, int]


def may_notify(event: Event) -> bool:
    """Whether an event can make notifications at all (card changes, finals with words)."""
    return isinstance(event, KanbanChange) or (
        isinstance(event, TranscriptSegment) and event.final and bool(event.text.strip())
    )


def may_concern(event: Event, people: Iterable[Person | None]) -> bool:
    """Whether an event could make a notification for one of these people (None: a person
    whose names are unknown). A superset of what gateway/notification_store.py records:
    an assignment names the person (display name or e-mail), a mention their display name."""
    if not may_notify(event):
        return False
    people = list(people)
    if any(person is None for person in people):
        return True
    known = [person for person in people if person is not None]
    if isinstance(event, KanbanChange):
        return is_assignment(event) and any(person.owns(event.card.assignee) for person in known)
    assert isinstance(event, TranscriptSegment)
    return any(mentions(event.text, person.display_name) for person in known)


@dataclass
class Held:
    """A consumed event whose fan-out work was put off: its meeting's durable events not
    numbered here (`durable`, emptied once done) and its notifications not recorded here
    (`notify`, cleared once done)."""

    event: Event
    partition: Partition
    offset: int
    received: float
    at: datetime
    durable: list[LiveEvent]
    notify: bool

    @property
    def pending(self) -> bool:
        return bool(self.durable) or self.notify


class Skipped:
    """Held events by meeting (None: a card of no meeting), each meeting's in the order they
    were consumed, so that numbering them later keeps the order the log would have had."""

    def __init__(self) -> None:
        self._held: dict[str | None, deque[Held]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def hold(self, meeting_id: str | None, held: Held) -> None:
        self._held.setdefault(meeting_id, deque()).append(held)
        self._count += 1

    def meetings(self) -> list[str | None]:
        return list(self._held)

    def of(self, meeting_id: str | None) -> list[Held]:
        """A meeting's held events, oldest first (still held until `prune`)."""
        return list(self._held.get(meeting_id, ()))

    def unnotified(self) -> list[Held]:
        """Every held event whose notifications were not recorded here."""
        return [held for queue in self._held.values() for held in queue if held.notify]

    def largest(self) -> str | None:
        """The meeting with the most held events (the one bursting)."""
        return max(self._held, key=lambda meeting: len(self._held[meeting]))

    def partitions(self) -> set[Partition]:
        return {held.partition for queue in self._held.values() for held in queue}

    def persisted(
        self,
        committed: Mapping[Partition, int],
        watched: Iterable[str | None],
        concerned: Iterable[Held],
    ) -> None:
        """Forget the work the persistence group has done (its committed offset is past the
        event): its log rows and notifications are in PostgreSQL, where a client that
        subscribes from now on reads them. Not for `watched` meetings or `concerned` events
        (someone waits for them here): the caller must do their work instead. The caller
        reads `committed` before it decides who is watched or concerned."""
        keep_log = set(watched)
        keep_notify = {id(held) for held in concerned}
        for meeting_id, queue in self._held.items():
            for held in queue:
                done = committed.get(held.partition)
                if done is None or held.offset >= done:
                    continue
                if meeting_id not in keep_log:
                    held.durable = []
                if id(held) not in keep_notify:
                    held.notify = False
        self.prune()

    def prune(self) -> None:
        """Let go of events with nothing left to do."""
        for meeting_id in list(self._held):
            queue = deque(held for held in self._held[meeting_id] if held.pending)
            if queue:
                self._held[meeting_id] = queue
            else:
                del self._held[meeting_id]
        self._count = sum(len(queue) for queue in self._held.values())
