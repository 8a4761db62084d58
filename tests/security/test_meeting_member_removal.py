"""Removing a person from a meeting (or leaving it) revokes their access at once: 404 on
every route, their live events connection closed, and no further events."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from tests.helpers.gateway import (
    EventsClient,
    GatewayServer,
    add_member,
    connect_events,
    create_meeting,
    register,
    serve_gateway,
)
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _events(server: GatewayServer, meeting_id: str, token: str) -> EventsClient:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": token})
    assert events.receive()["type"] == "ready"
    return events


def _drain(events: EventsClient, timeout: float) -> None:
    while True:
        events.receive(timeout=timeout)


def _closed_with(events: EventsClient, timeout: float = 15.0) -> tuple[int, str]:
    """Read until the server closes the connection: its close code and reason."""
    with pytest.raises(ConnectionClosed) as closed:
        _drain(events, timeout)
    frame = closed.value.rcvd
    assert frame is not None, "closed without a close frame"
    return frame.code, frame.reason


def test_a_removed_member_gets_404_and_their_live_connection_is_closed(
    gateway: GatewayServer, client: httpx.Client
) -> None:
    owner, bea, cy = register(client), register(client), register(client)
    meeting = create_meeting(client, owner)
    add_member(client, owner, meeting["id"], bea)
    add_member(client, owner, meeting["id"], cy)
    url = f"/api/v1/meetings/{meeting['id']}"
    bea_live = _events(gateway, meeting["id"], bea.token)
    cy_live = _events(gateway, meeting["id"], cy.token)

    refused = client.delete(f"{url}/members/{cy.id}", headers=bea.headers)
    assert refused.status_code == 403, "only the owner removes others"
    removed = client.delete(f"{url}/members/{bea.id}", headers=owner.headers)
    assert removed.status_code == 204, removed.text

    assert _closed_with(bea_live) == (4404, "you are no longer a member of this meeting")
    assert client.get(url, headers=bea.headers).status_code == 404
    assert client.get(f"{url}/transcript", headers=bea.headers).status_code == 404
    assert meeting["id"] not in [
        m["id"] for m in client.get("/api/v1/meetings", headers=bea.headers).json()
    ]
    again = _events_refused(gateway, meeting["id"], bea.token)
    assert again == 4404

    # The others stay connected and learn who left.
    notice = cy_live.receive_until(lambda m: m["type"] == "member.removed")[-1]
    assert notice["user_id"] == bea.id
    members = client.get(url, headers=owner.headers).json()["members"]
    assert bea.id not in [m["user_id"] for m in members]


def test_a_member_may_leave_and_the_owner_may_not(
    gateway: GatewayServer, client: httpx.Client
) -> None:
    owner, bea = register(client), register(client)
    meeting = create_meeting(client, owner)
    add_member(client, owner, meeting["id"], bea)
    url = f"/api/v1/meetings/{meeting['id']}/members"
    assert client.delete(f"{url}/{owner.id}", headers=owner.headers).status_code == 409
    assert client.delete(f"{url}/{bea.id}", headers=bea.headers).status_code == 204
    assert client.delete(f"{url}/{bea.id}", headers=owner.headers).status_code == 404
    gone: Any = client.get(f"/api/v1/meetings/{meeting['id']}", headers=bea.headers)
    assert gone.status_code == 404


def _events_refused(server: GatewayServer, meeting_id: str, token: str) -> int:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": token})
    code, _reason = _closed_with(events)
    return code
