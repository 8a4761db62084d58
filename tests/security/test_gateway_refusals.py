"""Refusals of the gateway: bad tokens, outsiders, malformed events-socket input."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from websockets.exceptions import ConnectionClosed

from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    connect_events,
    create_meeting,
    register,
    serve_gateway,
)
from vori.auth import Principal, issue_token
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def meeting(client: httpx.Client) -> tuple[Account, dict[str, Any]]:
    owner = register(client, "Owner")
    return owner, create_meeting(client, owner)


def _expired(gateway: GatewayServer, who: Account) -> str:
    past = datetime.now(UTC) - timedelta(seconds=gateway.settings.gateway.jwt_ttl_s + 60)
    return issue_token(gateway.settings.gateway, Principal(who.id, who.email, who.name), now=past)


def _forged(who: Account) -> str:
    claims = {"sub": who.id, "aud": "vori", "exp": int(time.time()) + 3600}
    return jwt.encode(claims, "a-guessed-secret-that-is-long-enough-for-hs256", algorithm="HS256")


def test_expired_forged_and_missing_tokens_get_401(
    gateway: GatewayServer, client: httpx.Client
) -> None:
    who = register(client)
    cases = {
        "token expired": {"Authorization": f"Bearer {_expired(gateway, who)}"},
        "invalid token": {"Authorization": f"Bearer {_forged(who)}"},
        "missing token": {},
    }
    for reason, headers in cases.items():
        answer = client.get("/api/v1/me", headers=headers)
        assert answer.status_code == 401, reason
        assert answer.json()["detail"].startswith(reason)
        assert answer.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/meetings", headers=cases["token expired"]).status_code == 401


def test_outsiders_get_the_same_404_as_for_a_missing_meeting(
    client: httpx.Client, meeting: tuple[Account, dict[str, Any]]
) -> None:
    _owner, existing = meeting
    outsider = register(client, "Eve")
    for suffix, method in [
        ("", "GET"),
        ("/transcript", "GET"),
        ("/transcript?format=srt", "GET"),
        ("/summary", "GET"),
        ("/summary?format=md", "GET"),
        ("/end", "POST"),
        ("/members", "POST"),
    ]:
        body = {"email": outsider.email} if suffix == "/members" else None
        real = client.request(
            method,
            f"/api/v1/meetings/{existing['id']}{suffix}",
            json=body,
            headers=outsider.headers,
        )
        missing = client.request(
            method,
            f"/api/v1/meetings/mtg_doesnotexist{suffix}",
            json=body,
            headers=outsider.headers,
        )
        assert real.status_code == missing.status_code == 404, suffix
        assert real.json() == missing.json() == {"detail": "meeting not found"}
    assert existing["id"] not in [
        m["id"] for m in client.get("/api/v1/meetings", headers=outsider.headers).json()
    ]


def test_members_who_do_not_own_the_meeting_cannot_end_it_or_add_people(
    client: httpx.Client, meeting: tuple[Account, dict[str, Any]]
) -> None:
    owner, existing = meeting
    member, other = register(client, "Member"), register(client, "Other")
    add_member(client, owner, existing["id"], member)
    base = f"/api/v1/meetings/{existing['id']}"
    assert client.post(base + "/end", headers=member.headers).status_code == 403
    added = client.post(base + "/members", json={"email": other.email}, headers=member.headers)
    assert added.status_code == 403
    assert client.get(base, headers=member.headers).json()["status"] == "active"


def _read_forever(socket: Any) -> None:
    while True:
        socket.recv(timeout=15)


def _close_of(gateway: GatewayServer, meeting_id: str, first: str | None) -> tuple[int, str]:
    with connect_events(gateway, meeting_id) as socket:
        if first is not None:
            socket.send(first)
        with pytest.raises(ConnectionClosed) as closed:
            _read_forever(socket)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_events_socket_refusals_have_codes_and_reasons(
    gateway: GatewayServer, client: httpx.Client, meeting: tuple[Account, dict[str, Any]]
) -> None:
    owner, existing = meeting
    outsider = register(client, "Mallory")
    mid = existing["id"]
    auth = '{{"type": "auth", "token": "{}"}}'
    assert _close_of(gateway, mid, auth.format(_expired(gateway, owner))) == (4401, "token expired")
    assert _close_of(gateway, mid, auth.format(_forged(owner)))[0] == 4401
    assert _close_of(gateway, mid, '{"type": "auth"}') == (4401, "missing token")
    assert _close_of(gateway, mid, auth.format(outsider.token)) == (4404, "meeting not found")
    assert _close_of(gateway, "mtg_nope", auth.format(owner.token)) == (4404, "meeting not found")
    assert _close_of(gateway, mid, "{not json")[0] == 4400
    assert _close_of(gateway, mid, '{"type": "subscribe"}')[0] == 4400
    bad_since = f'{{"type": "auth", "token": "{owner.token}", "since": -3}}'
    assert _close_of(gateway, mid, bad_since) == (4400, "since must be a non-negative integer")
    assert gateway.hub_clients == 0


def test_events_socket_without_auth_is_closed_after_5_s(
    gateway: GatewayServer, meeting: tuple[Account, dict[str, Any]]
) -> None:
    started = time.monotonic()
    code, reason = _close_of(gateway, meeting[1]["id"], None)
    waited = time.monotonic() - started
    assert (code, reason) == (4401, "no auth message within 5 s")
    assert 4.5 < waited < 10


def test_a_refused_socket_disturbs_no_other_client(
    gateway: GatewayServer, client: httpx.Client, meeting: tuple[Account, dict[str, Any]]
) -> None:
    owner, existing = meeting
    with connect_events(gateway, existing["id"]) as good:
        good.send(f'{{"type": "auth", "token": "{owner.token}"}}')
        assert '"ready"' in str(good.recv(timeout=10))
        assert _close_of(gateway, existing["id"], "garbage")[0] == 4400
        good.send('{"type": "ping"}')
        assert '"pong"' in str(good.recv(timeout=10))


def test_a_meeting_cannot_be_pointed_at_someone_elses_board(
    client: httpx.Client, settings: Settings
) -> None:
    """A leaked board id must not open that board to a stranger's meeting members."""
    from sqlalchemy.orm import Session

    from vori.auth import new_id
    from vori.db.engine import create_db_engine
    from vori.db.tables import Board

    owner = register(client, "Bo")
    stranger = register(client, "Eve")
    board_id = new_id("brd")
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            session.add(Board(id=board_id, name="Bo's team", owner_id=owner.id))
            session.commit()
    finally:
        engine.dispose()

    forged = client.post(
        "/api/v1/meetings",
        json={"title": "Sneaky", "language": "en", "board_id": board_id},
        headers=stranger.headers,
    )
    assert forged.status_code == 404
    assert forged.json()["detail"] == "board not found"
    missing = client.post(
        "/api/v1/meetings",
        json={"title": "Typo", "language": "en", "board_id": "brd_does_not_exist"},
        headers=owner.headers,
    )
    assert missing.status_code == 404
    assert create_meeting(client, owner, board_id=board_id)["board_id"] == board_id
