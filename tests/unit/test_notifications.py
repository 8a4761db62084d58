"""The rules of in-app notifications (gateway/notifications.py): who is mentioned, which
cards are due tomorrow, which changes are assignments, and ids that replays repeat."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from gateway.hub import Delivery, Hub
from gateway.notifications import (
    DueCard,
    Person,
    assignment_notifications,
    due_notification,
    due_tomorrow,
    is_assignment,
    mention_notifications,
    mentions,
    notification_id,
)
from vori.events import CardSnapshot, KanbanChange, TranscriptSegment

TODAY = date(2026, 3, 5)
ALICE = Person("usr_alice", "Alice Park", "alice@example.test")
BOB = Person("usr_bob", "Bob", "bob@example.test")
MINSU = Person("usr_minsu", "김민수", "minsu@example.test")


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Bob, can you send the report?", "Bob", True),
        ("bob will send it", "Bob", True),
        ("I asked BOB.", "Bob", True),
        ("Bobby will send it", "Bob", False),
        ("the kebob stand", "Bob", False),
        ("Alice Park owns the deck", "Alice Park", True),
        ("Alice  Park owns it", "Alice Park", True),
        ("Alice owns the deck", "Alice Park", False),
        ("Al is here", "Al", False),  # too short to say anything
        ("김민수 님이 보고서를 보냅니다", "김민수", True),
        ("김민수씨가 보냅니다", "김민수", False),  # a particle glued on: not the same word
        ("C++ (Bob's) review", "Bob", True),
        ("nothing here", "", False),
        ("a.b.c is a name", "a.b.c", True),
        ("axbxc is not", "a.b.c", False),  # regex characters in a name are literal
    ],
)
def test_a_mention_is_the_display_name_as_a_whole_word(
    text: str, name: str, expected: bool
) -> None:
    assert mentions(text, name) is expected


def _segment(
    text: str, participant: str | None = "usr_alice", final: bool = True
) -> TranscriptSegment:
    return TranscriptSegment(
        id="seg_1",
        meeting_id="mtg_1",
        stream_id=f"mtg_1:{participant}:mic",
        participant_id=participant,
        speaker="Alice Park",
        final=final,
        start=12.5,
        end=14.0,
        start_sample=200_000,
        end_sample=224_000,
        text=text,
    )


def test_members_named_in_a_final_segment_who_have_not_spoken_are_notified() -> None:
    segment = _segment("Bob and 김민수 should review Alice Park's draft")
    notes = mention_notifications(segment, "Weekly", [ALICE, BOB, MINSU], speakers={"usr_minsu"})
    # Alice said her own name; 김민수 has spoken in the meeting: only Bob hears of it.
    assert [(n.user_id, n.kind, n.segment_id, n.at_s) for n in notes] == [
        ("usr_bob", "mention", "seg_1", 12.5)
    ]
    assert notes[0].title == "Weekly"
    assert notes[0].actor == "Alice Park"
    assert notes[0].text == segment.text


def test_partials_and_empty_finals_mention_nobody() -> None:
    assert mention_notifications(_segment("Bob", final=False), "W", [BOB], set()) == []
    assert mention_notifications(_segment("   "), "W", [BOB], set()) == []


def test_a_long_mention_is_quoted_shortened() -> None:
    [note] = mention_notifications(_segment("Bob " + "x" * 600), "W", [BOB], set())
    assert len(note.text) == 300
    assert note.text.endswith("…")


def _change(
    change: str = "created",
    assignee: str | None = "bob@example.test",
    actor: str = "user:usr_alice",
    changed: tuple[str, ...] = (),
    version: int = 1,
    archived: bool = False,
) -> KanbanChange:
    card = CardSnapshot(
        id="crd_1",
        board_id="brd_1",
        column="To do",
        title="Send the report",
        assignee=assignee,
        due_date="2026-03-06",
        version=version,
        archived=archived,
    )
    return KanbanChange(
        board_id="brd_1", change=change, card=card, actor=actor, changed=list(changed)
    )


def test_a_card_created_or_edited_to_an_assignee_notifies_them_by_name_or_email() -> None:
    assert is_assignment(_change())
    assert is_assignment(_change("edited", changed=("assignee", "title"), version=2))
    [note] = assignment_notifications(_change(assignee=" BOB "), [ALICE, BOB], "Alice Park")
    assert (note.user_id, note.kind, note.card_id, note.board_id) == (
        "usr_bob",
        "assigned",
        "crd_1",
        "brd_1",
    )
    assert note.actor == "Alice Park"
    assert note.due_date == date(2026, 3, 6)


def test_changes_that_do_not_assign_notify_nobody() -> None:
    assert not is_assignment(_change("edited", changed=("title",), version=2))
    assert not is_assignment(_change("moved", version=2))
    assert not is_assignment(_change(assignee=None))
    assert not is_assignment(_change("edited", changed=("assignee",), assignee=None))
    assert not is_assignment(_change(archived=True))


def test_assigning_a_card_to_yourself_notifies_nobody() -> None:
    assert assignment_notifications(_change(actor="user:usr_bob"), [BOB]) == []
    # A meeting's summarizer is not the person: its assignment is news.
    assert len(assignment_notifications(_change(actor="meeting:mtg_1"), [BOB])) == 1


def test_ids_are_the_same_on_a_replay_and_differ_per_assignment() -> None:
    first = assignment_notifications(_change(), [BOB])[0].id
    assert assignment_notifications(_change(), [BOB])[0].id == first
    again = _change("edited", changed=("assignee",), version=3)
    assert assignment_notifications(again, [BOB])[0].id != first
    assert first.startswith("ntf_")
    assert len(first) <= 40
    assert notification_id("due", "crd_1", TODAY, "u") != notification_id(
        "due", "crd_1", TODAY, "v"
    )


def _card(card_id: str, due: date | None, **fields: object) -> DueCard:
    values: dict[str, object] = {
        "board_id": "brd_1",
        "title": card_id,
        "assignee": "Bob",
        "column": "To do",
        **fields,
    }
    return DueCard(card_id=card_id, due_date=due, **values)  # type: ignore[arg-type]


def test_due_tomorrow_picks_open_assigned_cards_due_the_next_day() -> None:
    tomorrow = date(2026, 3, 6)
    cards = [
        _card("due", tomorrow),
        _card("today", TODAY),
        _card("later", date(2026, 3, 7)),
        _card("undated", None),
        _card("nobodys", tomorrow, assignee=None),
        _card("archived", tomorrow, archived=True),
        _card("done", tomorrow, column=" Done "),
        _card("완료", tomorrow, column="완료"),
        _card("doing", tomorrow, column="In progress"),
    ]
    assert [c.card_id for c in due_tomorrow(cards, TODAY)] == ["due", "doing"]


def test_due_tomorrow_crosses_month_and_year_ends() -> None:
    assert due_tomorrow([_card("a", date(2027, 1, 1))], date(2026, 12, 31))
    assert due_tomorrow([_card("b", date(2028, 2, 29))], date(2028, 2, 28))


def test_a_due_notification_is_one_per_card_and_due_date() -> None:
    card = _card("crd_1", date(2026, 3, 6))
    note = due_notification(card, BOB)
    assert note.id == due_notification(card, BOB).id
    moved = _card("crd_1", date(2026, 3, 9))
    assert due_notification(moved, BOB).id != note.id
    assert (note.kind, note.due_date, note.card_id) == ("due", date(2026, 3, 6), "crd_1")


def test_whose_card_it_is_follows_my_tasks() -> None:
    assert BOB.owns("bob")
    assert BOB.owns("BOB@example.test ")
    assert not BOB.owns("Bobby")
    assert not BOB.owns(None)
    assert not BOB.owns("")


def test_the_hub_hands_a_persons_events_to_their_own_channels_only() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop(), max_queue=2, max_lag_s=60)
        bob_tab, bob_phone, alice = (
            hub.subscribe_user("usr_bob"),
            hub.subscribe_user("usr_bob"),
            hub.subscribe_user("usr_alice"),
        )
        in_meeting = hub.subscribe("mtg_1", "usr_bob")
        note = Delivery("mtg_1", "notification", "t", {"unread": 1})
        hub.dispatch_to_user("usr_bob", note)
        assert (len(bob_tab), len(bob_phone), len(alice), len(in_meeting)) == (1, 1, 0, 0)
        assert await bob_tab.next() is note
        # A channel that stops reading is dropped; the person's other channels go on.
        for _ in range(3):
            hub.dispatch_to_user("usr_bob", note)
            assert await bob_tab.next() is note
        assert bob_phone.overflowed.is_set()
        assert not bob_tab.overflowed.is_set()
        assert hub.user_subscriber_count() == 2
        hub.unsubscribe_user(bob_tab)
        hub.unsubscribe_user(alice)
        assert hub.user_subscriber_count() == 0

    asyncio.run(scenario())
