"""The periodic check for cards due tomorrow, one thread of each gateway process.

Every process runs it (ids make the notifications once per card and due date, whoever
checks first); each then pushes to its own clients the due notifications made since its
previous check, by any process, so a person hears of one wherever they are connected.
"Tomorrow" is the UTC date after today's: people carry no time zone yet.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gateway import notification_store
from gateway.hub import Delivery
from vori.db.tables import Notification

log = logging.getLogger(__name__)

Deliver = Callable[[Session, list[notification_store.Stored]], list[tuple[str, Delivery]]]
Notify = Callable[[str, Delivery], None]


class DueCheck:
    """Every `interval_s`: store the due-tomorrow notifications, push the new ones here."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        interval_s: float,
        deliver: Deliver,
        notify: Notify,
        stop: threading.Event,
    ) -> None:
        self.sessions = sessions
        self.interval_s = interval_s
        self.deliver = deliver
        self.notify = notify
        self.stop = stop
        self.checks = 0

    def run(self) -> None:
        since = datetime.now(UTC) - timedelta(seconds=self.interval_s)
        while not self.stop.is_set():
            started = datetime.now(UTC)
            try:
                self.check(started, since)
                since = started
            except (OperationalError, InterfaceError) as exc:
                log.warning("due check: PostgreSQL: %s; trying again next time", exc.orig or exc)
            self.stop.wait(self.interval_s)

    def check(self, now: datetime, since: datetime) -> None:
        with self.sessions.begin() as session:
            notification_store.due_check(session, now.date())
            fresh = session.scalars(
                select(Notification).where(
                    Notification.kind == "due", Notification.created_at >= since
                )
            )
            stored = [(row.user_id, notification_store.out(row)) for row in fresh]
            deliveries = self.deliver(session, stored)
        self.checks += 1
        for user_id, delivery in deliveries:
            self.notify(user_id, delivery)
