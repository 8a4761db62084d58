"""The `vori` client's audio: a file decoded to 16 kHz PCM, streamed to the ingest service's
audio WebSocket in real time and resumed from the server's durable position after a drop.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vori.audio import BYTES_PER_SAMPLE, CHANNELS, ENCODING, SAMPLE_RATE
from vori.cli.logins import ClientError

# Refusals that a retry cannot fix: bad format, bad token, no such meeting.
FATAL_CLOSE_CODES = {4400, 4401, 4404}


def decode_pcm(path: Path) -> bytes:
    """Any audio file PyAV can read, as 16 kHz mono PCM s16le bytes."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    if not path.is_file():
        raise ClientError(f"{path}: no such file")
    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many types; the user needs only the message
        raise ClientError(f"{path}: cannot decode audio ({exc})") from None
    # decode_audio divides s16 by 32768; multiplying back restores the exact samples.
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return bytes(scaled.astype("<i2").tobytes())


class UplinkRefusedError(ClientError):
    """The ingest service refused the stream for good (close code and reason)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"ingest refused the stream: {code} {reason}")
        self.code = code
        self.reason = reason


@dataclass
class AudioUplink:
    """Sends PCM to the audio WebSocket in real time (or `speed` times faster; 0: unpaced)
    and resumes from the server's durable position whenever the connection drops."""

    url: str
    token: str
    pcm: bytes
    speed: float = 1.0
    frame_ms: int = 20
    give_up_after_s: float = 120.0
    on_ack: Callable[[int], None] | None = None
    on_sent: Callable[[int], None] | None = None
    on_status: Callable[[str], None] | None = None
    stream_id: str | None = None
    acked: int = 0
    reconnects: int = 0
    connection: Any = field(default=None, repr=False)
    _clock: tuple[float, int] | None = field(default=None, repr=False)

    @property
    def total_samples(self) -> int:
        return len(self.pcm) // BYTES_PER_SAMPLE

    async def run(self) -> int:
        """Stream everything, then stop; returns the server's final position."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        failing_since: float | None = None
        while True:
            try:
                return await self._connection()
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else 1006
                reason = exc.rcvd.reason if exc.rcvd else "connection lost"
                if code in FATAL_CLOSE_CODES:
                    raise UplinkRefusedError(code, reason) from None
                problem = f"{code} {reason}".strip()
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                problem = str(exc) or type(exc).__name__
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since > self.give_up_after_s:
                raise ClientError(f"audio connection lost for good: {problem}")
            self.reconnects += 1
            self._status(f"audio connection dropped ({problem}); resuming")
            await asyncio.sleep(min(2.0, 0.1 * 2 ** min(self.reconnects, 5)))

    async def _connection(self) -> int:
        import websockets

        async with websockets.connect(
            self.url,
            open_timeout=10,
            ping_interval=20,
            ping_timeout=90,
            max_size=2**20,
            compression=None,  # PCM barely compresses
        ) as ws:
            self.connection = ws
            start: dict[str, Any] = {
                "type": "start",
                "token": self.token,
                "sample_rate": SAMPLE_RATE,
                "encoding": ENCODING,
                "channels": CHANNELS,
            }
            if self.stream_id is not None:
                start["stream_id"] = self.stream_id
            await ws.send(json.dumps(start))
            ready = json.loads(await ws.recv())
            if ready.get("type") != "ready":
                raise ClientError(f"expected ready, got {ready!r}")
            self.stream_id = ready["stream_id"]
            position = int(ready["position"])
            self.acked = max(self.acked, position)
            if self._clock is None:
                self._clock = (time.monotonic(), position)
            reader = asyncio.create_task(self._read(ws))
            try:
                await self._send_from(ws, position, reader)
                await ws.send(json.dumps({"type": "stop"}))
                return await reader
            finally:
                reader.cancel()

    async def _send_from(self, ws: Any, position: int, reader: asyncio.Task[int]) -> None:
        step = SAMPLE_RATE * self.frame_ms // 1000
        assert self._clock is not None
        started_at, first = self._clock
        while position < self.total_samples:
            if reader.done():
                reader.result()  # raises what ended the connection
                raise ClientError("the server closed the stream early")
            if self.speed > 0:
                due = started_at + (position - first) / (SAMPLE_RATE * self.speed)
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            end = min(position + step, self.total_samples)
            await ws.send(self.pcm[position * BYTES_PER_SAMPLE : end * BYTES_PER_SAMPLE])
            position = end
            if self.on_sent is not None:
                self.on_sent(position)

    async def _read(self, ws: Any) -> int:
        from websockets.exceptions import ConnectionClosedOK

        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "ack":
                self.acked = max(self.acked, int(message["position"]))
                if self.on_ack is not None:
                    self.on_ack(self.acked)
            elif kind == "stopped":
                self.acked = int(message["position"])
                return self.acked
        raise ConnectionClosedOK(ws.close_rcvd, ws.close_sent)

    def _status(self, text: str) -> None:
        if self.on_status is not None:
            self.on_status(text)
