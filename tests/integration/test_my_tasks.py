"""My tasks through the real kanban app on the real PostgreSQL: the caller's open cards
across the boards they may see, by due date, overdue flagged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers.kanban import Person, kanban_api, make_person
from vori.settings import Settings

TODAY = "2026-03-05"


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    with kanban_api(settings) as client:
        yield client


def _board(api: TestClient, owner: Person, name: str) -> dict[str, Any]:
    created = api.post("/api/v1/boards", json={"name": name}, headers=owner.auth)
    assert created.status_code == 201, created.text
    return dict(created.json())


def _card(api: TestClient, who: Person, board: dict[str, Any], title: str, **fields: Any) -> str:
    body = {"board_id": board["id"], "title": title, **fields}
    created = api.post("/api/v1/cards", json=body, headers=who.auth)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _mine(api: TestClient, who: Person) -> dict[str, Any]:
    answer = api.get("/api/v1/me/tasks", params={"today": TODAY}, headers=who.auth)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_my_open_tasks_across_boards_by_due_date_with_overdue_flagged(
    api: TestClient, settings: Settings
) -> None:
    ada, bob, eve = (make_person(settings, n) for n in ("Ada", "Bob", "Eve"))
    team = _board(api, ada, "Launch")
    added = api.post(
        f"/api/v1/boards/{team['id']}/members", json={"user_id": bob.user_id}, headers=ada.auth
    )
    assert added.status_code == 201, added.text
    own = _board(api, bob, "Bob's errands")
    done = next(c for c in team["columns"] if c["name"] == "Done")

    _card(api, ada, team, "Ship the beta", assignee="Bob", due_date="2026-03-10")
    _card(api, ada, team, "Fix the footer link", assignee=" bob ", due_date="2026-03-01")
    _card(api, bob, own, "Renew the domain", assignee="Bob")  # undated: last
    _card(api, bob, own, "Due today", assignee="Bob", due_date=TODAY)
    _card(api, ada, team, "Ada's own", assignee="Ada", due_date="2026-03-02")
    _card(api, ada, team, "Finished", assignee="Bob", column_id=done["id"])
    archived = _card(api, ada, team, "Dropped", assignee="Bob", due_date="2026-02-01")
    gone = api.post(f"/api/v1/cards/{archived}/archive", json={"version": 1}, headers=ada.auth)
    assert gone.status_code == 200, gone.text
    hidden = _board(api, eve, "Eve's board")  # Bob cannot see it: its card is not his task
    _card(api, eve, hidden, "Eve's card for Bob", assignee="Bob", due_date="2026-01-01")

    mine = _mine(api, bob)
    assert [t["title"] for t in mine["tasks"]] == [
        "Fix the footer link",
        "Due today",
        "Ship the beta",
        "Renew the domain",
    ]
    assert [t["overdue"] for t in mine["tasks"]] == [True, False, False, False]
    assert mine["overdue"] == 1
    assert mine["today"] == TODAY
    assert {t["board_name"] for t in mine["tasks"]} == {"Launch", "Bob's errands"}
    assert [t["title"] for t in _mine(api, ada)["tasks"]] == ["Ada's own"]

    # Removed from the team board, Bob no longer sees its cards among his tasks.
    removed = api.delete(f"/api/v1/boards/{team['id']}/members/{bob.user_id}", headers=ada.auth)
    assert removed.status_code == 204, removed.text
    assert [t["title"] for t in _mine(api, bob)["tasks"]] == ["Due today", "Renew the domain"]


def test_my_tasks_refuses_bad_dates_and_anonymous_callers(
    api: TestClient, settings: Settings
) -> None:
    ada = make_person(settings, "Ada")
    bad = api.get("/api/v1/me/tasks", params={"today": "soon"}, headers=ada.auth)
    assert bad.status_code == 422
    assert "today" in bad.text
    assert api.get("/api/v1/me/tasks").status_code == 401
