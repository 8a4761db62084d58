"""Hostile JSON on both WebSockets closes with a protocol code and a reason, logs no stack
trace, and leaves the other connections of the same process alone.

Before: deep nesting raised RecursionError and a 5,000-digit number ValueError out of
`json.loads`, and a `["ping"]` after `auth` an AttributeError; each closed with 1011
"internal error" and a logged traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.helpers.gateway import GatewayServer, create_meeting, register, serve_gateway
from tests.helpers.ingest import START, expect_close, open_stream, running_ingest
from tests.helpers.ingest import create_meeting as create_ingest_meeting
from vori.settings import Settings

FRAME = b"\x00\x01" * 320  # 20 ms of audio

# (name, frame, code, reason prefix) for a frame where the protocol wants JSON. Invalid
# UTF-8 in a text frame is refused by the WebSocket layer itself, with 1007.
HOSTILE: list[tuple[str, str | bytes, int, str]] = [
    ("deep-array", "[" * 5_000 + "]" * 5_000, 4400, "malformed JSON: nested deeper than 32"),
    ("deep-object", '{"a":' * 2_000 + "1" + "}" * 2_000, 4400, "malformed JSON: nested deeper"),
    ("array", "[]", 4400, "a control message must be a JSON object, not an array"),
    ("number", "5", 4400, "a control message must be a JSON object, not a number"),
    ("huge-int", '{"type": "x", "n": ' + "9" * 5_000 + "}", 4400, "malformed JSON: a number of"),
    ("nan", '{"type": "x", "n": NaN}', 4400, "malformed JSON: NaN is not JSON"),
    ("huge-float", '{"type": "x", "n": 1e999}', 4400, "malformed JSON: a number out of range"),
    ("bad-utf8", b'{"type": "\xff\xfe"}', 1007, "invalid UTF-8 in a text frame"),
]
IDS = [name for name, *_ in HOSTILE]


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors logged by the servers (uvicorn's own logger does not propagate)."""
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.addHandler(caplog.handler)
    caplog.set_level(logging.WARNING)
    try:
        yield caplog.records
    finally:
        uvicorn_error.removeHandler(caplog.handler)


def _no_traceback(records: list[logging.LogRecord]) -> None:
    bad = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]


def _expected(prefix: str = "") -> list[tuple[str, int, str]]:
    return [
        (name, code, (prefix if code == 4400 else "") + reason)
        for name, _f, code, reason in HOSTILE
    ]


def _as_expected(got: list[tuple[int, str]], prefix: str = "") -> list[tuple[str, int, str]]:
    """The closes as (case, code, reason cut to the length of the expected reason)."""
    return [
        (name, code, reason[: len(want)])
        for (name, _c, want), (code, reason) in zip(_expected(prefix), got, strict=True)
    ]


