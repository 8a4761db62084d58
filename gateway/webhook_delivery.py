"""Webhook delivery: a consumer of meeting, summary and card events that POSTs each to the
webhooks of its board, signed, retried with back-off, with every outcome recorded.

It runs as a third consumer thread of the gateway process (gateway/consumers.py), not as a
service of its own: the gateway already owns the webhook tables and their API, the work
is waiting on sockets (no CPU worth isolating), and one fewer process is one fewer thing
to deploy. Its consumer group (VORI_GATEWAY__WEBHOOK_GROUP) is shared by all gateway
processes, so more gateways split the partitions and each event is delivered once.

Bounds: each request times out after WEBHOOK_TIMEOUT_S; a 5xx, 408, 429, timeout or
connection error is retried with exponential back-off (tenacity) up to
WEBHOOK_MAX_ATTEMPTS, then recorded as failed; other answers are final. The webhooks of
one event are called in parallel, so a dead receiver delays no other webhook, and delays
the events after it on its partition by at most the attempts' total (`budget_s`, about
66 s with the defaults), never indefinitely: past it the partition moves on and a late
delivery finishes in the background. Delivery ids derive from the event, and a delivery
already delivered or given up is not sent again when Kafka replays the event.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from gateway import metrics
from gateway.webhook_payloads import Notice, delivery_id, notice_for, payload_body, signed_headers
from gateway.webhook_targets import TargetRefusedError, check_target
from vori.auth import works_board
from vori.db.tables import Board, Meeting, Webhook, WebhookDelivery
from vori.events import KANBAN_CHANGES, MEETING_EVENTS, MEETING_SUMMARIES, Event, utc_now
from vori.kafka.consumer import MessageContext
from vori.settings import GatewaySettings

log = logging.getLogger(__name__)

WEBHOOK_TOPICS = (MEETING_EVENTS, MEETING_SUMMARIES, KANBAN_CHANGES)
RETRY_STATUSES = frozenset({408, 429})
MAX_PARALLEL = 16


@dataclass(frozen=True)
class Target:
    """What one delivery needs of its webhook, read before any request is made."""

    webhook_id: str
    url: str
    secret: str
    delivery_id: str


class _RetryableError(Exception):
    """An attempt that may succeed later: 5xx, 408, 429, a timeout, a refused connection."""


class _StoppingError(Exception):
    """The gateway is stopping during a back-off: leave the delivery pending for a replay."""


def _board_of(session: Session, notice: Notice) -> str | None:
    """The board whose webhooks hear a notice: the card's, or the meeting's board (its
    owner's personal board when it names none, or one its owner may not feed)."""
    if notice.board_id is not None:
        return notice.board_id
    meeting = session.get(Meeting, notice.meeting_id) if notice.meeting_id else None
    if meeting is None:
        return None
    if meeting.board_id and works_board(session, meeting.board_id, meeting.owner_id):
        return meeting.board_id
    return session.scalar(select(Board.id).where(Board.personal_owner_id == meeting.owner_id))


class WebhookHandler:
    """Consumer-loop handler: finds a notice's webhooks, delivers to each, records outcomes."""

    def __init__(
        self, gateway: GatewaySettings, sessions: sessionmaker[Session], stop: threading.Event
    ) -> None:
        self.gateway = gateway
        self.sessions = sessions
        self.stop = stop
        self.pool = ThreadPoolExecutor(MAX_PARALLEL, thread_name_prefix="webhook")
        # One client for all deliveries (its pool is thread-safe), so a delivery that
        # outlives its event's budget below keeps a working client to finish with.
        self.http = httpx.Client(timeout=gateway.webhook_timeout_s, follow_redirects=False)

    def budget_s(self) -> float:
        """How long an event may hold its partition: every attempt timing out, with every
        back-off between them, and a margin. The read timeout bounds each socket read, not
        a whole answer, so a receiver that trickles its answer can outlast it."""
        gateway = self.gateway
        backoffs = sum(
            min(gateway.webhook_backoff_s * 2.0**n, gateway.webhook_backoff_s * 16)
            for n in range(gateway.webhook_max_attempts - 1)
        )
        return gateway.webhook_max_attempts * gateway.webhook_timeout_s * 2 + backoffs + 1.0

    def __call__(self, event: Event, context: MessageContext) -> None:
        notice = notice_for(event)
        if notice is None:
            return
        with self.sessions.begin() as session:
            targets = self._pending(session, notice)
        if not targets:
            return
        futures = [self.pool.submit(self.deliver, self.http, notice, t) for t in targets]
        done, late = wait(futures, timeout=self.budget_s())
        for future in done:
            future.result()  # a stop in a back-off: the offset is not stored
        if late:
            # Past its budget: the event's partition moves on; the late deliveries finish
            # in the background and record their outcome (pending until then).
            log.warning(
                "%d webhook deliveries of %s still running after %.0f s: moving on",
                len(late),
                notice.event_id,
                self.budget_s(),
            )

    def _pending(self, session: Session, notice: Notice) -> list[Target]:
        """The webhooks that want this notice and have not had it yet (a replay skips the
        delivered and the given up). Webhooks made after the event never hear of it."""
        board_id = _board_of(session, notice)
        if board_id is None:
            return []
        hooks = session.scalars(
            select(Webhook).where(
                Webhook.board_id == board_id, Webhook.created_at <= notice.occurred_at
            )
        ).all()
        targets = []
        for hook in hooks:
            if notice.event not in hook.events:
                continue
            target = Target(hook.id, hook.url, hook.secret, delivery_id(hook.id, notice.event_id))
            session.execute(
                insert(WebhookDelivery)
                .values(
                    id=target.delivery_id,
                    webhook_id=hook.id,
                    event=notice.event,
                    meeting_id=notice.meeting_id,
                    status="pending",
                    attempts=0,
                )
                .on_conflict_do_nothing(index_elements=[WebhookDelivery.id])
            )
            status = session.scalar(
                select(WebhookDelivery.status).where(WebhookDelivery.id == target.delivery_id)
            )
            if status == "pending":
                targets.append(target)
        return targets

    def deliver(self, http: httpx.Client, notice: Notice, target: Target) -> None:
        """POST one notice to one webhook until it is accepted, refused, or attempts run out."""
        body = payload_body(notice, target.webhook_id)
        retrying = Retrying(
            stop=stop_after_attempt(self.gateway.webhook_max_attempts),
            wait=wait_exponential(
                multiplier=self.gateway.webhook_backoff_s, max=self.gateway.webhook_backoff_s * 16
            ),
            retry=retry_if_exception_type(_RetryableError),
            sleep=self._sleep_unless_stopping,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._attempt(http, notice, target, body)
        except RetryError:
            self._record(target, "failed")
            metrics.WEBHOOK_GIVEN_UP.inc()
            log.warning(
                "webhook %s gave up on delivery %s after %d attempts",
                target.webhook_id,
                target.delivery_id,
                self.gateway.webhook_max_attempts,
            )
        except _StoppingError:
            # Raised on through the handler, so the event's offset is not stored.
            log.info("webhook delivery %s left pending: stopping", target.delivery_id)
            raise

    def _attempt(self, http: httpx.Client, notice: Notice, target: Target, body: bytes) -> None:
        try:
            check_target(target.url, allow_private=self.gateway.webhook_allow_private_targets)
        except TargetRefusedError as exc:
            self._record(target, "failed", error=str(exc), attempted=True)
            return
        timestamp = int(time.time())
        headers = signed_headers(target.secret, notice, target.webhook_id, timestamp, body)
        try:
            # Streamed and closed unread: a receiver's answer body is never loaded.
            with http.stream("POST", target.url, content=body, headers=headers) as answer:
                code = answer.status_code
        except httpx.InvalidURL as exc:  # no later attempt can do better
            self._record(target, "failed", error=f"invalid URL: {exc}", attempted=True)
            return
        except httpx.HTTPError as exc:
            self._record(target, "pending", error=f"{type(exc).__name__}: {exc}", attempted=True)
            raise _RetryableError(str(exc)) from exc
        if 200 <= code < 300:
            self._record(target, "delivered", code=code, attempted=True)
        elif code >= 500 or code in RETRY_STATUSES:
            self._record(target, "pending", code=code, error=f"HTTP {code}", attempted=True)
            raise _RetryableError(f"HTTP {code}")
        else:
            self._record(target, "failed", code=code, error=f"HTTP {code}", attempted=True)

    def _record(
        self,
        target: Target,
        status: str,
        *,
        code: int | None = None,
        error: str | None = None,
        attempted: bool = False,
    ) -> None:
        if attempted:
            outcome = {"delivered": "delivered", "pending": "retry"}.get(status, "refused")
            metrics.WEBHOOK_ATTEMPTS.labels(outcome).inc()
        values: dict[str, object] = {"status": status, "updated_at": utc_now()}
        if attempted:
            values.update(
                attempts=WebhookDelivery.attempts + 1,
                last_status_code=code,
                last_error=error[:1000] if error else None,
            )
        with self.sessions.begin() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == target.delivery_id)
                .values(**values)
            )

    def _sleep_unless_stopping(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _StoppingError

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()
