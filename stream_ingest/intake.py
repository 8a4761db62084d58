"""Frame intake of one open stream: reading the client's frames until `stop`, idleness, or
the person losing access, with the flow control on the way in.

Each binary frame is checked by the protocol core, handed to the stream's `AudioOutlet`,
and paced (`Pacer`: beyond `max_speed` x real time the socket is read more slowly).
While too much audio waits for Kafka the socket is left unread (back-pressure); a
paused stream is not idle.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from stream_ingest import metrics
from stream_ingest.connection import ClientGoneError, Connection
from stream_ingest.errors import StreamFailedError, StreamRefusedError
from stream_ingest.outlet import AudioOutlet
from stream_ingest.pacing import Pacer
from stream_ingest.protocol import SAMPLE_RATE, AudioProtocol, StopMessage
from vori.settings import IngestSettings

# How the streaming phase ended: the client stopped, it was idle too long, or the reason
# its person may no longer speak in the meeting.
Ending = Literal["stopped", "idle"] | StreamRefusedError


class FrameIntake:
    """Reads one stream's frames into its outlet, paced and under back-pressure."""

    def __init__(
        self,
        connection: Connection,
        protocol: AudioProtocol,
        outlet: AudioOutlet,
        settings: IngestSettings,
        loop: asyncio.AbstractEventLoop,
        last_activity: float,
    ) -> None:
        self.connection = connection
        self.protocol = protocol
        self.outlet = outlet
        self.idle_timeout_s = settings.idle_timeout_s
        self.loop = loop
        self.last_activity = last_activity
        self.paused = False
        self.pacer = Pacer(
            SAMPLE_RATE * settings.max_speed, SAMPLE_RATE * settings.burst_s, loop.time()
        )

    async def run(self, access: asyncio.Task[StreamRefusedError]) -> Ending:
        """Read audio until `stop`, until the client has been idle too long, or until
        `access` ends with the reason the person may no longer stream."""
        reader = asyncio.create_task(self._read_until_stop())
        idle = self.idle_timeout_s
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
                    reader.result()  # ProtocolError, StreamFailedError or ClientGoneError end it
                    return "stopped"
                if access in done:
                    return access.result()
                if not self.paused and self.loop.time() - self.last_activity >= idle:
                    return "idle"
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read_until_stop(self) -> None:
        outlet = self.outlet
        while True:
            if outlet.failure is not None:
                raise StreamFailedError(outlet.failure)
            if outlet.full:
                await self._wait_for_room()
            message = await self.connection.receive()
            data = message.get("bytes")
            if data is not None:
                self.protocol.on_audio(data)
                now = self.last_activity = self.loop.time()
                fresh = outlet.accept(data, now)
                # New audio only: a re-send of what is durable costs the transcriber nothing.
                wait = self.pacer.delay(fresh, now)
                if wait > 0:
                    metrics.paced_seconds.inc(wait)
                    await asyncio.sleep(wait)
                    self.last_activity = self.loop.time()
                continue
            if message["type"] == "websocket.disconnect":
                raise ClientGoneError
            if isinstance(self.protocol.on_text(message.get("text") or ""), StopMessage):
                return

    async def _wait_for_room(self) -> None:
        """Back-pressure: leave the socket unread until Kafka has confirmed enough audio."""
        self.paused = True
        metrics.paused_reads.inc()
        try:
            await self.outlet.wait_for_room()
        finally:
            self.paused = False
            self.last_activity = self.loop.time()
