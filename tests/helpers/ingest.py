"""Test fixtures for stream_ingest: a real uvicorn server, members in PostgreSQL, audio, Kafka.

Users and meetings are created directly in the database with the shared auth code (the
gateway is not needed); the ingest app runs under uvicorn on a free loopback port.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
import uvicorn
import websockets
from confluent_kafka import Consumer, KafkaError, TopicPartition

from stream_ingest.main import server_config
from tests.helpers.ports import free_port
from vori.auth import Principal, hash_password, issue_token, new_id
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import Meeting, MeetingMember, User
from vori.events import AUDIO_FRAMES, AudioFrame, decode
from vori.settings import KafkaSettings, Settings

START = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "channels": 1}


@dataclass(frozen=True)
class Member:
    """A user who is a member of a meeting, with a valid token."""

    user_id: str
    name: str
    email: str
    token: str
    meeting_id: str


def create_meeting(settings: Settings, *names: str, language: str = "en") -> list[Member]:
    """A new meeting whose members are new users with these display names."""
    engine = create_db_engine(settings)
    members: list[Member] = []
    try:
        with session_factory(engine)() as session:
            users = [
                User(
                    id=new_id("usr"),
                    email=f"{new_id('e')}@example.test",
                    display_name=name,
                    password_hash=hash_password("secret-pass"),
                )
                for name in names
            ]
            session.add_all(users)
            session.flush()
            meeting = Meeting(
                id=new_id("mtg"), title="ingest test", language=language, owner_id=users[0].id
            )
            session.add(meeting)
            session.flush()
            for user in users:
                session.add(MeetingMember(meeting_id=meeting.id, user_id=user.id))
                principal = Principal(user.id, user.email, user.display_name)
                members.append(
                    Member(
                        user.id,
                        user.display_name,
                        user.email,
                        issue_token(settings.gateway, principal),
                        meeting.id,
                    )
                )
            session.commit()
    finally:
        engine.dispose()
    return members


def load_pcm(path: Path) -> bytes:
    """A 16 kHz mono 16-bit WAV's samples as PCM s16le bytes."""
    samples, rate = sf.read(path, dtype="int16")
    assert rate == 16000, f"{path} is {rate} Hz"
    assert samples.ndim == 1
    return bytes(samples.astype("<i2").tobytes())


class IngestServer:
    """The ingest ASGI app under a real uvicorn in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        self.settings = ingest_settings(settings, port=self.port).model_copy(
            update={"host": "127.0.0.1", "log_level": "WARNING"}
        )
        config = server_config(self.settings)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def url(self, meeting_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ingest/v1/meetings/{meeting_id}/audio"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> IngestServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the ingest server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@contextmanager
def running_ingest(settings: Settings) -> Iterator[IngestServer]:
    server = IngestServer(settings).start()
    try:
        yield server
    finally:
        server.stop()


def ingest_settings(settings: Settings, **ingest: Any) -> Settings:
    """The session settings with some ingest values changed."""
    return settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update=ingest)}, deep=True
    )


def stream_frames(kafka: KafkaSettings, stream_id: str, timeout_s: float = 30) -> list[AudioFrame]:
    """Every frame of a stream in audio.frames, in partition order, read to the topic's end."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"test-ingest-reader-{time.monotonic_ns()}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        topic = consumer.list_topics(AUDIO_FRAMES, timeout=10).topics[AUDIO_FRAMES]
        partitions = [TopicPartition(AUDIO_FRAMES, p, 0) for p in topic.partitions]
        ends = {
            tp.partition: consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions
        }
        pending = {p for p, high in ends.items() if high > 0}
        consumer.assign([tp for tp in partitions if tp.partition in pending])
        frames: list[AudioFrame] = []
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(message.partition())
                continue
            if message.key() == stream_id.encode():
                event = decode(AUDIO_FRAMES, message.value(), message.headers())
                assert isinstance(event, AudioFrame)
                frames.append(event)
            if (message.offset() or 0) >= ends[message.partition() or 0] - 1:
                pending.discard(message.partition())
        assert not pending, "audio.frames was not read to its end in time"
        return frames
    finally:
        consumer.close()


def samples_of(frames: list[AudioFrame]) -> bytes:
    """The PCM of audio frames joined in order; asserts positions are contiguous."""
    position = frames[0].position if frames else 0
    parts: list[bytes] = []
    for frame in frames:
        assert frame.position == position, (
            f"gap or overlap at seq {frame.seq}: {frame.position} != {position}"
        )
        parts.append(frame.pcm)
        position = frame.end_position
    return b"".join(parts)


async def expect_close(ws: Any, timeout_s: float = 15) -> tuple[int, str]:
    """Read until the server closes; returns (code, reason)."""
    from websockets.exceptions import ConnectionClosed

    try:
        async with asyncio.timeout(timeout_s):
            async for _message in ws:
                pass
    except ConnectionClosed:
        pass
    assert ws.close_code is not None, "the server did not close the socket"
    return ws.close_code, ws.close_reason or ""


async def open_stream(
    url: str, token: str | None, *, max_queue: int | None = 16, **start: Any
) -> tuple[Any, dict[str, Any]]:
    """Connect, send start, return (socket, ready message).

    `max_queue`: websockets' limit of received, unread messages; past it the client stops
    reading its socket (None: never stops)."""
    ws = await websockets.connect(url, max_size=2**20, max_queue=max_queue)
    message = {**START, **start}
    if token is not None:
        message["token"] = token
    await ws.send(json.dumps(message))
    ready = json.loads(await ws.recv())
    assert ready["type"] == "ready", ready
    return ws, ready


def speech(speech_dir: Path, relative: str) -> bytes:
    return load_pcm(speech_dir / relative)
