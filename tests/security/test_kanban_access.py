"""Who may see and work a board: owner and explicit members all of it, members of a meeting
that feeds it that meeting's cards only. Outsiders get 404 exactly like a board or card
that does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from kanban.proposals import ProposalApplier
from tests.helpers.kanban import Person, item, kanban_api, make_meeting, make_person, sessions
from vori.auth import Principal, issue_token
from vori.db.tables import Card
from vori.events import TaskProposal, task_key_for
from vori.settings import GatewaySettings, Settings


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    with kanban_api(settings) as client:
        yield client


@pytest.fixture
def world(api: TestClient, settings: Settings) -> dict[str, Any]:
    """Ada owns a team board fed by a meeting with Bea; Eve is an outsider."""
    ada, bea, eve = (make_person(settings, n) for n in ("Ada", "Bea", "Eve"))
    board = api.post("/api/v1/boards", json={"name": "Secret plans"}, headers=ada.auth).json()
    card = api.post(
        "/api/v1/cards", json={"board_id": board["id"], "title": "Plan"}, headers=ada.auth
    ).json()
    meeting = make_meeting(settings, ada, [bea], board_id=board["id"])
    return {"ada": ada, "bea": bea, "eve": eve, "board": board, "card": card, "meeting": meeting}


def _requests(board: dict[str, Any], card_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    b, column = board["id"], board["columns"][0]["id"]
    return [
        ("get", f"/api/v1/boards/{b}", None),
        ("patch", f"/api/v1/boards/{b}", {"name": "mine now"}),
        ("get", f"/api/v1/boards/{b}/members", None),
        ("post", f"/api/v1/boards/{b}/columns", {"name": "Loot"}),
        ("patch", f"/api/v1/boards/{b}/columns/{column}", {"name": "Loot"}),
        ("delete", f"/api/v1/boards/{b}/columns/{column}", None),
        ("get", f"/api/v1/cards?board_id={b}", None),
        ("post", "/api/v1/cards", {"board_id": b, "title": "spam"}),
        ("get", f"/api/v1/cards/{card_id}", None),
        ("patch", f"/api/v1/cards/{card_id}", {"title": "pwned", "version": 1}),
        (
            "post",
            f"/api/v1/cards/{card_id}/move",
            {"column_id": column, "position": 0, "version": 1},
        ),
        ("post", f"/api/v1/cards/{card_id}/archive", {"version": 1}),
        ("get", f"/api/v1/cards/{card_id}/history", None),
    ]


def _call(api: TestClient, method: str, url: str, body: Any, person: Person) -> Any:
    if body is None:
        return api.request(method.upper(), url, headers=person.auth)
    return api.request(method.upper(), url, json=body, headers=person.auth)


def test_outsiders_get_404_exactly_like_a_missing_board_or_card(
    api: TestClient, world: dict[str, Any]
) -> None:
    eve, board, card = world["eve"], world["board"], world["card"]
    missing_board = {**board, "id": "brd_doesnotexist00000000"}
    for (method, url, body), (_, missing_url, missing_body) in zip(
        _requests(board, card["id"]),
        _requests(missing_board, "card_doesnotexist0000000"),
        strict=True,
    ):
        real = _call(api, method, url, body, eve)
        absent = _call(api, method, missing_url, missing_body, eve)
        assert real.status_code == 404, (method, url, real.text)
        assert absent.status_code == 404, (method, missing_url, absent.text)
        shape = real.json()["detail"].replace(board["id"], "ID").replace(card["id"], "ID")
        missing = absent.json()["detail"].replace("brd_doesnotexist00000000", "ID")
        assert shape == missing.replace("card_doesnotexist0000000", "ID")

    assert world["board"]["id"] not in [
        b["id"] for b in api.get("/api/v1/boards", headers=eve.auth).json()
    ]
    unchanged = api.get(f"/api/v1/cards/{card['id']}", headers=world["ada"].auth).json()
    assert (unchanged["title"], unchanged["version"], unchanged["archived"]) == ("Plan", 1, False)


def _meeting_card(settings: Settings, meeting_id: str, title: str) -> str:
    """A card proposed by a meeting (as the summarizer's proposals arrive); its id."""
    key = task_key_for(meeting_id, title)
    ProposalApplier(sessions(settings)).apply(
        TaskProposal(meeting_id=meeting_id, items=[item(key, title)], source="llm"),
        message_id=f"test:{meeting_id}:{key}",
    )
    with sessions(settings)() as session:
        card_id = session.scalar(select(Card.id).where(Card.task_key == key))
    assert card_id is not None
    return card_id


def _titles(board: dict[str, Any]) -> list[str]:
    return sorted(c["title"] for column in board["columns"] for c in column["cards"])


def test_meeting_members_see_and_work_their_meetings_cards_and_no_others(
    api: TestClient, settings: Settings, world: dict[str, Any]
) -> None:
    ada, bea, board = world["ada"], world["bea"], world["board"]
    ours = _meeting_card(settings, world["meeting"], "Send the survey")
    boards = api.get("/api/v1/boards", headers=bea.auth).json()
    shared = [b for b in boards if b["id"] == board["id"]]
    assert shared
    assert (shared[0]["access"], shared[0]["open_cards"]) == ("meeting", 1)
    assert shared[0]["meeting_ids"] == [world["meeting"]]
    narrowed = api.get(
        "/api/v1/boards", params={"meeting_id": world["meeting"]}, headers=bea.auth
    ).json()
    assert [b["id"] for b in narrowed] == [board["id"]]
    moved = api.post(
        f"/api/v1/cards/{ours}/move",
        json={"column_id": board["columns"][1]["id"], "position": 0, "version": 1},
        headers=bea.auth,
    )
    assert moved.status_code == 200, moved.text

    # The board's own card ("Plan", from no meeting) is Ada's and her board members' only.
    seen = api.get(f"/api/v1/boards/{board['id']}", headers=bea.auth).json()
    assert _titles(seen) == ["Send the survey"]
    assert _titles(api.get(f"/api/v1/boards/{board['id']}", headers=ada.auth).json()) == [
        "Plan",
        "Send the survey",
    ]
    listed = api.get("/api/v1/cards", params={"board_id": board["id"]}, headers=bea.auth).json()
    assert [c["title"] for c in listed] == ["Send the survey"]
    assert api.get(f"/api/v1/cards/{world['card']['id']}", headers=bea.auth).status_code == 404
    touch = api.patch(
        f"/api/v1/cards/{world['card']['id']}", json={"title": "x", "version": 1}, headers=bea.auth
    )
    assert touch.status_code == 404

    # Cards and columns of the board itself are for those who work the whole board.
    for method, url, body in [
        ("post", "/api/v1/cards", {"board_id": board["id"], "title": "spam"}),
        ("post", f"/api/v1/boards/{board['id']}/columns", {"name": "Loot"}),
        ("patch", f"/api/v1/boards/{board['id']}", {"name": "x"}),
    ]:
        refused = _call(api, method, url, body, bea)
        assert refused.status_code == 403, (url, refused.text)
        assert "owner" in refused.json()["detail"]
    theirs = api.get(
        "/api/v1/cards", params={"meeting_id": world["meeting"]}, headers=world["eve"].auth
    )
    assert theirs.json() == []


def test_invited_to_one_of_the_owners_meetings_shows_none_of_the_others_cards(
    api: TestClient, settings: Settings
) -> None:
    """Meetings without a board feed their owner's personal board: each guest sees the
    cards of the meeting they were invited to, not those of the owner's other meetings."""
    ada, bea, cy = (make_person(settings, n) for n in ("Ada", "Bea", "Cy"))
    budget = make_meeting(settings, ada, [bea])
    hiring = make_meeting(settings, ada, [cy])
    budget_card = _meeting_card(settings, budget, "Cut the travel budget")
    hiring_card = _meeting_card(settings, hiring, "Reject candidate Dan")
    [personal] = [b for b in api.get("/api/v1/boards", headers=ada.auth).json() if b["personal"]]
    assert personal["open_cards"] == 2

    for guest, own, other, title in [
        (bea, budget_card, hiring_card, "Cut the travel budget"),
        (cy, hiring_card, budget_card, "Reject candidate Dan"),
    ]:
        board = api.get(f"/api/v1/boards/{personal['id']}", headers=guest.auth).json()
        assert _titles(board) == [title]
        assert api.get(f"/api/v1/cards/{own}", headers=guest.auth).status_code == 200
        assert api.get(f"/api/v1/cards/{other}", headers=guest.auth).status_code == 404
        assert api.get(f"/api/v1/cards/{other}/history", headers=guest.auth).status_code == 404
        archive = api.post(
            f"/api/v1/cards/{other}/archive", json={"version": 1}, headers=guest.auth
        )
        assert archive.status_code == 404


def test_explicit_board_members_until_removed(api: TestClient, world: dict[str, Any]) -> None:
    ada, eve, board = world["ada"], world["eve"], world["board"]
    added = api.post(
        f"/api/v1/boards/{board['id']}/members", json={"user_id": eve.user_id}, headers=ada.auth
    )
    assert added.status_code == 201, added.text
    assert api.get(f"/api/v1/boards/{board['id']}", headers=eve.auth).status_code == 200
    members = api.get(f"/api/v1/boards/{board['id']}/members", headers=eve.auth).json()
    assert [m["user_id"] for m in members] == [eve.user_id]
    grab = api.post(
        f"/api/v1/boards/{board['id']}/members", json={"user_id": eve.user_id}, headers=eve.auth
    )
    assert grab.status_code == 403
    removed = api.delete(f"/api/v1/boards/{board['id']}/members/{eve.user_id}", headers=ada.auth)
    assert removed.status_code == 204
    assert api.get(f"/api/v1/boards/{board['id']}", headers=eve.auth).status_code == 404


def test_a_card_cannot_be_moved_onto_another_board(api: TestClient, world: dict[str, Any]) -> None:
    ada = world["ada"]
    other = api.post("/api/v1/boards", json={"name": "Other"}, headers=ada.auth).json()
    response = api.post(
        f"/api/v1/cards/{world['card']['id']}/move",
        json={"column_id": other["columns"][0]["id"], "position": 0, "version": 1},
        headers=ada.auth,
    )
    assert response.status_code == 400
    assert "not a column of this board" in response.json()["detail"]


def _forged(user_id: str) -> str:
    attacker = GatewaySettings(jwt_secret="an-attacker-secret-that-is-long-enough-0123")
    return issue_token(attacker, Principal(user_id, "x@example.test", "X"))


def _expired(settings: Settings, user_id: str) -> str:
    issued = datetime.now(UTC) - timedelta(seconds=settings.gateway.jwt_ttl_s + 60)
    return issue_token(settings.gateway, Principal(user_id, "x@example.test", "X"), now=issued)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing token"),
        ("Bearer", "missing token"),
        ("Basic YWRhOnB3", "Bearer"),
        ("Bearer not.a.jwt", "invalid token"),
        ("forged", "invalid token"),
        ("expired", "token expired"),
        ("ghost", "does not exist"),
    ],
)
def test_requests_without_a_valid_token_get_401_with_the_reason(
    api: TestClient, settings: Settings, world: dict[str, Any], header: str | None, reason: str
) -> None:
    ada = world["ada"]
    if header == "forged":
        header = "Bearer " + _forged(ada.user_id)
    elif header == "expired":
        header = "Bearer " + _expired(settings, ada.user_id)
    elif header == "ghost":
        ghost = issue_token(settings.gateway, Principal("usr_ghost", "g@example.test", "G"))
        header = f"Bearer {ghost}"
    headers = {"Authorization": header} if header else {}
    response = api.get(f"/api/v1/boards/{world['board']['id']}", headers=headers)
    assert response.status_code == 401
    assert reason in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_pointing_your_own_meeting_at_someone_elses_board_opens_nothing(
    api: TestClient, settings: Settings, world: dict[str, Any]
) -> None:
    """Eve learned the id of Ada's board and names it when creating her own meeting."""
    eve, ada, board = world["eve"], world["ada"], world["board"]
    forged = make_meeting(settings, eve, board_id=board["id"])
    assert api.get(f"/api/v1/boards/{board['id']}", headers=eve.auth).status_code == 404

    key = task_key_for(forged, "delete everything")
    applied = ProposalApplier(sessions(settings)).apply(
        TaskProposal(meeting_id=forged, items=[item(key, "Delete everything")], source="llm"),
        message_id=f"test:{forged}",
    )
    assert applied.board_id != board["id"], "the proposal must not land on Ada's board"
    ada_board = api.get(f"/api/v1/boards/{board['id']}", headers=ada.auth).json()
    assert [c["title"] for col in ada_board["columns"] for c in col["cards"]] == ["Plan"]
    eve_personal = [b for b in api.get("/api/v1/boards", headers=eve.auth).json() if b["personal"]]
    assert [b["id"] for b in eve_personal] == [applied.board_id]
