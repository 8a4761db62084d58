"""In-app notifications through the real kanban app, Kafka, PostgreSQL and gateway: a card
assigned to someone reaches their live channel and list, is read, stays single on a
replay, is nobody else's (404), and mentions and due-tomorrow cards notify the same way."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import ClientConnection, connect

from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    create_meeting,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from tests.helpers.kanban import (
    changes_for_board,
    item,
    kanban_api,
    proposal_consumer,
    publish,
)
from vori.events import TaskProposal, task_key_for
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    # A due check every second, so that the test sees one.
    yield from serve_gateway(settings, due_check_interval_s=1.0)


@pytest.fixture(scope="module")
def kanban(settings: Settings) -> Iterator[TestClient]:
    with kanban_api(settings) as client:
        yield client


@pytest.fixture
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _person(client: httpx.Client, first: str) -> Account:
    # Names unique to the test: an assignee names people by display name.
    return register(client, f"{first}{uuid.uuid4().hex[:6]}")


def _ok(answer: Any, code: int = 200) -> Any:
    assert answer.status_code == code, answer.text
    return answer.json()


def _listing(client: httpx.Client, who: Account, **params: Any) -> dict[str, Any]:
    listing: dict[str, Any] = _ok(
        client.get("/api/v1/notifications", params=params, headers=who.headers)
    )
    return listing


@contextmanager
def _channel(gateway: GatewayServer, who: Account) -> Iterator[ClientConnection]:
    """The person's notifications socket, authenticated."""
    with connect(f"{gateway.ws_url}/api/v1/notifications/events") as ws:
        ws.send(json.dumps({"type": "auth", "token": who.token}))
        yield ws


