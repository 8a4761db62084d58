"""Webhooks through the real gateway, Kafka and PostgreSQL, delivered to a real HTTP
receiver on 127.0.0.1: signed, once, retried with the same delivery id, access and
validation."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from gateway.webhook_payloads import verify
from tests.helpers.gateway import (
    Account,
    GatewayServer,
    create_meeting,
    register,
    serve_gateway,
    wait_for,
)
from tests.helpers.kanban import sessions
from vori.auth import new_id
from vori.db.tables import Board
from vori.events import CardSnapshot, KanbanChange, MeetingSummary
from vori.kafka.producer import EventProducer
from vori.settings import Settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; a path's scripted statuses answer in turn (then 200)."""

    requests: list[Received] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/slow":
                time.sleep(2.5)  # past the gateway's 2 s timeout: a hung receiver
            with state.lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                statuses = state.script.get(self.path, [])
                code = statuses.pop(0) if statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(
        settings,
        webhook_allow_private_targets=True,  # the receiver is on loopback
        webhook_backoff_s=0.1,
        webhook_timeout_s=2.0,
        webhook_max_attempts=3,
    )


@pytest.fixture
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        yield http


def _board(settings: Settings, owner: Account) -> str:
    board_id = new_id("brd")
    with sessions(settings).begin() as session:
        session.add(Board(id=board_id, name="Team", owner_id=owner.id))
    return board_id


def _hook(
    client: httpx.Client, who: Account, board_id: str, url: str, events: list[str]
) -> dict[str, Any]:
    created = client.post(
        "/api/v1/webhooks",
        json={"board_id": board_id, "url": url, "events": events},
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    hook: dict[str, Any] = created.json()
    assert hook["secret"].startswith("whsec_")
    return hook


def _valid(hook: dict[str, Any], request: Received) -> bool:
    timestamp = int(request.headers["X-Vori-Timestamp"])
    signed = request.headers["X-Vori-Signature"]
    return verify(hook["secret"], timestamp, request.body, signed, now=time.time())


def test_an_ended_meeting_reaches_its_boards_webhook_once_and_signed(
    client: httpx.Client, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, base = receiver
    ana = register(client, "Ana")
    board_id = _board(settings, ana)
    hook = _hook(client, ana, board_id, base + "/ended", ["meeting.ended"])
    listed = client.get("/api/v1/webhooks", headers=ana.headers).json()
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    meeting = create_meeting(client, ana, board_id=board_id)
    other = create_meeting(client, ana)  # no board: Ana's personal board has no webhook
    for ended in (meeting, other, meeting):
        answer = client.post(f"/api/v1/meetings/{ended['id']}/end", headers=ana.headers)
        assert answer.status_code in (200, 204), answer.text

    wait_for(lambda: state.on("/ended"), message="the webhook receives the ended meeting")
    time.sleep(1.5)  # time for a duplicate, if there were one
    [request] = state.on("/ended")
    assert _valid(hook, request)
    body = json.loads(request.body)
    assert body["type"] == "meeting.ended"
    assert body["meeting_id"] == meeting["id"]
    assert body["board_id"] is None or body["board_id"] == board_id
    assert request.headers["X-Vori-Delivery"] == body["delivery_id"]
    assert request.headers["X-Vori-Event"] == "meeting.ended"
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ana.headers)
    assert deliveries.status_code == 200, deliveries.text
    [delivery] = deliveries.json()
    assert delivery["id"] == body["delivery_id"]
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "delivered",
        1,
        200,
    )