async def _send(ws: Any, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        await ws.send(frame, text=True)  # a text frame with these exact bytes
    else:
        await ws.send(frame)


async def _close_after(url: str, *frames: str | bytes) -> tuple[int, str]:
    ws = await websockets.connect(url, max_size=2**20)
    for frame in frames:
        await _send(ws, frame)
    return await expect_close(ws)


# -- the events WebSocket ------------------------------------------------------------------


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


def test_events_socket_answers_hostile_json_with_a_protocol_close(
    gateway: GatewayServer, errors: list[logging.LogRecord]
) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        owner = register(client, "Owner")
        meeting_id = create_meeting(client, owner)["id"]
    url = f"{gateway.ws_url}/api/v1/meetings/{meeting_id}/events"
    auth = json.dumps({"type": "auth", "token": owner.token})

    async def scenario() -> tuple[list[tuple[int, str]], list[tuple[int, str]], dict[str, Any]]:
        healthy = await websockets.connect(url)
        await healthy.send(auth)
        assert json.loads(await healthy.recv())["type"] == "ready"
        as_first = await asyncio.gather(*(_close_after(url, f) for _n, f, _c, _r in HOSTILE))
        after_auth = []
        for _name, hostile, _code, _reason in HOSTILE:
            ws = await websockets.connect(url)
            await ws.send(auth)
            assert json.loads(await ws.recv())["type"] == "ready"
            await _send(ws, hostile)
            after_auth.append(await expect_close(ws))
        await healthy.send('{"type": "ping"}')
        pong = json.loads(await asyncio.wait_for(healthy.recv(), 10))
        await healthy.close()
        return as_first, after_auth, pong

    as_first, after_auth, pong = asyncio.run(scenario())
    # The auth frame's reasons name it: "first frame: malformed JSON: ...".
    assert _as_expected(as_first, "first frame: ") == _expected("first frame: ")
    assert _as_expected(after_auth) == _expected()
    assert pong["type"] == "pong"
    _no_traceback(errors)


def test_events_socket_still_ignores_unknown_json_objects_after_auth(
    gateway: GatewayServer,
) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        owner = register(client, "Owner")
        meeting_id = create_meeting(client, owner)["id"]
    url = f"{gateway.ws_url}/api/v1/meetings/{meeting_id}/events"

    async def scenario() -> dict[str, Any]:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "auth", "token": owner.token}))
            assert json.loads(await ws.recv())["type"] == "ready"
            await ws.send('{"type": "subscribe", "what": [1, 2]}')
            await ws.send(b"\x00\x01")
            await ws.send('{"type": "ping"}')
            answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
            return answer

    assert asyncio.run(scenario())["type"] == "pong"


# -- the audio WebSocket ----------------------------------------------------------------------


def test_audio_socket_answers_hostile_json_with_a_protocol_close(
    settings: Settings, errors: list[logging.LogRecord]
) -> None:
    healthy, *streaming = create_ingest_meeting(settings, "Healthy", *IDS)

    async def hostile_mid_stream(url: str, token: str, frame: str | bytes) -> tuple[int, str]:
        ws, _ready = await open_stream(url, token)
        await ws.send(FRAME)
        await _send(ws, frame)
        return await expect_close(ws)

    async def scenario(url: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]], Any]:
        ws, ready = await open_stream(url, healthy.token)
        assert ready["position"] == 0
        await ws.send(FRAME)
        as_start = await asyncio.gather(*(_close_after(url, f) for _n, f, _c, _r in HOSTILE))
        mid_stream = await asyncio.gather(
            *(
                hostile_mid_stream(url, member.token, frame)
                for member, (_n, frame, _c, _r) in zip(streaming, HOSTILE, strict=True)
            )
        )
        await ws.send(FRAME)
        await ws.send(json.dumps({"type": "stop"}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        while message["type"] == "ack":
            message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        code, _reason = await expect_close(ws)
        return as_start, mid_stream, (message, code)

    with running_ingest(settings) as server:
        as_start, mid_stream, end = asyncio.run(scenario(server.url(healthy.meeting_id)))
    assert _as_expected(as_start) == _expected()
    assert _as_expected(mid_stream) == _expected()
    stopped, close_code = end
    assert stopped == {"type": "stopped", "position": 2 * len(FRAME) // 2}
    assert close_code == 1000
    _no_traceback(errors)


def test_start_fields_in_hostile_shapes_are_refused_as_bad_messages(settings: Settings) -> None:
    [member] = create_ingest_meeting(settings, "Ana")
    deep_token = {**START, "token": json.loads("[" * 30 + "]" * 30)}

    async def scenario(url: str) -> list[tuple[int, str]]:
        return [
            await _close_after(url, json.dumps(deep_token)),
            await _close_after(url, json.dumps({**START, "token": member.token, "position": 1e20})),
        ]

    with running_ingest(settings) as server:
        got = asyncio.run(scenario(server.url(member.meeting_id)))
    assert got == [
        (4401, "token must be a string"),
        (4400, "position must be a sample index >= 0"),
    ]
