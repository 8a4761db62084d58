"""The lifecycle of one audio WebSocket connection: open, stream, finish, hand back.

`AudioSession` takes the client's `start`, checks the token, the membership and the
limits, takes the stream's lease, answers `ready`, runs the streaming phase (frames in:
stream_ingest/intake.py; audio out to Kafka and acks: stream_ingest/outlet.py), writes
the end-of-stream marker and gives the lease back with the durable position. It asks
its process only through `StreamHost` (stream_ingest/host.py) and is seen by it only as
a `HeldStream`. Every way out closes the socket with the code and reason that
`close_for` (stream_ingest/connection.py) gives.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal

from starlette.websockets import WebSocket

from stream_ingest import metrics
from stream_ingest.connection import ClientGoneError, Connection, close_for
from stream_ingest.errors import (
    BadTokenError,
    NotAMemberError,
    OverLimitError,
    StreamFailedError,
    StreamOpenElsewhereError,
    StreamRefusedError,
    StreamTakenOverError,
    TranscribersBusyError,
    UnknownStreamError,
)
from stream_ingest.host import StreamHost
from stream_ingest.intake import Ending, FrameIntake
from stream_ingest.ledger import DurableMark, StreamLedger
from stream_ingest.outlet import AudioOutlet
from stream_ingest.protocol import (
    BYTES_PER_SAMPLE,
    SAMPLE_RATE,
    AudioProtocol,
    CloseCode,
    ProtocolError,
    StartMessage,
)
from stream_ingest.sink import AudioSink
from stream_ingest.store import Lease, Participant
from vori.auth import InvalidTokenError, verify_token
from vori.events import MeetingEvent, stream_id_for
from vori.settings import Settings

log = logging.getLogger(__name__)

# A reconnecting client can arrive before its previous connection has handed the stream
# back (the last frames are still being confirmed): wait this long before answering 4409.
LEASE_WAIT_S = 3.0


class AudioSession:
    """Serves one client's audio stream from `start` to close."""

    def __init__(
        self,
        websocket: WebSocket,
        meeting_id: str,
        *,
        settings: Settings,
        host: StreamHost,
        sink: AudioSink,
    ) -> None:
        self.settings = settings
        self.ingest = settings.ingest
        self.host = host
        self.sink = sink
        self.connection = Connection(websocket)
        self.meeting_id = meeting_id
        self.protocol = AudioProtocol()
        self.loop = asyncio.get_running_loop()
        self.created_at = self.loop.time()
        self.participant: Participant | None = None
        self.lease: Lease | None = None
        self.outlet: AudioOutlet | None = None
        self.intake: FrameIntake | None = None
        self.ended = False
        # The lease was lost before the outlet existed (while recovering the mark).
        self._lost: str | None = None
        self._closing: asyncio.Future[None] | None = None
        self._releasing = False

    @property
    def stream_id(self) -> str | None:
        return self.lease.stream_id if self.lease else None

    async def run(self) -> None:
        """Serve the connection; every way out closes the socket with a code and a reason."""
        await self.connection.accept()
        code, reason = CloseCode.NORMAL, "stopped"
        try:
            await self._open()
            ending = await self._stream()
            code, reason = await self._finish(ending)
        except (ProtocolError, StreamRefusedError) as exc:
            code, reason = close_for(exc)
        except ClientGoneError:
            code, reason = CloseCode.NORMAL, "client gone"
        except Exception:
            log.exception("meeting %s stream %s: internal error", self.meeting_id, self.stream_id)
            code, reason = CloseCode.INTERNAL_ERROR, "internal error"
        finally:
            metrics.closes.labels(str(int(code))).inc()
            await self.connection.close(code, reason)
            await self._hand_back()

    # -- HeldStream: what the process sees of this session -----------------------------

    @property
    def holding(self) -> bool:
        """The stream's lease is ours and not being handed back."""
        return self.lease is not None and not self._releasing

    def unsaved(self) -> tuple[str, DurableMark] | None:
        if self.lease is None or self.outlet is None:
            return None
        mark = self.outlet.ledger.unsaved()
        return None if mark is None else (self.lease.owner, mark)

    def mark_saved(self, mark: DurableMark) -> None:
        if self.outlet is not None:
            self.outlet.ledger.mark_saved(mark)

    def lease_lost(self) -> None:
        """Another process took the stream (this one stalled past the lease): stop serving."""
        taken = StreamTakenOverError("stream taken over elsewhere")
        if self.outlet is not None:
            self.outlet.fail(taken.reason)
        else:
            self._lost = taken.reason
        self._closing = asyncio.ensure_future(self.connection.close(*close_for(taken)))

    # -- opening ------------------------------------------------------------------------

    async def _open(self) -> None:
        start = await self._receive_start()
        try:
            principal = verify_token(self.settings.gateway, start.token)
        except InvalidTokenError as exc:
            raise BadTokenError(str(exc)) from None
        participant = await asyncio.to_thread(
            self.host.find_participant, self.meeting_id, principal.user_id
        )
        stream_id = stream_id_for(participant.meeting_id, participant.user_id)
        if start.stream_id is not None and start.stream_id != stream_id:
            raise UnknownStreamError("no such stream for this participant")
        if self.host.open_streams() >= self.ingest.max_streams:
            raise OverLimitError(f"this ingest process is at its {self.ingest.max_streams} streams")
        if start.stream_id is None:
            # Only new streams wait; one that resumes is always taken (docs/overload.md).
            refusal = self.host.admission_refusal()
            if refusal is not None:
                raise TranscribersBusyError(refusal)
        limit = self.ingest.max_streams_per_user
        others = await asyncio.to_thread(
            self.host.other_open_streams, participant.user_id, stream_id
        )
        if others >= limit:
            raise OverLimitError(f"you have {others} other streams open; at most {limit} at once")
        self.participant = participant
        self.lease = await self._acquire(stream_id, participant)
        self.host.register(stream_id, self)
        mark = self.lease.mark
        if self.lease.unclean:
            mark = await asyncio.to_thread(self.host.recover, self.lease)
        ingest = self.ingest
        ledger = StreamLedger(
            mark,
            client_position=start.position,
            max_inflight_bytes=ingest.max_inflight_bytes,
            ack_interval_s=ingest.ack_interval_ms / 1000,
            chunk_bytes=SAMPLE_RATE * BYTES_PER_SAMPLE * ingest.chunk_ms // 1000,
            max_hold_s=ingest.chunk_ms / 1000,
        )
        self.outlet = AudioOutlet(
            ledger, stream_id, participant, self.sink, self.loop, room_microphone=start.room
        )
        if self._lost is not None:
            self.outlet.fail(self._lost)
        if not self.lease.was_active:
            self.sink.announce(self._meeting_event("participant_joined"))
        self.intake = FrameIntake(
            self.connection, self.protocol, self.outlet, ingest, self.loop, self.created_at
        )
        await self.connection.send(
            {"type": "ready", "stream_id": stream_id, "position": mark.position}
        )
        self.protocol.ready()
        log.info(
            "meeting %s: %s streams %s from sample %d",
            self.meeting_id,
            participant.name,
            stream_id,
            mark.position,
        )

    async def _receive_start(self) -> StartMessage:
        timeout = self.ingest.start_timeout_s
        try:
            async with asyncio.timeout(timeout):
                message = await self.connection.receive()
        except TimeoutError:
            raise ProtocolError(
                CloseCode.BAD_TOKEN, f"no start message within {timeout:g} s"
            ) from None
        if message["type"] == "websocket.disconnect":
            raise ClientGoneError
        if message.get("bytes") is not None:
            self.protocol.on_audio(message["bytes"])  # raises: audio before start
        parsed = self.protocol.on_text(message.get("text") or "")
        assert isinstance(parsed, StartMessage)  # the protocol allows nothing else first
        return parsed

    async def _acquire(self, stream_id: str, participant: Participant) -> Lease:
        deadline = time.monotonic() + LEASE_WAIT_S
        while True:
            try:
                return await asyncio.to_thread(self.host.acquire, stream_id, participant)
            except StreamOpenElsewhereError:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.1)

    # -- streaming ----------------------------------------------------------------------

    async def _stream(self) -> Ending:
        """Frames in, acks out, and a watch on the person's access, until one ends it."""
        assert self.outlet is not None
        assert self.intake is not None
        acks = asyncio.create_task(self.outlet.send_acks(self.connection.send_raw))
        access = asyncio.create_task(self._watch_access())
        try:
            return await self.intake.run(access)
        finally:
            for task in (acks, access):
                task.cancel()

    async def _watch_access(self) -> StreamRefusedError:
        """Check every ACCESS_CHECK_S that the person is still a member of a running meeting;
        the reason the stream must end once not (membership is checked at `start` only)."""
        assert self.participant is not None
        user_id = self.participant.user_id
        while True:
            await asyncio.sleep(self.ingest.access_check_s)
            try:
                await asyncio.to_thread(self.host.find_participant, self.meeting_id, user_id)
            except NotAMemberError:
                return NotAMemberError("you are no longer a member of this meeting")
            except StreamRefusedError as exc:
                return exc
            except Exception as exc:  # a database hiccup is no reason to cut anyone off
                log.warning("stream %s: access check failed: %s", self.stream_id, exc)

    # -- ending ------------------------------------------------------------------------

    async def _finish(self, ending: Ending) -> tuple[CloseCode, str]:
        """Write the end-of-stream marker, wait until Kafka has everything, say `stopped`."""
        assert self.outlet is not None
        self.outlet.finish()
        await self.outlet.settle()
        if self.outlet.failure is not None:
            raise StreamFailedError(self.outlet.failure)
        self.ended = True
        position = self.outlet.durable.position
        if ending == "idle":
            idle = self.ingest.idle_timeout_s
            await self.connection.send({"type": "stopped", "position": position, "reason": "idle"})
            return CloseCode.NORMAL, f"idle for {idle:g} s"
        if isinstance(ending, StreamRefusedError):
            # What was said while allowed is kept (ended and durable above); no more.
            code, reason = close_for(ending)
            await self.connection.send({"type": "stopped", "position": position, "reason": reason})
            return code, reason
        await self.connection.send({"type": "stopped", "position": position})
        return CloseCode.NORMAL, "stopped"

    async def _hand_back(self) -> None:
        """Give the stream's lease back with its durable position, whatever happened."""
        if self.lease is None:
            return
        self._releasing = True
        outlet = self.outlet
        if outlet is None:  # refused between taking the lease and `ready`
            await asyncio.to_thread(
                self.host.release, self.lease, self.lease.mark, self.lease.was_active
            )
            self.host.forget(self.lease.stream_id, self)
            return
        outlet.stop_timer()
        if outlet.failure is None:
            # Audio received before the connection dropped is kept: the client resumes after it.
            outlet.flush()
        await outlet.settle()
        await asyncio.to_thread(self.host.release, self.lease, outlet.durable, not self.ended)
        self.host.forget(self.lease.stream_id, self)
        if self.ended:
            self.sink.announce(self._meeting_event("participant_left"))
        log.info(
            "meeting %s: stream %s %s at sample %d",
            self.meeting_id,
            self.lease.stream_id,
            "ended" if self.ended else "paused",
            outlet.durable.position,
        )

    def _meeting_event(
        self, kind: Literal["participant_joined", "participant_left"]
    ) -> MeetingEvent:
        assert self.participant is not None
        assert self.lease is not None
        return MeetingEvent(
            type=kind,
            meeting_id=self.participant.meeting_id,
            participant_id=self.participant.user_id,
            participant_name=self.participant.name,
            stream_id=self.lease.stream_id,
            language=self.participant.language,
        )
