"""Measurement, not a test of the suite (its name keeps it out of `make test`): the delay
of a final from Kafka to an events-WebSocket client with the gateway's fan-out consumer
numbering durable events in the event log as it does (MODE=before: the code as it is;
since issue 16's last item only for meetings a client of its process follows,
gateway/fanout.py), or only reading the persistence consumer's numbering (MODE=after: a
prototype patched in here, not in the gateway, that polls the log every 10 ms for the
row; LISTEN/NOTIFY would save at most those 10 ms and could not help the backlog case).
Issue 16; the numbers and the argument are in docs/protocol.md ("Who numbers durable
events").

    MODE=before .venv/bin/python -m pytest -s -p no:randomly \
        tests/integration/measure_event_log_writers.py
    MODE=after .venv/bin/python -m pytest -s -p no:randomly \
        tests/integration/measure_event_log_writers.py

Each case prints a RESULT line (JSON) and appends it to $RESULTS
(default /tmp/event-log-writers.jsonl).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from typing import Any

import httpx
from sqlalchemy import select

from gateway import event_log, fanout, fanout_skips, metrics, notification_store
from gateway.hub import Delivery
from gateway.live_events import live_events_for
from tests.helpers.gateway import (
    EventsClient,
    GatewayServer,
    connect_events,
    create_meeting,
    produce,
    register,
    segment,
    settings_for_gateway,
)
from vori.db.tables import MeetingEventRow
from vori.events import utc_now
from vori.settings import Settings

MODE = os.environ.get("MODE", "before")


def _read_only_call(self: fanout.LiveHandler, event: Any, context: Any) -> None:
    """LiveHandler.__call__ writing nothing: partials at once, durable events once the
    persistence consumer has numbered them."""
    metrics.EVENTS_CONSUMED.labels("live", context.topic).inc()
    received, at = time.monotonic(), utc_now()
    events = live_events_for(event)
    for live in events:
        if not live.durable and live.meeting_id is not None:
            self.publish(
                Delivery(live.meeting_id, live.type, at.isoformat(), live.payload, None, received)
            )
    for live in events:
        if not live.durable or live.meeting_id is None:
            continue
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with self.sessions() as session:
                row = session.scalars(
                    select(MeetingEventRow).where(
                        MeetingEventRow.meeting_id == live.meeting_id,
                        MeetingEventRow.dedup_key == live.dedup_key,
                    )
                ).first()
                if row is not None:
                    self.publish(fanout.delivery(event_log._logged(row), received))
                    break
            time.sleep(0.01)
    if fanout_skips.may_notify(event):  # unchanged: notifications are not the event log
        with self.sessions.begin() as session:
            deliveries = fanout.notification_deliveries(
                session, notification_store.record_event(session, event)
            )
        for user_id, delivery in deliveries:
            self.notify(user_id, delivery)


if MODE == "after":
    fanout.LiveHandler.__call__ = _read_only_call  # type: ignore[method-assign]


def open_events(server: GatewayServer, meeting_id: str, token: str) -> EventsClient:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": token})
    assert events.receive()["type"] == "ready"
    return events


def stats(name: str, delays_ms: list[float]) -> dict[str, Any]:
    ms = sorted(delays_ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    out = {
        "mode": MODE,
        "case": name,
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(p95, 1),
        "max": round(ms[-1], 1),
    }
    print("\nRESULT", json.dumps(out))
    with open(os.environ.get("RESULTS", "/tmp/event-log-writers.jsonl"), "a") as f:
        f.write(json.dumps(out) + "\n")
    return out


class Reader(threading.Thread):
    def __init__(self, events: EventsClient) -> None:
        super().__init__(daemon=True)
        self.events = events
        self.got: dict[str, tuple[float, int]] = {}
        self.stop = False

    def run(self) -> None:
        while not self.stop:
            try:
                m = self.events.receive(timeout=0.5)
            except TimeoutError:
                continue
            if m["type"] == "transcript.final":
                self.got.setdefault(m["segment"]["text"], (time.monotonic(), m["seq"]))


def drive(
    settings: Settings, meeting: str, owner: Any, n: int, gap_s: float, during: Any = None
) -> dict[str, float]:
    sent: dict[str, float] = {}
    for i in range(n):
        if during is not None:
            during(i)
        text = f"final {i} of the measurement"
        sent[text] = time.monotonic()
        produce(settings, segment(meeting, owner, i * 3.0, text))
        time.sleep(gap_s)
    return sent


def delays(sent: dict[str, float], reader: Reader) -> list[float]:
    deadline = time.monotonic() + 90
    while len(reader.got) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    missing = set(sent) - set(reader.got)
    assert not missing, missing
    seqs = [reader.got[t][1] for t in sent]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    return [(reader.got[t][0] - sent[t]) * 1000 for t in sent]


def test_measure(settings: Settings) -> None:
    server = GatewayServer(settings_for_gateway(settings))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            # 1. one gateway, 40 finals one after another
            owner = register(http)
            meeting = create_meeting(http, owner)["id"]
            reader = Reader(open_events(server, meeting, owner.token))
            reader.start()
            sent = drive(settings, meeting, owner, 40, 0.2)
            stats("one gateway", delays(sent, reader))
            reader.stop = True

            # 2. two gateways sharing the persist group, a client on each
            second = GatewayServer(
                settings_for_gateway(settings, persist_group=server.settings.gateway.persist_group)
            )
            second.start()
            time.sleep(12)  # let the persist group settle
            meeting = create_meeting(http, owner)["id"]
            here = Reader(open_events(server, meeting, owner.token))
            here.start()
            there = Reader(open_events(second, meeting, owner.token))
            there.start()
            sent = drive(settings, meeting, owner, 40, 0.2)
            stats("two gateways, client on first", delays(sent, here))
            stats("two gateways, client on second", delays(sent, there))
            here.stop = there.stop = True

            # 3. the second gateway stops while finals flow (the persist group rebalances)
            meeting = create_meeting(http, owner)["id"]
            here = Reader(open_events(server, meeting, owner.token))
            here.start()

            def during(i: int) -> None:
                if i == 10:
                    threading.Thread(target=second.stop, daemon=True).start()

            sent = drive(settings, meeting, owner, 60, 0.25, during)
            stats("second gateway stops mid-stream, client on first", delays(sent, here))
            here.stop = True

            # 4. a third gateway joins the persist group while finals flow
            meeting = create_meeting(http, owner)["id"]
            here = Reader(open_events(server, meeting, owner.token))
            here.start()
            third = GatewayServer(
                settings_for_gateway(settings, persist_group=server.settings.gateway.persist_group)
            )

            def during2(i: int) -> None:
                if i == 10:
                    threading.Thread(target=third.start, daemon=True).start()

            sent = drive(settings, meeting, owner, 60, 0.25, during2)
            stats("another gateway joins mid-stream, client on first", delays(sent, here))
            here.stop = True
            third.stop()
    finally:
        server.stop()


def test_backlog(settings: Settings) -> None:
    """A gateway starts while the persistence group has a backlog (events produced while no
    gateway ran, here 3000 finals of another meeting); a member of a live meeting waits for
    finals produced after the start."""
    first = GatewayServer(settings_for_gateway(settings))
    first.start()
    with httpx.Client(base_url=first.url, timeout=30) as http:
        owner = register(http)
        busy = create_meeting(http, owner)["id"]
        live = create_meeting(http, owner)["id"]
    first.stop()
    produce(settings, *[segment(busy, owner, i * 3.0, f"backlog {i}") for i in range(3000)])
    server = GatewayServer(settings_for_gateway(settings))
    server.start()
    try:
        reader = Reader(open_events(server, live, owner.token))
        reader.start()
        sent = drive(settings, live, owner, 30, 0.2)
        stats("gateway starts with a persist backlog of 3000 finals", delays(sent, reader))
        reader.stop = True
    finally:
        server.stop()


def test_burst(settings: Settings) -> None:
    """While a gateway runs, 3000 finals of one meeting arrive at once (a transcribed upload
    comes in bursts, docs/batch-transcription.md); a member of another meeting waits for
    finals produced right after."""
    server = GatewayServer(settings_for_gateway(settings))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            owner = register(http)
            busy = create_meeting(http, owner)["id"]
            live = create_meeting(http, owner)["id"]
        reader = Reader(open_events(server, live, owner.token))
        reader.start()
        produce(settings, *[segment(busy, owner, i * 3.0, f"burst {i}") for i in range(3000)])
        sent = drive(settings, live, owner, 30, 0.2)
        stats("3000 finals of another meeting arrive at once", delays(sent, reader))
        reader.stop = True
    finally:
        server.stop()
