"""The kanban REST API through the real app, on the real PostgreSQL and Kafka."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers.kanban import Person, changes_for_board, kanban_api, make_person
from vori.settings import Settings


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    with kanban_api(settings) as client:
        yield client


@pytest.fixture
def ada(settings: Settings) -> Person:
    return make_person(settings, "Ada")


def _team_board(api: TestClient, person: Person, name: str = "Launch") -> dict[str, Any]:
    response = api.post("/api/v1/boards", json={"name": name}, headers=person.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _card(api: TestClient, person: Person, board: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"board_id": board["id"], "title": "Write the release notes", **fields}
    response = api.post("/api/v1/cards", json=body, headers=person.auth)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_new_person_gets_a_personal_board_with_default_columns(
    api: TestClient, ada: Person
) -> None:
    boards = api.get("/api/v1/boards", headers=ada.auth)
    assert boards.status_code == 200, boards.text
    [board] = boards.json()
    assert (board["personal"], board["access"], board["open_cards"]) == (True, "owner", 0)
    again = api.get("/api/v1/boards", headers=ada.auth).json()
    assert [b["id"] for b in again] == [board["id"]], "created once, on demand"

    detail = api.get(f"/api/v1/boards/{board['id']}", headers=ada.auth).json()
    assert [c["name"] for c in detail["columns"]] == ["To do", "In progress", "Done"]
    assert [c["position"] for c in detail["columns"]] == [0, 1, 2]


def test_columns_can_be_added_renamed_reordered_and_deleted(api: TestClient, ada: Person) -> None:
    board = _team_board(api, ada)
    board_id = board["id"]
    added = api.post(
        f"/api/v1/boards/{board_id}/columns",
        json={"name": "Review", "position": 2},
        headers=ada.auth,
    )
    assert added.status_code == 201, added.text
    names = [c["name"] for c in added.json()["columns"]]
    assert names == ["To do", "In progress", "Review", "Done"]

    review = added.json()["columns"][2]
    renamed = api.patch(
        f"/api/v1/boards/{board_id}/columns/{review['id']}",
        json={"name": "QA", "position": 0, "version": review["version"]},
        headers=ada.auth,
    )
    assert renamed.status_code == 200, renamed.text
    assert [c["name"] for c in renamed.json()["columns"]] == ["QA", "To do", "In progress", "Done"]

    stale = api.patch(
        f"/api/v1/boards/{board_id}/columns/{review['id']}",
        json={"name": "Testing"},
        headers={**ada.auth, "If-Match": f'"{review["version"]}"'},
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.json()["detail"]

    duplicate = api.post(
        f"/api/v1/boards/{board_id}/columns", json={"name": "done"}, headers=ada.auth
    )
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.json()["detail"]

    todo = renamed.json()["columns"][1]
    _card(api, ada, board, column_id=todo["id"])
    busy = api.delete(f"/api/v1/boards/{board_id}/columns/{todo['id']}", headers=ada.auth)
    assert busy.status_code == 409
    assert "still holds 1 card" in busy.json()["detail"]

    deleted = api.delete(f"/api/v1/boards/{board_id}/columns/{review['id']}", headers=ada.auth)
    assert deleted.status_code == 200, deleted.text
    assert [c["name"] for c in deleted.json()["columns"]] == ["To do", "In progress", "Done"]
    assert [c["position"] for c in deleted.json()["columns"]] == [0, 1, 2]


def test_a_card_is_created_edited_moved_archived_restored_with_full_history(
    api: TestClient, ada: Person, settings: Settings
) -> None:
    board = _team_board(api, ada)
    first = _card(api, ada, board, title="First")
    card = _card(api, ada, board, assignee="Ada", due_date="2026-05-01", position=0)
    assert (card["position"], card["source"], card["version"]) == (0, "human", 1)
    assert card["column"] == "To do"

    edited = api.patch(
        f"/api/v1/cards/{card['id']}",
        json={"title": "Write the notes", "assignee": None},
        headers={**ada.auth, "If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert (edited.json()["title"], edited.json()["assignee"]) == ("Write the notes", None)

    done = board["columns"][2]["id"]
    moved = api.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"column_id": done, "position": 0},
        headers={**ada.auth, "If-Match": 'W/"2"'},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["column"], moved.json()["version"]) == ("Done", 3)
    todo = api.get(f"/api/v1/boards/{board['id']}", headers=ada.auth).json()["columns"][0]
    assert [(c["id"], c["position"]) for c in todo["cards"]] == [(first["id"], 0)]

    archived = api.post(
        f"/api/v1/cards/{card['id']}/archive", json={"version": 3}, headers=ada.auth
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"]
    detail = api.get(
        f"/api/v1/boards/{board['id']}", params={"include_archived": True}, headers=ada.auth
    ).json()
    assert detail["columns"][2]["cards"] == []
    assert [c["id"] for c in detail["archived_cards"]] == [card["id"]]

    restored = api.post(
        f"/api/v1/cards/{card['id']}/restore", headers={**ada.auth, "If-Match": '"4"'}
    )
    assert restored.status_code == 200, restored.text
    assert (restored.json()["archived"], restored.json()["version"]) == (False, 5)

    history = api.get(f"/api/v1/cards/{card['id']}/history", headers=ada.auth).json()
    assert [h["change"] for h in history] == ["created", "edited", "moved", "archived", "restored"]
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5]
    assert history[1]["before"] == {"title": "Write the release notes", "assignee": "Ada"}
    assert history[2]["after"]["column"] == "Done"
    assert all(h["actor"]["user_id"] == ada.user_id for h in history)

    changes = changes_for_board(settings, board["id"], 6)
    mine = [(c.change, c.card.version) for c in changes if c.card.id == card["id"]]
    assert mine == [("created", 1), ("edited", 2), ("moved", 3), ("archived", 4), ("restored", 5)]
    assert {c.actor for c in changes} == {f"user:{ada.user_id}"}


def test_a_stale_version_gets_409_with_the_current_card(api: TestClient, ada: Person) -> None:
    board = _team_board(api, ada)
    card = _card(api, ada, board)
    url = f"/api/v1/cards/{card['id']}"
    assert api.patch(url, json={"title": "A", "version": 1}, headers=ada.auth).status_code == 200
    stale = api.patch(url, json={"title": "B", "version": 1}, headers=ada.auth)
    assert stale.status_code == 409
    body = stale.json()
    assert "version 2" in body["detail"]
    assert "you sent 1" in body["detail"]
    assert body["current_version"] == 2
    assert body["card"]["title"] == "A"


def test_concurrent_moves_of_one_card_one_wins_the_other_gets_409(
    api: TestClient, ada: Person
) -> None:
    board = _team_board(api, ada)
    card = _card(api, ada, board)
    targets = [board["columns"][1]["id"], board["columns"][2]["id"]]
    barrier = threading.Barrier(len(targets))
    results: list[tuple[str, int]] = []

    def move(column_id: str) -> None:
        barrier.wait(10)
        response = api.post(
            f"/api/v1/cards/{card['id']}/move",
            json={"column_id": column_id, "position": 0},
            headers={**ada.auth, "If-Match": '"1"'},
        )
        results.append((column_id, response.status_code))

    threads = [threading.Thread(target=move, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(code for _, code in results) == [200, 409]
    [winner] = [column for column, code in results if code == 200]
    now = api.get(f"/api/v1/cards/{card['id']}", headers=ada.auth).json()
    assert (now["column_id"], now["version"]) == (winner, 2)
    history = api.get(f"/api/v1/cards/{card['id']}/history", headers=ada.auth).json()
    assert [h["change"] for h in history] == ["created", "moved"]


def test_changing_a_card_without_a_version_is_refused_with_428(
    api: TestClient, ada: Person
) -> None:
    card = _card(api, ada, _team_board(api, ada))
    response = api.patch(f"/api/v1/cards/{card['id']}", json={"title": "x"}, headers=ada.auth)
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("post", "/api/v1/cards", {"title": "   "}, 422, "title"),
        ("post", "/api/v1/cards", {"title": "x", "due_date": "friday"}, 422, "due_date"),
        ("post", "/api/v1/cards", {"title": "x", "colour": "red"}, 422, "colour"),
        ("post", "/api/v1/cards", {"title": "x" * 301}, 422, "title"),
        ("post", "/api/v1/cards", {"title": "x", "position": -1}, 422, "position"),
        ("post", "/api/v1/cards", {"title": "x", "column_id": "col_elsewhere"}, 400, "column"),
        ("patch", "/api/v1/cards/{card}", {"version": 1}, 422, "nothing to change"),
        ("patch", "/api/v1/cards/{card}", {"title": None, "version": 1}, 422, "cannot be null"),
        ("post", "/api/v1/cards/{card}/move", {"position": 0, "version": 1}, 422, "column_id"),
        ("post", "/api/v1/boards", {"name": ""}, 422, "name"),
        ("post", "/api/v1/boards", {"name": "x" * 121}, 422, "at most 120 characters"),
        ("patch", "/api/v1/boards/{board}", {"name": "x" * 121}, 422, "at most 120 characters"),
        (
            "post",
            "/api/v1/boards/{board}/members",
            {"email": "nobody-here@example.com"},
            404,
            "No vori account uses nobody-here@example.com. Ask them to register first.",
        ),
        ("post", "/api/v1/boards/{board}/columns", {"name": "x" * 101}, 422, "name"),
        ("post", "/api/v1/boards/{board}/members", {}, 422, "exactly one"),
        ("patch", "/api/v1/boards/{board}/columns/{column}", {}, 422, "nothing to change"),
    ],
)
def test_bad_input_gets_a_4xx_with_a_readable_message(
    api: TestClient,
    ada: Person,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    message: str,
) -> None:
    board = _team_board(api, ada)
    card = _card(api, ada, board)
    url = path.format(card=card["id"], board=board["id"], column=board["columns"][0]["id"])
    if url == "/api/v1/cards":
        body = {"board_id": board["id"], **body}
    response = getattr(api, method)(url, json=body, headers=ada.auth)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_malformed_json_and_bad_if_match_are_refused(api: TestClient, ada: Person) -> None:
    card = _card(api, ada, _team_board(api, ada))
    broken = api.post(
        "/api/v1/cards",
        content=b'{"title": ',
        headers={**ada.auth, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert "JSON" in broken.json()["detail"]
    bad = api.patch(
        f"/api/v1/cards/{card['id']}",
        json={"title": "x"},
        headers={**ada.auth, "If-Match": "latest"},
    )
    assert bad.status_code == 400
    assert "If-Match" in bad.json()["detail"]
    disagree = api.patch(
        f"/api/v1/cards/{card['id']}",
        json={"title": "x", "version": 2},
        headers={**ada.auth, "If-Match": '"1"'},
    )
    assert disagree.status_code == 400


def test_an_archived_card_cannot_be_moved(api: TestClient, ada: Person) -> None:
    board = _team_board(api, ada)
    card = _card(api, ada, board)
    api.post(f"/api/v1/cards/{card['id']}/archive", json={"version": 1}, headers=ada.auth)
    response = api.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"column_id": board["columns"][1]["id"], "position": 0, "version": 2},
        headers=ada.auth,
    )
    assert response.status_code == 409
    assert "restore it" in response.json()["detail"]


def test_health_and_metrics(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"postgres": "ok", "consumer": "disabled"}
    assert "vori_kanban_card_changes_total" in api.get("/metrics/").text