def test_a_failing_receiver_gets_retries_with_one_delivery_id_and_dead_or_hung_ones_are_given_up(
    client: httpx.Client, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, base = receiver
    state.script["/flaky"] = [500, 500]
    state.script["/dead"] = [503] * 10
    ana = register(client, "Ana")
    board_id = _board(settings, ana)
    flaky = _hook(client, ana, board_id, base + "/flaky", ["summary.final"])
    dead = _hook(client, ana, board_id, base + "/dead", ["summary.final", "meeting.ended"])
    slow = _hook(client, ana, board_id, base + "/slow", ["summary.final"])
    meeting = create_meeting(client, ana, board_id=board_id)
    producer = EventProducer(settings.kafka)
    producer.publish(
        MeetingSummary(
            meeting_id=meeting["id"],
            kind="final",
            overview="We agreed to ship on Friday.",
            decisions=["Ship on Friday"],
            source="rules",
        )
    )
    assert producer.flush(10) == 0

    def settled(hook: dict[str, Any], status: str) -> bool:
        answer = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ana.headers)
        return [d["status"] for d in answer.json()] == [status]

    wait_for(lambda: settled(flaky, "delivered"), message="the flaky receiver gets it")
    wait_for(lambda: settled(dead, "failed"), message="the dead receiver is given up")
    flaky_done = time.monotonic()
    wait_for(lambda: settled(slow, "failed"), message="the hung receiver is given up")
    [timed_out] = client.get(
        f"/api/v1/webhooks/{slow['id']}/deliveries", headers=ana.headers
    ).json()
    assert timed_out["attempts"] == 3
    assert "Timeout" in timed_out["last_error"]
    # The hung receiver held up neither the flaky one nor the dead one.
    assert time.monotonic() - flaky_done > 1.0
    attempts = state.on("/flaky")
    assert len(attempts) == 3
    assert len({a.headers["X-Vori-Delivery"] for a in attempts}) == 1
    assert all(_valid(flaky, a) for a in attempts)
    assert json.loads(attempts[-1].body)["data"]["decisions"] == ["Ship on Friday"]
    assert len(state.on("/dead")) == 3
    [given_up] = client.get(f"/api/v1/webhooks/{dead['id']}/deliveries", headers=ana.headers).json()
    assert (given_up["attempts"], given_up["last_status_code"]) == (3, 503)


def test_a_card_created_on_the_board_reaches_a_hook_that_wants_it_and_no_other(
    client: httpx.Client, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    state, base = receiver
    ana = register(client, "Ana")
    board_id = _board(settings, ana)
    cards = _hook(client, ana, board_id, base + "/cards", ["card.created"])
    _hook(client, ana, board_id, base + "/ends", ["meeting.ended"])
    card = CardSnapshot(id=new_id("crd"), board_id=board_id, column="To do", title="Ship it")
    producer = EventProducer(settings.kafka)
    for change in ("created", "moved"):
        producer.publish(KanbanChange(board_id=board_id, change=change, card=card, actor="Ana"))
    assert producer.flush(10) == 0

    wait_for(lambda: state.on("/cards"), message="the card hook hears the new card")
    time.sleep(1.0)
    [request] = state.on("/cards")
    assert _valid(cards, request)
    body = json.loads(request.body)
    assert (body["type"], body["board_id"]) == ("card.created", board_id)
    assert body["data"]["card"]["title"] == "Ship it"
    assert state.on("/ends") == []


def test_another_boards_member_cannot_see_or_manage_its_webhooks(
    client: httpx.Client, settings: Settings, receiver: tuple[Receiver, str]
) -> None:
    _state, base = receiver
    ana, eve = register(client, "Ana"), register(client, "Eve")
    board_id = _board(settings, ana)
    _board(settings, eve)
    hook = _hook(client, ana, board_id, base + "/private", ["card.created"])
    refused = client.post(
        "/api/v1/webhooks",
        json={"board_id": board_id, "url": base + "/eve", "events": ["card.created"]},
        headers=eve.headers,
    )
    assert refused.status_code == 404
    assert client.get("/api/v1/webhooks", headers=eve.headers).json() == []
    for method, path in (
        ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries"),
        ("DELETE", f"/api/v1/webhooks/{hook['id']}"),
    ):
        assert client.request(method, path, headers=eve.headers).status_code == 404
    assert client.get("/api/v1/webhooks").status_code == 401
    deleted = client.delete(f"/api/v1/webhooks/{hook['id']}", headers=ana.headers)
    assert deleted.status_code == 204
    assert client.get("/api/v1/webhooks", headers=ana.headers).json() == []


@pytest.mark.parametrize(
    ("url", "events"),
    [
        ("ftp://example.com/hook", ["meeting.ended"]),
        ("javascript:alert(1)//", ["meeting.ended"]),
        ("https://example.com/hook", ["meeting.started"]),
        ("https://example.com/hook", []),
    ],
)
def test_a_bad_url_or_event_is_refused_with_422(
    client: httpx.Client, settings: Settings, url: str, events: list[str]
) -> None:
    ana = register(client, "Ana")
    board_id = _board(settings, ana)
    answer = client.post(
        "/api/v1/webhooks",
        json={"board_id": board_id, "url": url, "events": events},
        headers=ana.headers,
    )
    assert answer.status_code == 422, answer.text