def _next_notification(ws: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
        if message["type"] == "notification":
            return message


def _board_with(kanban: TestClient, owner: Account, *members: Account) -> str:
    board = _ok(kanban.post("/api/v1/boards", json={"name": "Launch"}, headers=owner.headers), 201)
    for member in members:
        added = kanban.post(
            f"/api/v1/boards/{board['id']}/members",
            json={"email": member.email},
            headers=owner.headers,
        )
        _ok(added, 201)
    return str(board["id"])


def _card(kanban: TestClient, who: Account, board_id: str, title: str, **fields: Any) -> str:
    body = {"board_id": board_id, "title": title, **fields}
    return str(_ok(kanban.post("/api/v1/cards", json=body, headers=who.headers), 201)["id"])


def test_an_assignment_reaches_the_assignee_live_is_read_and_is_nobody_elses(
    gateway: GatewayServer, kanban: TestClient, client: httpx.Client, settings: Settings
) -> None:
    ana, bora, outsider = (_person(client, n) for n in ("Ana", "Bora", "Oscar"))
    board_id = _board_with(kanban, ana, bora)
    with _channel(gateway, bora) as ws:
        ready = json.loads(ws.recv(timeout=10))
        assert ready == {"type": "ready", "unread": 0}
        card_id = _card(kanban, ana, board_id, "Send the survey", assignee=bora.name.upper())
        pushed = _next_notification(ws)
    note = pushed["notification"]
    assert pushed["unread"] == 1
    assert (note["kind"], note["card_id"], note["board_id"]) == ("assigned", card_id, board_id)
    assert (note["title"], note["actor"], note["read"]) == ("Send the survey", ana.name, False)

    listing = _listing(client, bora)
    assert listing["unread"] == 1
    assert [n["id"] for n in listing["notifications"]] == [note["id"]]

    # Nobody else sees it or reads it: the outsider, nor the board's owner who assigned it.
    for other in (outsider, ana):
        assert _listing(client, other)["notifications"] == []
        refused = client.post(f"/api/v1/notifications/{note['id']}/read", headers=other.headers)
        missing = client.post("/api/v1/notifications/ntf_doesnotexist/read", headers=other.headers)
        assert refused.status_code == missing.status_code == 404
        assert refused.json() == missing.json()
    assert _listing(client, bora)["unread"] == 1

    # A replay of the card's creation adds nothing; a self-assignment notifies nobody; a
    # later assignment on the same partition shows both were handled.
    [created] = changes_for_board(settings, board_id, 1)
    produce(settings, created)
    _card(kanban, bora, board_id, "My own chore", assignee=bora.name)
    marker = _card(kanban, ana, board_id, "Book the room", assignee=bora.email)
    wait_for(
        lambda: any(n["card_id"] == marker for n in _listing(client, bora)["notifications"]),
        timeout=30,
        message="the second assignment",
    )
    listing = _listing(client, bora)
    assert [n["card_id"] for n in listing["notifications"]] == [marker, card_id]
    assert listing["unread"] == 2

    # Paged newest first, then read one, then all.
    first = _listing(client, bora, limit=1)
    assert [n["card_id"] for n in first["notifications"]] == [marker]
    second = _listing(client, bora, limit=1, before=first["next_before"])
    assert [n["card_id"] for n in second["notifications"]] == [card_id]
    assert second["next_before"] is None
    read = _ok(client.post(f"/api/v1/notifications/{note['id']}/read", headers=bora.headers))
    assert read["read"] is True
    assert _listing(client, bora)["unread"] == 1
    assert _ok(client.post("/api/v1/notifications/read-all", headers=bora.headers)) == {
        "marked": 1,
        "unread": 0,
    }

    # Losing access to the board hides its notifications, as a 404 would.
    removed = kanban.delete(f"/api/v1/boards/{board_id}/members/{bora.id}", headers=ana.headers)
    assert removed.status_code == 204, removed.text
    assert _listing(client, bora)["notifications"] == []
    gone = client.post(f"/api/v1/notifications/{note['id']}/read", headers=bora.headers)
    assert gone.status_code == 404


def test_a_task_a_meeting_assigns_reaches_a_board_member_who_was_not_in_it(
    gateway: GatewayServer, kanban: TestClient, client: httpx.Client, settings: Settings
) -> None:
    ana, chul = _person(client, "Ana"), _person(client, "Chul")
    board_id = _board_with(kanban, ana, chul)
    meeting = create_meeting(client, ana, title="Fair prep", board_id=board_id)
    key = task_key_for(meeting["id"], "order the banners")
    task = item(key, "Order the banners", assignee=chul.name, quote=f"{chul.name} orders them")
    with proposal_consumer(settings, f"notifications-test-{uuid.uuid4().hex[:8]}"):
        publish(settings, TaskProposal(meeting_id=meeting["id"], items=[task], source="rules"))
        wait_for(
            lambda: _listing(client, chul)["notifications"] != [],
            timeout=60,
            message="Chul's notification",
        )
    [note] = _listing(client, chul)["notifications"]
    assert (note["kind"], note["title"], note["actor"]) == (
        "assigned",
        "Order the banners",
        "Fair prep",
    )
    assert (note["meeting_id"], note["board_id"]) == (meeting["id"], board_id)
    assert _listing(client, ana)["notifications"] == []


def test_a_member_named_in_a_meeting_they_did_not_speak_in_is_notified_once(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    ana, bora, outsider = (_person(client, n) for n in ("Ana", "Bora", "Oscar"))
    meeting = create_meeting(client, ana, title="Planning")
    add_member(client, ana, meeting["id"], bora)
    said = segment(meeting["id"], ana, 3.0, f"{bora.name} will send the survey, {outsider.name}?")
    with _channel(gateway, bora) as ws:
        json.loads(ws.recv(timeout=10))
        produce(settings, said)
        pushed = _next_notification(ws)
    note = pushed["notification"]
    assert (note["kind"], note["meeting_id"], note["segment_id"]) == (
        "mention",
        meeting["id"],
        said.id,
    )
    assert (note["title"], note["actor"], note["at_s"]) == ("Planning", ana.name, 3.0)
    produce(settings, said)  # a replay
    # Ana spoke (her own name would not count); the outsider is no member.
    ana_speaks = segment(meeting["id"], bora, 9.0, f"Thanks {ana.name}")
    produce(settings, ana_speaks)
    wait_for(
        lambda: (
            len(_listing(client, bora)["notifications"]) == 1
            and _stored_segments(client, ana, meeting["id"]) == 2
        ),
        timeout=30,
        message="both segments stored",
    )
    assert _listing(client, ana)["notifications"] == []
    assert _listing(client, outsider)["notifications"] == []


def _stored_segments(client: httpx.Client, who: Account, meeting_id: str) -> int:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=who.headers)
    return len(answer.json()["segments"]) if answer.status_code == 200 else 0


def test_a_card_due_tomorrow_notifies_its_assignee_once(
    gateway: GatewayServer, kanban: TestClient, client: httpx.Client
) -> None:
    ana, bora = _person(client, "Ana"), _person(client, "Bora")
    board_id = _board_with(kanban, ana, bora)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    card_id = _card(
        kanban, bora, board_id, "Pay the invoice", assignee=bora.name, due_date=tomorrow
    )
    _card(kanban, bora, board_id, "Later", assignee=bora.name, due_date="2099-01-01")

    def due() -> list[dict[str, Any]]:
        return [n for n in _listing(client, bora)["notifications"] if n["kind"] == "due"]

    wait_for(lambda: due(), timeout=30, message="the due notification")
    checks = gateway.app.state.gateway.consumers.due_check.checks
    wait_for(
        lambda: gateway.app.state.gateway.consumers.due_check.checks >= checks + 2,
        timeout=30,
        message="two more checks",
    )
    [note] = due()
    assert (note["card_id"], note["due_date"]) == (card_id, tomorrow)
