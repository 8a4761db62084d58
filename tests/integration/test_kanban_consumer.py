"""The kanban consumer of `tasks.proposed` against the real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest

from tests.helpers.kanban import (
    board_of_meeting,
    cards_of_meeting,
    changes_for_board,
    history_of,
    item,
    kanban_api,
    make_meeting,
    make_person,
    processed_count,
    proposal_consumer,
    publish,
    read_matching,
    wait_processed,
)
from vori.events import (
    TASKS_PROPOSED,
    DeadLetter,
    TaskProposal,
    dead_letter_topic,
    decode,
    task_key_for,
)
from vori.settings import Settings


@pytest.fixture(scope="module")
def consumer(settings: Settings) -> Iterator[str]:
    """One consumer for the module (a group join costs seconds): tests wait on the database."""
    group = f"kanban-test-{uuid.uuid4().hex[:8]}"
    with proposal_consumer(settings, group):
        yield group


def test_same_proposal_delivered_twice_makes_one_card(settings: Settings, consumer: str) -> None:
    owner = make_person(settings, "Ada")
    meeting = make_meeting(settings, owner)
    key = task_key_for(meeting, "send the customer survey")
    proposal = TaskProposal(meeting_id=meeting, items=[item(key)], source="rules")

    publish(settings, proposal, proposal)
    wait_processed(settings, meeting, 2)

    [card] = cards_of_meeting(settings, meeting)
    assert card.task_key == key
    assert card.assignee == "Bob"
    assert card.source == "rules"
    assert card.version == 1
    assert [h.change for h in history_of(settings, card.id)] == ["created"]
    board = board_of_meeting(settings, meeting)
    assert board == card.board_id, "a meeting without a board feeds its creator's personal board"
    changes = changes_for_board(settings, card.board_id, 1)
    assert [(c.change, c.card.id, c.meeting_id) for c in changes] == [("created", card.id, meeting)]


def test_change_of_mind_updates_the_same_card_and_cancellation_archives_it(
    settings: Settings, consumer: str
) -> None:
    owner = make_person(settings, "Ada")
    meeting = make_meeting(settings, owner, language="ko")
    survey = task_key_for(meeting, "설문 보내기")
    deck = task_key_for(meeting, "발표 자료 준비")

    publish(
        settings,
        TaskProposal(
            meeting_id=meeting,
            items=[item(survey, "설문 보내기"), item(deck, "발표 자료 준비", assignee="Mina")],
            source="llm",
        ),
    )
    wait_processed(settings, meeting, 1)
    publish(
        settings,
        TaskProposal(
            meeting_id=meeting,
            items=[
                item(
                    survey,
                    "설문 보내기",
                    assignee="Mina",
                    due_date="2026-03-09",
                    segment="seg_b",
                    quote="아니요, 미나가 월요일까지 할게요",
                )
            ],
            source="llm",
        ),
    )
    wait_processed(settings, meeting, 2)
    publish(
        settings,
        TaskProposal(
            meeting_id=meeting,
            items=[item(deck, "발표 자료 준비", status="cancelled")],
            source="llm",
        ),
    )
    wait_processed(settings, meeting, 3)

    cards = {c.task_key: c for c in cards_of_meeting(settings, meeting)}
    assert len(cards) == 2
    assert cards[survey].assignee == "Mina"
    assert cards[survey].due_date == date(2026, 3, 9)
    assert cards[survey].title == "설문 보내기"
    assert cards[survey].language == "ko"
    assert [e["segment_id"] for e in cards[survey].evidence] == ["seg_a", "seg_b"]
    assert cards[survey].version == 2
    assert not cards[survey].archived
    assert cards[deck].archived

    [created, edited] = history_of(settings, cards[survey].id)
    assert (created.change, edited.change) == ("created", "edited")
    assert edited.before["assignee"] == "Bob"
    assert edited.after["assignee"] == "Mina"
    assert edited.after["due_date"] == "2026-03-09"
    assert edited.meeting_id == meeting

    changes = changes_for_board(settings, cards[survey].board_id, 4)
    kinds = sorted((c.card.task_key == survey, c.change) for c in changes)
    assert kinds == [(False, "archived"), (False, "created"), (True, "created"), (True, "edited")]


def test_person_edit_is_kept_and_history_shows_both_values(
    settings: Settings, consumer: str
) -> None:
    owner = make_person(settings, "Ada")
    alice = make_person(settings, "Alice")
    meeting = make_meeting(settings, owner, [alice])
    key = task_key_for(meeting, "book the venue")
    publish(
        settings,
        TaskProposal(meeting_id=meeting, items=[item(key, "Book the venue")], source="rules"),
    )
    wait_processed(settings, meeting, 1)
    [card] = cards_of_meeting(settings, meeting)

    with kanban_api(settings) as api:
        edited = api.patch(
            f"/api/v1/cards/{card.id}",
            json={"assignee": "Alice"},
            headers={**alice.auth, "If-Match": '"1"'},
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["assignee"] == "Alice"

        publish(
            settings,
            TaskProposal(
                meeting_id=meeting,
                items=[item(key, "Book the venue", assignee="Carol", due_date="2026-04-01")],
                source="rules",
            ),
        )
        wait_processed(settings, meeting, 2)

        now = api.get(f"/api/v1/cards/{card.id}", headers=alice.auth).json()
        assert now["assignee"] == "Alice", "a person's edit is never overwritten by a proposal"
        assert now["due_date"] == "2026-04-01", "fields nobody edited still follow the meeting"
        assert "assignee" in now["edited_by_person"]

        history = api.get(f"/api/v1/cards/{card.id}/history", headers=alice.auth).json()
    assert [h["change"] for h in history] == ["created", "edited", "edited"]
    assert history[0]["after"]["assignee"] == "Bob"
    assert history[0]["actor"]["type"] == "meeting"
    assert history[1]["actor"] == {
        "type": "person",
        "user_id": alice.user_id,
        "name": "Alice",
        "meeting_id": None,
        "source": "human",
    }
    assert (history[1]["before"], history[1]["after"]) == (
        {"assignee": "Bob"},
        {"assignee": "Alice"},
    )
    assert history[2]["declined"] == {"assignee": "Carol"}
    assert history[2]["after"] == {"due_date": "2026-04-01"}


def test_cancellation_leaves_a_card_a_person_moved(settings: Settings, consumer: str) -> None:
    owner = make_person(settings, "Ada")
    meeting = make_meeting(settings, owner)
    key = task_key_for(meeting, "draft the budget")
    publish(
        settings,
        TaskProposal(meeting_id=meeting, items=[item(key, "Draft the budget")], source="llm"),
    )
    wait_processed(settings, meeting, 1)
    [card] = cards_of_meeting(settings, meeting)

    with kanban_api(settings) as api:
        board = api.get(f"/api/v1/boards/{card.board_id}", headers=owner.auth).json()
        doing = board["columns"][1]["id"]
        moved = api.post(
            f"/api/v1/cards/{card.id}/move",
            json={"column_id": doing, "position": 0, "version": 1},
            headers=owner.auth,
        )
        assert moved.status_code == 200, moved.text

    publish(
        settings,
        TaskProposal(
            meeting_id=meeting,
            items=[item(key, "Draft the budget", status="cancelled")],
            source="llm",
        ),
    )
    wait_processed(settings, meeting, 2)
    [card] = cards_of_meeting(settings, meeting)
    assert not card.archived
    assert card.column_id == doing
    assert history_of(settings, card.id)[-1].declined == {"status": "cancelled"}


def test_meeting_with_a_chosen_board_feeds_that_board(settings: Settings, consumer: str) -> None:
    owner = make_person(settings, "Ada")
    with kanban_api(settings) as api:
        team = api.post("/api/v1/boards", json={"name": "Team Rocket"}, headers=owner.auth).json()
    meeting = make_meeting(settings, owner, board_id=team["id"])
    key = task_key_for(meeting, "ship it")
    publish(settings, TaskProposal(meeting_id=meeting, items=[item(key, "Ship it")], source="llm"))
    wait_processed(settings, meeting, 1)
    [card] = cards_of_meeting(settings, meeting)
    assert card.board_id == team["id"]
    assert card.column_id == team["columns"][0]["id"]


def test_a_proposal_for_an_unknown_meeting_is_dead_lettered(
    settings: Settings, consumer: str, unique: str
) -> None:
    ghost = f"mtg_ghost_{unique}"
    publish(settings, TaskProposal(meeting_id=ghost, items=[item("task_x")], source="llm"))
    owner = make_person(settings, "Ada")
    meeting = make_meeting(settings, owner)
    publish(settings, TaskProposal(meeting_id=meeting, items=[item("task_y")], source="llm"))
    wait_processed(settings, meeting, 1)

    topic = dead_letter_topic(TASKS_PROPOSED)
    letters = [
        letter
        for m in read_matching(settings, topic, lambda m: m.key() == ghost.encode(), 1, 60)
        if isinstance(letter := decode(topic, m.value()), DeadLetter)
        and letter.consumer_group == consumer
    ]
    assert "no meeting" in letters[0].error
    assert processed_count(settings, ghost) == 0
