"""The services' logs hold no token, password or JWT secret after a short real session.

The gateway, ingest and kanban run as processes (`python -m vori <service>`, INFO logs and
uvicorn's access log as deployed); a client registers, logs in (once with a wrong
password), creates a meeting and a board, opens the events socket and the audio socket
with its token, and also calls with the token in the query string, where careless
clients put it and where an access log prints it; it refreshes with the browser's refresh
cookie, logs out and replays an old one. Then every log line is grepped.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import websockets

from tests.helpers.gateway import register
from tests.helpers.ingest import START
from tests.helpers.stack import JWT_SECRET, Stack
from vori.settings import Settings

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
PASSWORD = "a very private passphrase 7731"
WRONG_PASSWORD = "not-the-passphrase-0042"
FRAME = b"\x00\x01" * 320
REFRESH_COOKIES: list[str] = []  # the values the session below saw, for the grep


@pytest.fixture(scope="module")
def logs(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The services' logs after the session below."""
    stack = Stack(settings, tmp_path_factory.mktemp("logs"), "logs")
    try:
        stack.start(["gateway", "stream-ingest", "kanban"])
        _session(stack)
    finally:
        stack.stop()
    return "\n".join(
        path.read_text(errors="replace") for path in sorted(stack.workdir.glob("*.log"))
    )


def _session(stack: Stack) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        who = register(client, "Ana", password=PASSWORD)
        refused = client.post(
            "/api/v1/auth/token", data={"username": who.email, "password": WRONG_PASSWORD}
        )
        assert refused.status_code == 401
        meeting = client.post(
            "/api/v1/meetings", json={"title": "Logs", "language": "en"}, headers=who.headers
        ).json()
        assert client.post("/api/v1/boards", json={"name": "B"}, headers=who.headers).is_success
        for query in (f"token={who.token}", f"access_token={who.token}", f"jwt={who.token}"):
            client.get(f"/api/v1/me?{query}")
            client.get(f"/api/v1/meetings?{query}&status=active", headers=who.headers)
            client.get(f"/api/v1/boards?{query}", headers=who.headers)
        bad = who.token[:-4] + "AAAA"
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"})
        # The browser's refresh cookie: rotated, logged out, then an old one replayed (refused).
        REFRESH_COOKIES.append(client.cookies["vori_refresh"])
        assert client.post("/api/v1/auth/refresh").status_code == 200
        REFRESH_COOKIES.append(client.cookies["vori_refresh"])
        client.post("/api/v1/auth/logout")
        replay = httpx.post(
            f"{stack.gateway_url}/api/v1/auth/refresh",
            cookies={"vori_refresh": REFRESH_COOKIES[0]},
        )
        assert replay.status_code == 401
    events = stack.gateway_url.replace("http", "ws", 1) + f"/api/v1/meetings/{meeting['id']}/events"
    audio = stack.ingest_url.replace("http", "ws", 1) + f"/ingest/v1/meetings/{meeting['id']}/audio"
    asyncio.run(_sockets(events, audio, who.token))


async def _sockets(events: str, audio: str, token: str) -> None:
    async with websockets.connect(events) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        assert json.loads(await ws.recv())["type"] == "ready"
    async with websockets.connect(f"{events}?token={token}") as ws:
        await ws.send(json.dumps({"type": "auth", "token": token[:-3] + "xyz"}))
        await ws.wait_closed()
    async with websockets.connect(audio) as ws:
        await ws.send(json.dumps({**START, "token": token}))
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(FRAME)
        await ws.send(json.dumps({"type": "stop"}))
        async for _message in ws:
            pass


def test_the_session_was_logged(logs: str) -> None:
    """The grep below means something only if the requests are in the logs."""
    assert "/api/v1/auth/token" in logs
    assert "/api/v1/me" in logs


def test_logs_hold_no_token(logs: str) -> None:
    assert not JWT.findall(logs), [line for line in logs.splitlines() if JWT.search(line)][:5]


def test_logs_hold_no_password(logs: str) -> None:
    for secret in (PASSWORD, WRONG_PASSWORD, PASSWORD.replace(" ", "+"), "passphrase"):
        assert secret not in logs


def test_logs_hold_no_refresh_cookie(logs: str) -> None:
    assert "/api/v1/auth/refresh" in logs
    assert len(REFRESH_COOKIES) == 2
    for value in REFRESH_COOKIES:
        assert value not in logs
        assert value[:16] not in logs


def test_logs_hold_no_jwt_secret(logs: str) -> None:
    assert JWT_SECRET not in logs
    assert JWT_SECRET[:16] not in logs
