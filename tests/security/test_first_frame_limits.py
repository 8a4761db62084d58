"""Neither WebSocket lets an unauthenticated client make the server buffer a large frame.

uvicorn's default lets a first frame of 16 MiB in before any token is looked at; a few
hundred such sockets would exhaust a process's memory. Frames over 64 KiB are now cut off
by the server (1009 and a reason) before they are read; a first frame under that but
larger than any real start or auth message is refused by the app (4400 and a reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from tests.helpers.gateway import GatewayServer, serve_gateway
from tests.helpers.ingest import START, expect_close, running_ingest
from vori.settings import Settings

MEBIBYTE = 1024 * 1024
LIMIT = "exceeds limit of 65536 bytes"


async def _first_frame(url: str, frame: str | bytes) -> tuple[int, str]:
    ws = await websockets.connect(url, max_size=2**20)
    with contextlib.suppress(ConnectionClosed):  # the server may close mid-frame
        await ws.send(frame)
    return await expect_close(ws)


def _padded(message: dict[str, Any], size: int) -> str:
    text = json.dumps({**message, "pad": ""})
    return json.dumps({**message, "pad": "x" * (size - len(text))})


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


def _events_url(gateway: GatewayServer) -> str:
    return f"{gateway.ws_url}/api/v1/meetings/mtg_anything/events"


@pytest.mark.parametrize(
    "frame",
    [_padded({**START, "token": "t"}, MEBIBYTE), b"\x00" * MEBIBYTE, "x" * (16 * MEBIBYTE)],
    ids=["1-MiB-start", "1-MiB-audio", "16-MiB-text"],
)
def test_ingest_cuts_off_a_large_first_frame_before_reading_it(
    settings: Settings, frame: str | bytes
) -> None:
    with running_ingest(settings) as server:
        code, reason = asyncio.run(_first_frame(server.url("mtg_anything"), frame))
    assert code == 1009
    assert LIMIT in reason


def test_ingest_refuses_a_start_larger_than_any_real_one(settings: Settings) -> None:
    with running_ingest(settings) as server:
        code, reason = asyncio.run(
            _first_frame(server.url("mtg_anything"), _padded({**START, "token": "t"}, 40_000))
        )
    assert (code, reason) == (4400, "text message over 16384 bytes")


@pytest.mark.parametrize(
    "frame",
    [_padded({"type": "auth", "token": "t"}, MEBIBYTE), "x" * (16 * MEBIBYTE)],
    ids=["1-MiB-auth", "16-MiB-text"],
)
def test_events_socket_cuts_off_a_large_first_frame_before_reading_it(
    gateway: GatewayServer, frame: str
) -> None:
    code, reason = asyncio.run(_first_frame(_events_url(gateway), frame))
    assert code == 1009
    assert LIMIT in reason


def test_events_socket_refuses_an_auth_frame_larger_than_any_real_one(
    gateway: GatewayServer,
) -> None:
    frame = _padded({"type": "auth", "token": "t"}, 40_000)
    got = asyncio.run(_first_frame(_events_url(gateway), frame))
    assert got == (4400, "auth message over 16384 bytes")
