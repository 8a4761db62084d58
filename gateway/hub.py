"""Fan-out of live events to this process's events-WebSocket clients.

Kafka consumer threads hand events over with `publish_threadsafe`; everything else runs
on the event loop. Each client has a bounded queue: one that falls behind is marked
overflowed (and then closed by its connection) instead of slowing the others. A client
whose person was removed from the meeting is revoked (and closed) the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.live_events import MEMBER_REMOVED
from gateway.notifications import Person
from gateway.partials import LivePartials


@dataclass(frozen=True)
class Delivery:
    """An event on its way to clients: durable with its `seq`, or a live-only partial."""

    meeting_id: str
    type: str
    at: str
    payload: dict[str, Any]
    seq: int | None = None
    received: float = field(default_factory=time.monotonic)


class Subscriber:
    """One client's queue of undelivered events, bounded in length and in age."""

    def __init__(
        self,
        meeting_id: str,
        max_queue: int,
        max_lag_s: float,
        clock: Callable[[], float] = time.monotonic,
        user_id: str | None = None,
    ) -> None:
        self.meeting_id = meeting_id
        self.user_id = user_id
        # Set when the person lost access to the meeting: their connection closes.
        self.revoked = asyncio.Event()
        self.max_queue = max_queue
        self.max_lag_s = max_lag_s
        self.clock = clock
        self.overflow_reason: str | None = None
        self.overflowed = asyncio.Event()
        self._items: deque[Delivery] = deque()
        self._waiting = asyncio.Event()

    def offer(self, item: Delivery) -> bool:
        """Queue an event; False (and overflowed) when the client has fallen too far behind."""
        if self.overflow_reason is not None:
            return False
        if len(self._items) >= self.max_queue:
            return self._overflow(f"client too slow: {len(self._items)} events not read")
        if self._items and self.clock() - self._items[0].received > self.max_lag_s:
            lag = self.clock() - self._items[0].received
            return self._overflow(f"client too slow: events waiting for {lag:.0f} s")
        self._items.append(item)
        self._waiting.set()
        return True

    async def next(self) -> Delivery:
        """The oldest undelivered event, waiting for one if there is none."""
        while not self._items:
            self._waiting.clear()
            await self._waiting.wait()
        return self._items.popleft()

    def __len__(self) -> int:
        return len(self._items)

    def revoke(self) -> None:
        """The person is no longer a member: nothing more reaches them."""
        self._items.clear()
        self.revoked.set()

    def _overflow(self, reason: str) -> bool:
        self.overflow_reason = reason
        self._items.clear()
        self.overflowed.set()
        return False


class Hub:
    """Meeting id -> the subscribers connected to this process, plus the live partials;
    and user id -> the subscribers of that person's own channel (notifications)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, max_queue: int, max_lag_s: float
    ) -> None:
        self.loop = loop
        self.max_queue = max_queue
        self.max_lag_s = max_lag_s
        self.partials = LivePartials()
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._users: dict[str, set[Subscriber]] = {}
        # Read by the fan-out consumer's thread (gateway/fanout.py), so replaced whole on
        # every change rather than mutated: who has a notification channel here (None: a
        # person whose names are unknown, concerned by everything), and a count of changes.
        self._people: dict[Subscriber, Person | None] = {}
        self.channel_people: tuple[Person | None, ...] = ()
        self.channels_version = 0

    def subscribe(self, meeting_id: str, user_id: str | None = None) -> Subscriber:
        subscriber = Subscriber(meeting_id, self.max_queue, self.max_lag_s, user_id=user_id)
        self._subscribers.setdefault(meeting_id, set()).add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(subscriber.meeting_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.meeting_id]

    def watched(self, meeting_id: str) -> bool:
        """Whether a client of this process follows the meeting (safe from any thread)."""
        return bool(self._subscribers.get(meeting_id))

    def subscriber_count(self, meeting_id: str | None = None) -> int:
        if meeting_id is not None:
            return len(self._subscribers.get(meeting_id, ()))
        return sum(len(subscribers) for subscribers in self._subscribers.values())

    def publish_threadsafe(self, item: Delivery) -> None:
        """Hand an event over from a consumer thread."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.dispatch, item)

    def dispatch(self, item: Delivery) -> None:
        """Offer an event to every subscriber of its meeting (on the event loop)."""
        if not self.partials.observe(item.type, item.meeting_id, item.payload):
            return
        removed = item.payload.get("user_id") if item.type == MEMBER_REMOVED else None
        for subscriber in list(self._subscribers.get(item.meeting_id, ())):
            if removed is not None and subscriber.user_id == removed:
                subscriber.revoke()
                self.unsubscribe(subscriber)
            elif not subscriber.offer(item):
                # Overflowed: it gets nothing more; its connection closes it with the reason.
                self.unsubscribe(subscriber)

    def subscribe_user(self, user_id: str, person: Person | None = None) -> Subscriber:
        """A subscriber of the person's own channel: what concerns them, whatever the meeting.
        `person` (their names) lets the fan-out skip events that cannot concern them."""
        subscriber = Subscriber("", self.max_queue, self.max_lag_s, user_id=user_id)
        self._users.setdefault(user_id, set()).add(subscriber)
        self._people = {**self._people, subscriber: person}
        self.channel_people = tuple(self._people.values())
        self.channels_version += 1
        return subscriber

    def unsubscribe_user(self, subscriber: Subscriber) -> None:
        assert subscriber.user_id is not None
        subscribers = self._users.get(subscriber.user_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._users[subscriber.user_id]
        if subscriber in self._people:
            self._people = {s: p for s, p in self._people.items() if s is not subscriber}
            self.channel_people = tuple(self._people.values())

    def user_subscriber_count(self) -> int:
        return sum(len(subscribers) for subscribers in self._users.values())

    def publish_to_user_threadsafe(self, user_id: str, item: Delivery) -> None:
        """Hand an event for one person over from another thread."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.dispatch_to_user, user_id, item)

    def dispatch_to_user(self, user_id: str, item: Delivery) -> None:
        """Offer an event to the person's own channels on this process (on the event loop)."""
        for subscriber in list(self._users.get(user_id, ())):
            if not subscriber.offer(item):
                self.unsubscribe_user(subscriber)

    def current_partials(self, meeting_id: str) -> list[dict[str, Any]]:
        return self.partials.current(meeting_id)
