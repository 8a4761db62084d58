"""Process-wide state of one ingest process: the producer, the database, the registry of
open streams, and the background work that keeps durable positions and leases current.

`IngestService` is the `StreamHost` of every session (stream_ingest/host.py); it sees the
sessions only as `HeldStream`s.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import uuid

from stream_ingest import metrics, store
from stream_ingest.admission import LoadWatcher
from stream_ingest.errors import StreamOpenElsewhereError
from stream_ingest.host import HeldStream
from stream_ingest.ledger import DurableMark
from stream_ingest.recovery import recover_mark
from stream_ingest.sink import AudioSink
from stream_ingest.store import Lease, Participant
from vori.db.engine import create_db_engine
from vori.events import AudioFrame, MeetingEvent
from vori.settings import Settings

log = logging.getLogger(__name__)

# Abandoned streams (dropped and never resumed) are ended every this many flushes.
JANITOR_EVERY = 5


class IngestService:
    """Everything the sessions of one process share; the one owner of the stream registry."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_db_engine(settings, pool_size=10, max_overflow=20)
        self.sink = AudioSink(settings.kafka)
        self.sessions: dict[str, HeldStream] = {}
        self.load = LoadWatcher(settings)
        # Lease owners are "<instance>/<n>": one prefix renews every lease of this process.
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._connections = itertools.count(1)
        self._tasks: list[asyncio.Task[None]] = []

    def new_owner(self) -> str:
        return f"{self.instance}/{next(self._connections)}"

    async def start(self) -> None:
        self.load.start()
        self._tasks = [
            asyncio.create_task(self.sink.serve_deliveries(), name="deliveries"),
            asyncio.create_task(self._keep_positions(), name="positions"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self.load.stop)
        await asyncio.to_thread(self.sink.flush, 10)
        await asyncio.to_thread(self._save_positions)
        self.engine.dispose()

    # -- StreamHost: what sessions ask (the database work runs in their threads) ----------

    def find_participant(self, meeting_id: str, user_id: str) -> Participant:
        return store.find_participant(self.engine, meeting_id, user_id)

    def other_open_streams(self, user_id: str, stream_id: str) -> int:
        return store.other_open_streams(self.engine, user_id, stream_id)

    def admission_refusal(self) -> str | None:
        return self.load.refusal()

    def open_streams(self) -> int:
        return len(self.sessions)

    def acquire(self, stream_id: str, participant: Participant) -> Lease:
        return store.acquire(
            self.engine, stream_id, participant, self.new_owner(), self.settings.ingest.lease_ttl_s
        )

    def recover(self, lease: Lease) -> DurableMark:
        """The true durable mark of a stream whose last holder vanished."""
        mark = recover_mark(
            self.settings.kafka, lease.stream_id, lease.mark, lease.updated_at_epoch
        )
        if mark != lease.mark:
            store.save_marks(self.engine, {lease.stream_id: (lease.owner, mark)})
        return mark

    def release(self, lease: Lease, mark: DurableMark, active: bool) -> None:
        store.release(self.engine, lease, mark, active=active)

    def register(self, stream_id: str, stream: HeldStream) -> None:
        self.sessions[stream_id] = stream
        metrics.open_streams.inc()

    def forget(self, stream_id: str, stream: HeldStream) -> None:
        if self.sessions.get(stream_id) is stream:
            del self.sessions[stream_id]
            metrics.open_streams.dec()

    # -- background ---------------------------------------------------------------------

    async def _keep_positions(self) -> None:
        """Write durable positions and renew leases every flush interval; end abandoned streams."""
        interval = self.settings.ingest.flush_interval_s
        for tick in itertools.count(1):
            await asyncio.sleep(interval)
            try:
                # Only streams held before the renewal started can be missing from its answer.
                before = {sid: session for sid, session in self.sessions.items() if session.holding}
                held = await asyncio.to_thread(self._save_positions)
                for stream_id, session in before.items():
                    if stream_id not in held and session.holding:
                        log.error("stream %s: lease lost, closing", stream_id)
                        session.lease_lost()
                if tick % JANITOR_EVERY == 0:
                    await self._end_abandoned()
            except Exception:
                # The database may be away for a while: streams keep flowing meanwhile.
                log.exception("ingest: could not write stream positions")

    def _save_positions(self) -> set[str]:
        marks: dict[str, tuple[str, DurableMark]] = {}
        for stream_id, session in list(self.sessions.items()):
            unsaved = session.unsaved()
            if unsaved is not None:
                marks[stream_id] = unsaved
        store.save_marks(self.engine, marks)
        for stream_id, (_owner, mark) in marks.items():
            saved = self.sessions.get(stream_id)
            if saved is not None:
                saved.mark_saved(mark)
        return store.renew_leases(
            self.engine, self.instance + "/", self.settings.ingest.lease_ttl_s
        )

    async def _end_abandoned(self) -> None:
        """Streams whose client dropped and never came back get their end-of-stream marker."""
        idle = self.settings.ingest.idle_timeout_s
        for stream_id, participant in await asyncio.to_thread(
            store.abandoned_streams, self.engine, idle
        ):
            try:
                lease = await asyncio.to_thread(self.acquire, stream_id, participant)
            except StreamOpenElsewhereError:
                continue  # resumed meanwhile, or another process is on it
            mark, ended = lease.mark, False
            try:
                if lease.unclean:
                    mark = await asyncio.to_thread(self.recover, lease)
                marker = AudioFrame(
                    stream_id=stream_id,
                    meeting_id=participant.meeting_id,
                    participant_id=participant.user_id,
                    speaker=participant.name,
                    language=participant.language,
                    vocabulary=list(participant.vocabulary),
                    accuracy=participant.accuracy,
                    seq=mark.next_seq,
                    position=mark.position,
                    end_of_stream=True,
                )
                delivered = await self.sink.deliver(marker)
                mark = DurableMark(
                    mark.position, mark.next_seq + 1, delivered.partition(), delivered.offset()
                )
                ended = True
            finally:
                await asyncio.to_thread(self.release, lease, mark, not ended)
            self.sink.announce(
                MeetingEvent(
                    type="participant_left",
                    meeting_id=participant.meeting_id,
                    participant_id=participant.user_id,
                    participant_name=participant.name,
                    stream_id=stream_id,
                    language=participant.language,
                )
            )
            log.info(
                "stream %s: abandoned for %g s, ended at sample %d", stream_id, idle, mark.position
            )
