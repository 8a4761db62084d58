"""The `tasks.proposed` consumer: the shared ConsumerLoop around the ProposalApplier."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kanban.errors import UnknownMeetingError
from kanban.metrics import PROPOSAL_SECONDS, PROPOSALS
from kanban.outbox import OutboxRelay
from kanban.proposals import ProposalApplier
from vori.db.engine import DATABASE_AWAY
from vori.events import TASKS_PROPOSED, Event, TaskProposal
from vori.kafka import ConsumerLoop, MessageContext, PoisonMessageError
from vori.settings import Settings

log = logging.getLogger(__name__)


class ProposalHandler:
    """Applies each proposal in one transaction, then wakes the outbox relay."""

    def __init__(self, applier: ProposalApplier, relay: OutboxRelay | None = None) -> None:
        self.applier = applier
        self.relay = relay

    def __call__(self, event: Event, context: MessageContext) -> None:
        if not isinstance(event, TaskProposal):
            raise PoisonMessageError(f"not a task proposal: {type(event).__name__}")
        message_id = f"{context.topic}:{context.partition}:{context.offset}"
        started = time.perf_counter()
        try:
            outcome = self.applier.apply(event, message_id)
        except UnknownMeetingError as exc:
            PROPOSALS.labels("unknown_meeting").inc()
            raise PoisonMessageError(str(exc)) from exc
        PROPOSAL_SECONDS.observe(time.perf_counter() - started)
        PROPOSALS.labels("duplicate" if outcome.duplicate else "applied").inc()
        log.info(
            "proposal %s of meeting %s: %s",
            message_id,
            event.meeting_id,
            "already applied" if outcome.duplicate else outcome.changes or "no change",
        )
        if self.relay is not None:
            self.relay.wake()


def proposal_loop(settings: Settings, handler: ProposalHandler) -> ConsumerLoop:
    return ConsumerLoop(
        settings.kafka,
        settings.kanban.consumer_group,
        [TASKS_PROPOSED],
        handler,
        transient=DATABASE_AWAY,  # PostgreSQL away: wait, not dead-letter
    )


class ConsumerThread:
    """Runs the proposal loop on a thread of the service process; a crash ends the process."""

    def __init__(self, loop: ConsumerLoop, on_failure: Callable[[BaseException], None]) -> None:
        self.loop = loop
        self.on_failure = on_failure
        self._thread = threading.Thread(target=self._run, name="kanban-consumer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 30.0) -> None:
        self.loop.stop()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            self.loop.run(install_signal_handlers=False)
        except BaseException as exc:
            log.exception("the tasks.proposed consumer died")
            self.on_failure(exc)
