"""One audio WebSocket connection: the thin shell between the socket, the protocol core,
the stream ledger, Kafka and the stream's lease in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from confluent_kafka import KafkaError, Message
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from stream_ingest import metrics
from stream_ingest.ledger import Chunk, StreamLedger
from stream_ingest.pacing import Pacer
from stream_ingest.protocol import (
    BYTES_PER_SAMPLE,
    SAMPLE_RATE,
    AudioProtocol,
    CloseCode,
    ProtocolError,
    StartMessage,
    StopMessage,
    short_reason,
)
from stream_ingest.store import Lease, Participant, StreamBusyError
from vori.auth import InvalidTokenError, verify_token
from vori.events import AudioFrame, MeetingEvent, stream_id_for

if TYPE_CHECKING:
    from stream_ingest.service import IngestService

log = logging.getLogger(__name__)

# A reconnecting client can arrive before its previous connection has handed the stream
# back (the last frames are still being confirmed): wait this long before answering 4409.
LEASE_WAIT_S = 3.0


class ClientGoneError(Exception):
    """The client closed the socket or the connection dropped."""


Outcome = Literal["stopped", "idle", "revoked"]


class AudioSession:
    """Serves one client's audio stream from `start` to close."""

    def __init__(self, service: IngestService, websocket: WebSocket, meeting_id: str) -> None:
        self.service = service
        self.settings = service.settings.ingest
        self.ws = websocket
        self.meeting_id = meeting_id
        self.protocol = AudioProtocol()
        self.loop = asyncio.get_running_loop()
        self.participant: Participant | None = None
        self.lease: Lease | None = None
        self.ledger: StreamLedger | None = None
        self.ended = False
        self.failure: str | None = None
        self.last_activity = self.loop.time()
        self.paused = False
        self._room = asyncio.Event()
        self._progress = asyncio.Event()
        self._closing: asyncio.Future[None] | None = None
        self._releasing = False
        self._flush_timer: asyncio.TimerHandle | None = None
        # Why the stream ends early: its person left the meeting, or the meeting ended.
        self.revoked: ProtocolError | None = None
        self.pacer = Pacer(SAMPLE_RATE, SAMPLE_RATE, self.loop.time())  # set at `ready`

    @property
    def holding(self) -> bool:
        """The stream's lease is ours and not being handed back."""
        return self.lease is not None and not self._releasing

    @property
    def stream_id(self) -> str | None:
        return self.lease.stream_id if self.lease else None

    async def run(self) -> None:
        """Serve the connection; every way out closes the socket with a code and a reason."""
        await self.ws.accept()
        code, reason = CloseCode.NORMAL, "stopped"
        try:
            await self._open()
            outcome = await self._stream()
            code, reason = await self._finish(outcome)
        except ProtocolError as exc:
            code, reason = exc.code, exc.reason
        except ClientGoneError:
            code, reason = CloseCode.NORMAL, "client gone"
        except Exception:
            log.exception("meeting %s stream %s: internal error", self.meeting_id, self.stream_id)
            code, reason = CloseCode.INTERNAL_ERROR, "internal error"
        finally:
            metrics.closes.labels(str(int(code))).inc()
            await self._close(code, reason)
            await self._hand_back()

    # -- opening ------------------------------------------------------------------------

    async def _open(self) -> None:
        start = await self._receive_start()
        try:
            principal = verify_token(self.service.settings.gateway, start.token)
        except InvalidTokenError as exc:
            raise ProtocolError(CloseCode.BAD_TOKEN, str(exc)) from None
        participant = await asyncio.to_thread(
            self.service.find_participant, self.meeting_id, principal.user_id
        )
        stream_id = stream_id_for(participant.meeting_id, participant.user_id)
        if start.stream_id is not None and start.stream_id != stream_id:
            raise ProtocolError(CloseCode.NOT_FOUND, "no such stream for this participant")
        if len(self.service.sessions) >= self.settings.max_streams:
            raise ProtocolError(
                CloseCode.OVER_LIMIT,
                f"this ingest process is at its {self.settings.max_streams} streams",
            )
        if start.stream_id is None:
            # Only new streams wait; one that resumes is always taken (docs/overload.md).
            refusal = self.service.load.refusal()
            if refusal is not None:
                raise ProtocolError(CloseCode.TRY_AGAIN_LATER, refusal)
        limit = self.settings.max_streams_per_user
        others = await asyncio.to_thread(
            self.service.other_open_streams, participant.user_id, stream_id
        )
        if others >= limit:
            raise ProtocolError(
                CloseCode.OVER_LIMIT,
                f"you have {others} other streams open; at most {limit} at once",
            )
        self.participant = participant
        self.lease = await self._acquire(stream_id, participant)
        self.service.sessions[stream_id] = self
        metrics.open_streams.inc()
        mark = self.lease.mark
        if self.lease.unclean:
            mark = await asyncio.to_thread(self.service.recover, self.lease)
        self.ledger = StreamLedger(
            mark,
            client_position=start.position,
            max_inflight_bytes=self.settings.max_inflight_bytes,
            ack_interval_s=self.settings.ack_interval_ms / 1000,
            chunk_bytes=SAMPLE_RATE * BYTES_PER_SAMPLE * self.settings.chunk_ms // 1000,
            max_hold_s=self.settings.chunk_ms / 1000,
        )
        if not self.lease.was_active:
            self.service.sink.announce(self._meeting_event("participant_joined"))
        self.pacer = Pacer(
            SAMPLE_RATE * self.settings.max_speed,
            SAMPLE_RATE * self.settings.burst_s,
            self.loop.time(),
        )
        await self._send({"type": "ready", "stream_id": stream_id, "position": mark.position})
        self.protocol.ready()
        log.info(
            "meeting %s: %s streams %s from sample %d",
            self.meeting_id,
            participant.name,
            stream_id,
            mark.position,
        )

    async def _receive_start(self) -> StartMessage:
        timeout = self.settings.start_timeout_s
        try:
            async with asyncio.timeout(timeout):
                message = await self.ws.receive()
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
        owner = self.service.new_owner()
        while True:
            try:
                return await asyncio.to_thread(self.service.acquire, stream_id, participant, owner)
            except StreamBusyError:
                if time.monotonic() >= deadline:
                    raise ProtocolError(
                        CloseCode.CONFLICT, "stream already open elsewhere"
                    ) from None
                await asyncio.sleep(0.1)

    # -- streaming ----------------------------------------------------------------------

    async def _stream(self) -> Outcome:
        """Read audio until `stop`, until the client has been idle too long, or until its
        person may no longer speak in the meeting (removed from it, or it ended)."""
        acks = asyncio.create_task(self._send_acks())
        access = asyncio.create_task(self._watch_access())
        reader = asyncio.create_task(self._read_until_stop())
        idle = self.settings.idle_timeout_s
        try:
            while True:
                # While reads are paused by back-pressure the client is not idle: look again
                # in a second rather than spin on a deadline in the past.
                wait = max(
                    1.0 if self.paused else 0.0, self.last_activity + idle - self.loop.time()
                )
                done, _ = await asyncio.wait(
                    {reader, access}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if reader in done:
                    reader.result()  # ProtocolError or ClientGoneError end the session
                    return "stopped"
                if access in done:
                    self.revoked = access.result()
                    return "revoked"
                if not self.paused and self.loop.time() - self.last_activity >= idle:
                    return "idle"
        finally:
            for task in (acks, access, reader):
                task.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _watch_access(self) -> ProtocolError:
        """Check every ACCESS_CHECK_S that the person is still a member of a running meeting;
        the reason the stream must end once not (membership is checked at `start` only)."""
        assert self.participant is not None
        user_id = self.participant.user_id
        while True:
            await asyncio.sleep(self.settings.access_check_s)
            try:
                await asyncio.to_thread(self.service.find_participant, self.meeting_id, user_id)
            except ProtocolError as exc:
                if exc.code == CloseCode.NOT_FOUND:
                    return ProtocolError(exc.code, "you are no longer a member of this meeting")
                return exc
            except Exception as exc:  # a database hiccup is no reason to cut anyone off
                log.warning("stream %s: access check failed: %s", self.stream_id, exc)

    async def _read_until_stop(self) -> None:
        assert self.ledger is not None
        ledger = self.ledger
        while True:
            if self.failure is not None:
                raise ProtocolError(CloseCode.INTERNAL_ERROR, self.failure)
            if ledger.full:
                await self._wait_for_room()
            message = await self.ws.receive()
            data = message.get("bytes")
            if data is not None:
                samples = self.protocol.on_audio(data)
                now = self.last_activity = self.loop.time()
                before = ledger.received
                chunk = ledger.accept(data, now)
                if ledger.received - before < samples:
                    metrics.deduplicated_samples.inc(samples - (ledger.received - before))
                if chunk is not None:
                    self._produce(chunk)
                elif self._flush_timer is None and ledger.flush_at is not None:
                    self._flush_timer = self.loop.call_at(ledger.flush_at, self._flush_due)
                # New audio only: a re-send of what is durable costs the transcriber nothing.
                wait = self.pacer.delay(ledger.received - before, now)
                if wait > 0:
                    metrics.paced_seconds.inc(wait)
                    await asyncio.sleep(wait)
                    self.last_activity = self.loop.time()
                continue
            if message["type"] == "websocket.disconnect":
                raise ClientGoneError
            if isinstance(self.protocol.on_text(message.get("text") or ""), StopMessage):
                return

    def _flush_due(self) -> None:
        """Timer: produce audio that has waited `chunk_ms` for its chunk to fill up."""
        self._flush_timer = None
        ledger = self.ledger
        if ledger is None or self.failure is not None or self.ended:
            return
        flush_at = ledger.flush_at
        if flush_at is None:
            return
        if self.loop.time() >= flush_at:
            self._flush()
        else:  # the chunk was cut and a new one started since this timer was set
            self._flush_timer = self.loop.call_at(flush_at, self._flush_due)

    def _flush(self) -> None:
        """Produce whatever audio is pending now (stop, dropped connection, timer)."""
        assert self.ledger is not None
        chunk = self.ledger.flush()
        if chunk is not None:
            self._produce(chunk)

    async def _wait_for_room(self) -> None:
        """Back-pressure: leave the socket unread until Kafka has confirmed enough audio."""
        assert self.ledger is not None
        self.paused = True
        metrics.paused_reads.inc()
        try:
            while self.ledger.full and self.failure is None:
                self._room.clear()
                await self._room.wait()
        finally:
            self.paused = False
            self.last_activity = self.loop.time()

    def _produce(self, chunk: Chunk) -> None:
        assert self.lease is not None
        assert self.participant is not None
        # The chunk's last sample arrived at `received_at`; for a client sending in real
        # time its first sample was captured the chunk's duration before that.
        waited = self.loop.time() - chunk.received_at if chunk.pcm else 0.0
        now = datetime.now(UTC)
        frame = AudioFrame.model_construct(
            stream_id=self.lease.stream_id,
            meeting_id=self.participant.meeting_id,
            participant_id=self.participant.user_id,
            speaker=self.participant.name,
            language=self.participant.language,
            seq=chunk.seq,
            position=chunk.position,
            sample_rate=SAMPLE_RATE,
            # When the frame's first sample was captured, for a client sending in real time.
            capture_time=now - timedelta(seconds=waited + chunk.samples / SAMPLE_RATE),
            end_of_stream=not chunk.pcm,
            pcm=chunk.pcm,
        )
        produced_at = time.monotonic()

        def report(err: KafkaError | None, msg: Message) -> None:
            self._delivered(chunk, err, msg, produced_at)

        self.service.sink.send(frame, report)
        metrics.inflight_bytes.inc(len(chunk.pcm))
        metrics.frames.inc()
        metrics.audio_bytes.inc(len(chunk.pcm))

    def _delivered(
        self, chunk: Chunk, err: KafkaError | None, msg: Message, produced_at: float
    ) -> None:
        assert self.ledger is not None
        metrics.inflight_bytes.dec(len(chunk.pcm))
        if err is not None:
            log.error("stream %s: Kafka refused frame %d: %s", self.stream_id, chunk.seq, err)
            self.failure = "audio could not be written to Kafka"
        else:
            metrics.delivery_seconds.observe(time.monotonic() - produced_at)
            self.ledger.delivered(chunk, msg.partition(), msg.offset())
        if not self.ledger.full or self.failure is not None:
            self._room.set()
        self._progress.set()

    async def _send_acks(self) -> None:
        """Ack the durable position as it advances, at most once per ack interval."""
        assert self.ledger is not None
        ledger = self.ledger
        try:
            while True:
                await self._progress.wait()
                self._progress.clear()
                while ledger.ack_pending:
                    wait = ledger.next_ack_at - self.loop.time()
                    if wait > 0:  # acked a moment ago: the next one goes when the pacing allows
                        # asyncio may wake a timer up to its clock resolution early: look
                        # again rather than drop the ack until the next delivery (which, for
                        # a stream's last audio, never comes).
                        await asyncio.sleep(wait)
                        continue
                    position = ledger.ack_due(self.loop.time())
                    if position is not None:
                        await self._send_raw(f'{{"type":"ack","position":{position}}}')
        except (ClientGoneError, RuntimeError):
            return  # the socket is gone; the reader notices too

    # -- ending ------------------------------------------------------------------------

    async def _finish(self, outcome: Outcome) -> tuple[CloseCode, str]:
        """Write the end-of-stream marker, wait until Kafka has everything, say `stopped`."""
        assert self.ledger is not None
        for chunk in self.ledger.finish():
            self._produce(chunk)
        await self._settle()
        if self.failure is not None:
            raise ProtocolError(CloseCode.INTERNAL_ERROR, self.failure)
        self.ended = True
        position = self.ledger.durable.position
        if outcome == "idle":
            idle = self.settings.idle_timeout_s
            await self._send({"type": "stopped", "position": position, "reason": "idle"})
            return CloseCode.NORMAL, f"idle for {idle:g} s"
        if outcome == "revoked":
            assert self.revoked is not None
            # What was said while allowed is kept (ended and durable above); no more.
            reason = self.revoked.reason
            await self._send({"type": "stopped", "position": position, "reason": reason})
            return self.revoked.code, reason
        await self._send({"type": "stopped", "position": position})
        return CloseCode.NORMAL, "stopped"

    async def _settle(self) -> None:
        """Wait until every frame accepted on this connection is confirmed by Kafka."""
        assert self.ledger is not None
        while not self.ledger.settled and self.failure is None:
            self._progress.clear()
            await self._progress.wait()

    async def _hand_back(self) -> None:
        """Give the stream's lease back with its durable position, whatever happened."""
        if self.lease is None:
            return
        self._releasing = True
        if self.ledger is None:  # refused between taking the lease and `ready`
            await asyncio.to_thread(
                self.service.release, self.lease, self.lease.mark, self.lease.was_active
            )
            self._forget()
            return
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self.failure is None:
            # Audio received before the connection dropped is kept: the client resumes after it.
            self._flush()
        await self._settle()
        await asyncio.to_thread(
            self.service.release, self.lease, self.ledger.durable, not self.ended
        )
        self._forget()
        if self.ended:
            self.service.sink.announce(self._meeting_event("participant_left"))
        log.info(
            "meeting %s: stream %s %s at sample %d",
            self.meeting_id,
            self.lease.stream_id,
            "ended" if self.ended else "paused",
            self.ledger.durable.position,
        )

    def _forget(self) -> None:
        assert self.lease is not None
        if self.service.sessions.get(self.lease.stream_id) is self:
            del self.service.sessions[self.lease.stream_id]
            metrics.open_streams.dec()

    def lease_lost(self) -> None:
        """Another process took the stream (this one stalled past the lease): stop serving."""
        self.failure = "stream taken over elsewhere"
        self._room.set()
        self._progress.set()
        self._closing = asyncio.ensure_future(self._close(CloseCode.CONFLICT, self.failure))

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

    async def _send(self, message: dict[str, object]) -> None:
        await self._send_raw(json.dumps(message))

    async def _send_raw(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except (OSError, RuntimeError, WebSocketDisconnect) as exc:
            raise ClientGoneError from exc

    async def _close(self, code: CloseCode, reason: str) -> None:
        if self.ws.application_state is WebSocketState.DISCONNECTED:
            return
        if self.ws.client_state is WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(OSError, RuntimeError, WebSocketDisconnect):
            await self.ws.close(int(code), short_reason(reason))
