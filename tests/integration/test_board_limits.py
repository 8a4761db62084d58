"""WIP limits of columns and archived boards through the real kanban app and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers.kanban import Person, kanban_api, make_person
from vori.settings import Settings


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    with kanban_api(settings) as client:
        yield client


def _board(api: TestClient, owner: Person, name: str) -> dict[str, Any]:
    created = api.post("/api/v1/boards", json={"name": name}, headers=owner.auth)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _card(api: TestClient, who: Person, board: dict[str, Any], title: str, **fields: Any) -> Any:
    return api.post(
        "/api/v1/cards", json={"board_id": board["id"], "title": title, **fields}, headers=who.auth
    )


def _move(api: TestClient, who: Person, card: dict[str, Any], column_id: str) -> Any:
    return api.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"column_id": column_id, "position": 0, "version": card["version"]},
        headers=who.auth,
    )


def test_a_column_at_its_wip_limit_refuses_one_more_card(
    api: TestClient, settings: Settings
) -> None:
    ada = make_person(settings, "Ada")
    board = _board(api, ada, "Limited")
    doing = next(c for c in board["columns"] if c["name"] == "In progress")
    url = f"/api/v1/boards/{board['id']}/columns/{doing['id']}"
    for bad in (0, 1000, "many"):
        assert api.patch(url, json={"wip_limit": bad}, headers=ada.auth).status_code == 422
    limited = api.patch(url, json={"wip_limit": 1}, headers=ada.auth)
    assert limited.status_code == 200, limited.text
    assert next(c for c in limited.json()["columns"] if c["id"] == doing["id"])["wip_limit"] == 1

    first = _card(api, ada, board, "First").json()
    second = _card(api, ada, board, "Second").json()
    assert _move(api, ada, first, doing["id"]).status_code == 200
    refused = _move(api, ada, second, doing["id"])
    assert refused.status_code == 409
    assert "WIP limit of 1" in refused.json()["detail"]
    created = _card(api, ada, board, "Third", column_id=doing["id"])
    assert created.status_code == 409
    assert "WIP limit" in created.json()["detail"]

    lifted = api.patch(url, json={"wip_limit": None}, headers=ada.auth)
    assert lifted.status_code == 200, lifted.text
    assert next(c for c in lifted.json()["columns"] if c["id"] == doing["id"])["wip_limit"] is None
    assert _move(api, ada, second, doing["id"]).status_code == 200


def test_an_archived_board_leaves_the_lists_and_my_tasks_and_can_be_restored(
    api: TestClient, settings: Settings
) -> None:
    ada, bob = make_person(settings, "Ada"), make_person(settings, "Bob")
    board = _board(api, ada, "Old project")
    added = api.post(
        f"/api/v1/boards/{board['id']}/members", json={"user_id": bob.user_id}, headers=ada.auth
    )
    assert added.status_code == 201, added.text
    assert _card(api, ada, board, "Tidy up", assignee="Bob").status_code == 201
    url = f"/api/v1/boards/{board['id']}"

    def listed(who: Person, **params: Any) -> set[str]:
        answer = api.get("/api/v1/boards", params=params, headers=who.auth)
        assert answer.status_code == 200, answer.text
        return {b["id"] for b in answer.json()}

    def tasks(who: Person) -> list[str]:
        return [t["title"] for t in api.get("/api/v1/me/tasks", headers=who.auth).json()["tasks"]]

    assert tasks(bob) == ["Tidy up"]
    assert api.patch(url, json={"archived": True}, headers=bob.auth).status_code == 403
    assert api.patch(url, json={}, headers=ada.auth).status_code == 422
    archived = api.patch(url, json={"archived": True}, headers=ada.auth)
    assert archived.status_code == 200, archived.text
    assert archived.json()["archived"] is True
    assert board["id"] not in listed(bob)
    assert board["id"] in listed(bob, include_archived="true")
    assert api.get(url, headers=bob.auth).json()["archived"] is True  # still readable
    assert tasks(bob) == []

    personal = next(b for b in api.get("/api/v1/boards", headers=ada.auth).json() if b["personal"])
    refused = api.patch(
        f"/api/v1/boards/{personal['id']}", json={"archived": True}, headers=ada.auth
    )
    assert refused.status_code == 409
    assert "personal board" in refused.json()["detail"]

    restored = api.patch(url, json={"archived": False}, headers=ada.auth)
    assert restored.status_code == 200, restored.text
    assert board["id"] in listed(bob)
    assert tasks(bob) == ["Tidy up"]
