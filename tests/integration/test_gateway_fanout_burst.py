"""A burst of one meeting's finals against real gateways, Kafka and PostgreSQL (issue 16):
it does not hold up another meeting's live finals, and a client of the bursting meeting,
even one that subscribes in the middle of it, gets every final once and in seq order."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from gateway.event_log import latest_seq
from tests.helpers.gateway import (
    EventsClient,
    GatewayServer,
    add_member,
    create_meeting,
    open_events,
    produce,
    register,
    segment,
    serve_gateway,
    settings_for_gateway,
    start_later_gateways_here,
    wait_for,
)
from vori.settings import Settings

# Before issue 16's change the fan-out numbered each of them in the log first: at ~11 ms a
# final (measured, tests/integration/measure_event_log_writers.py) 2,000 of them held up
# the other meeting's final for ~20 s; skipped, they cost it well under a second.
BURST = 2000
LIVE_BOUND_S = 5.0


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)
    # ~4,300 finals: later tests' gateways need not store them all before their own.
    start_later_gateways_here(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def finals_until(events: EventsClient, last: str, timeout: float) -> list[tuple[int, str]]:
    """(seq, text) of every final received up to the one saying `last`."""
    got = events.receive_until(
        lambda m: m["type"] == "transcript.final" and m["segment"]["text"] == last, timeout
    )
    return [(m["seq"], m["segment"]["text"]) for m in got if m["type"] == "transcript.final"]


def logged(server: GatewayServer, meeting_id: str) -> int:
    with server.app.state.gateway.sessions() as session:
        return latest_seq(session, meeting_id)


def test_a_burst_of_another_meetings_finals_does_not_delay_a_watched_meetings_final(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner = register(client)
    busy = create_meeting(client, owner)["id"]
    live = create_meeting(client, owner)["id"]
    watcher = open_events(gateway, live, owner)
    produce(settings, *[segment(busy, owner, i * 3.0, f"burst {i}") for i in range(BURST)])
    sent = time.monotonic()
    produce(settings, segment(live, owner, 0.0, "the watched meeting goes on"))
    got = finals_until(watcher, "the watched meeting goes on", timeout=60)
    delay = time.monotonic() - sent
    assert got == [(1, "the watched meeting goes on")]
    assert delay < LIVE_BOUND_S, f"the watched meeting's final took {delay:.1f} s"
    # Nothing of the burst is lost: the persistence consumer numbers all of it, and the
    # fan-out lets go of what it held once the persistence group has committed past it.
    wait_for(lambda: logged(gateway, busy) == BURST, timeout=120, message="the burst logged")
    handler = gateway.app.state.gateway.consumers.live_handler
    wait_for(lambda: len(handler.skipped) == 0, timeout=30, message="held work dropped")


def test_a_client_of_the_bursting_meeting_gets_each_final_once_in_order(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner = register(client)
    busy = create_meeting(client, owner)["id"]
    events = open_events(gateway, busy, owner)
    texts = [f"burst {i}" for i in range(300)]
    produce(settings, *[segment(busy, owner, i * 3.0, t) for i, t in enumerate(texts)])
    got = finals_until(events, texts[-1], timeout=60)
    assert got == list(zip(range(1, len(texts) + 1), texts, strict=True))


def test_a_client_subscribing_mid_burst_on_a_process_not_numbering_it_misses_nothing(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    """The race of skipping: a second process's fan-out skipped the burst (nobody there
    watched), its client subscribes and replays the log while the first process's
    persistence consumer is still numbering, and that consumer publishes only to its own
    process's clients. The second process must still hand over the rest."""
    second = GatewayServer(
        settings_for_gateway(settings, persist_group=gateway.settings.gateway.persist_group)
    )
    second.start()
    try:
        # The second process persists nothing: the first one numbers every event.
        second.app.state.gateway.consumers.persist.stop()
        time.sleep(3)  # its persistence consumer leaves the group; the first takes over
        owner = register(client)
        busy = create_meeting(client, owner)["id"]
        texts = [f"burst {i}" for i in range(1000)]
        produce(settings, *[segment(busy, owner, i * 3.0, t) for i, t in enumerate(texts)])
        events = open_events(second, busy, owner, since=0)
        assert logged(gateway, busy) < len(texts), "subscribed after the burst was numbered"
        got = finals_until(events, texts[-1], timeout=90)
        assert got == list(zip(range(1, len(texts) + 1), texts, strict=True))
    finally:
        second.stop()


def test_a_notification_channel_opened_mid_burst_gets_the_mention_in_it(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    """The same race for notifications: the fan-out skipped the mention (no channel of
    anyone it names was open), the channel opens and counts before the persistence
    consumer has recorded it; the fan-out must still push it."""
    ana = register(client)
    bora = register(client, f"Bora{uuid.uuid4().hex[:6]}")
    busy = create_meeting(client, ana)["id"]
    add_member(client, ana, busy, bora)
    burst = [segment(busy, ana, i * 3.0, f"burst {i}") for i in range(999)]
    mention = segment(busy, ana, 999 * 3.0, f"{bora.name} will send the survey")
    produce(settings, *burst, mention)
    with connect(f"{gateway.ws_url}/api/v1/notifications/events") as ws:
        ws.send(json.dumps({"type": "auth", "token": bora.token}))
        ready = json.loads(ws.recv(timeout=10))
        assert ready == {"type": "ready", "unread": 0}, "opened after the mention was recorded"
        while True:
            message = json.loads(ws.recv(timeout=90))
            if message["type"] == "notification":
                break
    assert message["notification"]["segment_id"] == mention.id
    assert message["unread"] == 1
