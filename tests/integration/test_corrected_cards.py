"""A corrected line reaching a card, on the real PostgreSQL: the summarizer proposes the
same task key with the corrected title and quote; kanban replaces the quote of that line
and the title, unless a person edited the title."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from kanban.proposals import ProposalApplier
from tests.helpers.kanban import (
    cards_of_meeting,
    item,
    kanban_api,
    make_meeting,
    make_person,
    sessions,
)
from vori.events import ActionItem, TaskProposal, task_key_for
from vori.settings import Settings

HEARD = "Jon will send the draft by Friday."
FIXED = "John will send the draft by Friday."


def _apply(settings: Settings, meeting: str, *items: ActionItem) -> None:
    proposal = TaskProposal(meeting_id=meeting, items=list(items), source="rules")
    ProposalApplier(sessions(settings)).apply(proposal, f"test:{uuid.uuid4().hex}")


def test_a_corrected_proposal_replaces_the_quote_and_the_title_a_person_did_not_edit(
    settings: Settings,
) -> None:
    ada = make_person(settings, "Ada")
    meeting = make_meeting(settings, ada)
    plain, edited = task_key_for(meeting, "send draft jon"), task_key_for(meeting, "book jon")
    _apply(
        settings,
        meeting,
        item(plain, "Send the draft to Jon", segment="seg_a", quote=HEARD),
        item(edited, "Book a room for Jon", segment="seg_b", quote="Book a room for Jon."),
    )
    [booked] = [c for c in cards_of_meeting(settings, meeting) if c.task_key == edited]
    with kanban_api(settings) as api:
        _edit_title(api, ada.auth, booked.id, booked.version, "Book the big room")

    _apply(
        settings,
        meeting,
        item(plain, "Send the draft to John", segment="seg_a", quote=FIXED),
        item(edited, "Book a room for John", segment="seg_b", quote="Book a room for John."),
    )
    cards = {c.task_key: c for c in cards_of_meeting(settings, meeting)}
    assert len(cards) == 2  # the same cards, not new ones
    assert cards[plain].title == "Send the draft to John"
    assert [e["quote"] for e in cards[plain].evidence] == [FIXED]
    assert cards[edited].title == "Book the big room"  # the person's title wins
    assert [e["quote"] for e in cards[edited].evidence] == ["Book a room for John."]


def _edit_title(
    api: TestClient, auth: dict[str, str], card_id: str, version: int, title: str
) -> None:
    answer = api.patch(
        f"/api/v1/cards/{card_id}", json={"title": title, "version": version}, headers=auth
    )
    assert answer.status_code == 200, answer.text
