"""Relays committed `kanban.changes` events from the outbox table to Kafka.

Changes are written to the outbox in the same transaction as the change itself; this
relay publishes them in commit order and deletes them only once Kafka confirmed every
one. A crash in between republishes (at least once; consumers key by card id and
version). One relay at a time across processes, through a PostgreSQL advisory lock.
"""

from __future__ import annotations

import logging
import threading

from confluent_kafka import KafkaError, KafkaException, Message
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kanban.metrics import OUTBOX_PUBLISHED
from vori.db.tables import KanbanOutboxRow
from vori.events import KanbanChange
from vori.kafka import EventProducer

log = logging.getLogger(__name__)

# Any constant both relays agree on; "kanb" in ASCII.
_ADVISORY_LOCK = 0x6B616E62
BATCH = 500


class OutboxNotDeliveredError(RuntimeError):
    """Kafka did not confirm every event of a batch in time; they stay in the outbox."""


class OutboxRelay:
    """Publishes the outbox when woken, and at least every `interval_s`, on its own thread."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        producer: EventProducer,
        *,
        interval_s: float = 1.0,
        delivery_timeout_s: float = 10.0,
    ) -> None:
        self.sessions = sessions
        self.producer = producer
        self.interval_s = interval_s
        self.delivery_timeout_s = delivery_timeout_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was committed: publish it now rather than at the next interval."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kanban-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.producer.flush(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            try:
                while self.publish_pending() == BATCH:
                    pass
            except OutboxNotDeliveredError as exc:
                log.warning("kanban.changes not confirmed, retrying: %s", exc)
            except (SQLAlchemyError, KafkaException):
                # The relay must outlive a database or broker restart; the next round retries.
                log.exception("outbox relay round failed")
                self._stop.wait(self.interval_s)

    def publish_pending(self) -> int:
        """Publish one batch of pending events; returns how many were published."""
        with self.sessions.begin() as session:
            if not session.scalar(select(func.pg_try_advisory_xact_lock(_ADVISORY_LOCK))):
                return 0  # another process is relaying; it will see our rows
            rows = list(
                session.scalars(select(KanbanOutboxRow).order_by(KanbanOutboxRow.id).limit(BATCH))
            )
            if not rows:
                return 0
            failures: list[str] = []

            def delivered(err: KafkaError | None, _msg: Message) -> None:
                if err is not None:
                    failures.append(str(err))

            for row in rows:
                self.producer.publish(
                    KanbanChange.model_validate(row.payload), on_delivery=delivered
                )
            left = self.producer.flush(self.delivery_timeout_s)
            if left or failures:
                raise OutboxNotDeliveredError(
                    f"{left} unconfirmed, {len(failures)} failed: {failures[:1]}"
                )
            session.execute(
                delete(KanbanOutboxRow).where(KanbanOutboxRow.id.in_([r.id for r in rows]))
            )
            OUTBOX_PUBLISHED.inc(len(rows))
            return len(rows)
