"""The merge rules of a meeting's proposal against a card that people may have edited."""

from __future__ import annotations

from typing import Any

import pytest

from kanban.merge import CardState, ProposalMerger, ProposedTask, iso_date_or_none, person_edit
from vori.events import ActionItem, Evidence

merger = ProposalMerger()


def task(**overrides: Any) -> ProposedTask:
    values: dict[str, Any] = {
        "title": "Send the survey",
        "assignee": "Bob",
        "due_date": "2026-03-06",
        "cancelled": False,
        "evidence": ({"segment_id": "seg_1", "quote": "Bob sends the survey", "at": 12.0},),
    }
    values.update(overrides)
    return ProposedTask(**values)


def card(**overrides: Any) -> CardState:
    values: dict[str, Any] = {
        "title": "Send the survey",
        "assignee": "Bob",
        "due_date": "2026-03-06",
        "archived": False,
        "evidence": [{"segment_id": "seg_1", "quote": "Bob sends the survey", "at": 12.0}],
    }
    values.update(overrides)
    return CardState(**values)


def test_new_open_task_creates_a_card_with_its_fields_and_evidence() -> None:
    merge = merger.merge(None, task())
    assert merge.change == "created"
    assert merge.after["assignee"] == "Bob"
    assert merge.after["due_date"] == "2026-03-06"
    assert merge.after["evidence"][0]["segment_id"] == "seg_1"


def test_cancelled_task_that_never_reached_the_board_creates_nothing() -> None:
    assert merger.merge(None, task(cancelled=True)).change is None


def test_the_same_proposal_again_changes_nothing() -> None:
    merge = merger.merge(card(), task())
    assert merge.change is None
    assert not merge.changes_card


def test_meeting_changing_assignee_and_due_date_updates_the_card() -> None:
    merge = merger.merge(card(), task(assignee="Mina", due_date="2026-03-09"))
    assert merge.change == "edited"
    assert merge.before == {"assignee": "Bob", "due_date": "2026-03-06"}
    assert merge.after == {"assignee": "Mina", "due_date": "2026-03-09"}


def test_a_field_a_person_edited_is_never_overwritten_and_the_proposal_is_recorded() -> None:
    edited = card(assignee="Alice", human_fields=frozenset({"assignee"}))
    merge = merger.merge(edited, task(assignee="Carol", due_date="2026-03-09"))
    assert merge.after == {"due_date": "2026-03-09"}
    assert "assignee" not in merge.after
    assert merge.declined == {"assignee": "Carol"}
    assert merge.declined_state == {"assignee": "Carol"}


def test_a_declined_value_is_recorded_once_not_at_every_rolling_summary() -> None:
    edited = card(assignee="Alice", human_fields=frozenset({"assignee"}))
    first = merger.merge(edited, task(assignee="Carol"))
    assert first.change == "declined"
    again = merger.merge(
        card(assignee="Alice", human_fields=frozenset({"assignee"}), declined=first.declined_state),
        task(assignee="Carol"),
    )
    assert again.change is None
    assert again.declined == {}


def test_a_new_declined_value_is_recorded_again() -> None:
    edited = card(
        assignee="Alice", human_fields=frozenset({"assignee"}), declined={"assignee": "Carol"}
    )
    merge = merger.merge(edited, task(assignee="Dan"))
    assert merge.declined == {"assignee": "Dan"}


def test_a_proposal_silent_about_assignee_and_due_date_keeps_them() -> None:
    merge = merger.merge(card(), task(assignee=None, due_date=None))
    assert merge.change is None


def test_cancellation_archives_an_untouched_card() -> None:
    merge = merger.merge(card(), task(cancelled=True))
    assert merge.change == "archived"
    assert merge.after == {"archived": True}


def test_cancellation_leaves_a_card_a_person_touched() -> None:
    moved = card(human_fields=frozenset({"column", "position"}))
    merge = merger.merge(moved, task(cancelled=True))
    assert merge.change == "declined"
    assert "archived" not in merge.after
    assert merge.declined == {"status": "cancelled"}


def test_reopening_restores_a_card_the_meeting_archived_but_not_one_a_person_archived() -> None:
    restored = merger.merge(card(archived=True), task())
    assert restored.change == "restored"
    assert restored.after == {"archived": False}
    kept = merger.merge(card(archived=True, human_fields=frozenset({"archived"})), task())
    assert kept.change == "declined"
    assert kept.declined == {"status": "open"}


def test_new_evidence_accumulates_and_known_evidence_is_not_repeated() -> None:
    extra = {"segment_id": "seg_9", "quote": "make it Monday", "at": 300.0}
    merge = merger.merge(card(), task(evidence=(*task().evidence, extra)))
    assert merge.change == "edited"
    assert [e["segment_id"] for e in merge.after["evidence"]] == ["seg_1", "seg_9"]


def test_agreement_with_the_person_clears_the_declined_memory() -> None:
    edited = card(
        assignee="Alice", human_fields=frozenset({"assignee"}), declined={"assignee": "Carol"}
    )
    merge = merger.merge(edited, task(assignee="Alice"))
    assert merge.declined_state == {}


def test_action_item_is_cleaned_for_a_card() -> None:
    item = ActionItem(
        task_key="task_1",
        title="  Send   the\nsurvey  ",
        assignee=" ",
        due_date="next friday",
        evidence=[Evidence(segment_id="seg_1", quote="x" * 5000, at=1.0)],
    )
    cleaned = ProposedTask.from_item(item, "mtg_1")
    assert cleaned is not None
    assert cleaned.title == "Send the survey"
    assert cleaned.assignee is None
    assert cleaned.due_date is None
    assert len(cleaned.evidence[0]["quote"]) == 1000
    assert cleaned.evidence[0]["meeting_id"] == "mtg_1"


def test_action_item_without_a_title_is_dropped() -> None:
    assert ProposedTask.from_item(ActionItem(task_key="k", title="   "), "m") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-06", "2026-03-06"),
        ("2026-03-06T10:00:00", "2026-03-06"),
        ("soon", None),
        (None, None),
    ],
)
def test_iso_dates(value: str | None, expected: str | None) -> None:
    assert iso_date_or_none(value) == expected


def test_person_edit_marks_every_sent_field_as_theirs() -> None:
    current = {"title": "A", "description": "", "assignee": "Bob", "due_date": None}
    edit = person_edit(current, {"assignee": "Alice", "title": "A"}, frozenset({"column"}))
    assert edit.before == {"assignee": "Bob"}
    assert edit.after == {"assignee": "Alice"}
    assert edit.human_fields == {"column", "assignee", "title"}


def test_person_edit_refuses_fields_that_are_not_editable() -> None:
    with pytest.raises(ValueError, match="not editable: version"):
        person_edit({}, {"version": 3}, frozenset())


def test_a_corrected_quote_of_a_cited_line_replaces_the_old_quote() -> None:
    cited = card().evidence[0]
    corrected = {**cited, "quote": "the corrected words"}
    merge = merger.merge(card(), task(evidence=(corrected,)))
    assert merge.change == "edited"
    assert merge.after["evidence"] == [corrected]
    again = merger.merge(card(evidence=[corrected]), task(evidence=(corrected,)))
    assert again.change is None
