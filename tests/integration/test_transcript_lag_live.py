"""A transcriber's load report reaches the lagging meeting's events WebSocket, and only it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers.gateway import (
    EventsClient,
    GatewayServer,
    connect_events,
    create_meeting,
    produce,
    register,
    serve_gateway,
)
from vori.events import MeetingLag, TranscriberLoad
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


def _events(server: GatewayServer, meeting_id: str, token: str) -> EventsClient:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": token})
    assert events.receive()["type"] == "ready"
    return events


def _is_lag(message: dict[str, Any]) -> bool:
    return message["type"] == "transcript.lag"


def test_participants_hear_how_far_behind_their_transcript_is_and_when_it_caught_up(
    gateway: GatewayServer, settings: Settings
) -> None:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        owner = register(client, "Ana")
        behind = create_meeting(client, owner)
        fine = create_meeting(client, owner)
    lagging = _events(gateway, behind["id"], owner.token)
    other = _events(gateway, fine["id"], owner.token)

    produce(
        settings,
        TranscriberLoad(
            instance="t-test",
            level="over_capacity",
            lag_s=4.2,
            over_capacity=True,
            meetings=[MeetingLag(meeting_id=behind["id"], lag_s=4.2, streams_behind=2)],
        ),
    )
    got = lagging.receive_until(_is_lag)[-1]
    assert got["lagging"] is True
    assert got["lag_s"] == 4.2
    assert got["streams_behind"] == 2
    assert got["meeting_id"] == behind["id"]

    produce(
        settings,
        TranscriberLoad(
            instance="t-test",
            level="normal",
            lag_s=0.2,
            meetings=[MeetingLag(meeting_id=behind["id"], lag_s=0.0)],
        ),
    )
    cleared = lagging.receive_until(_is_lag)[-1]
    assert cleared["lagging"] is False
    # The other meeting heard nothing of it.
    with pytest.raises(TimeoutError):
        other.receive_until(_is_lag, timeout=1.0)
