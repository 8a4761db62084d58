"""Carrying transcript corrections into tasks: titles, quotes, keys."""

from __future__ import annotations

from summarizer.corrections import (
    Correction,
    apply_corrections,
    corrected_quote,
    corrected_title,
    replaced_phrases,
)
from summarizer.ledger import Ledger
from vori.events import Evidence


def test_replaced_phrases_are_the_words_that_changed() -> None:
    before = "Jon will send the budget draft by Friday."
    after = "John will send the budget draft by Friday."
    assert replaced_phrases(before, after) == [("Jon", "John")]
    assert replaced_phrases("same words", "same words") == []


def test_a_title_repeating_a_replaced_word_is_corrected_as_a_whole_word() -> None:
    phrases = [("Jon", "John"), ("Q three", "Q3")]
    assert corrected_title("Send the draft to Jon", phrases) == "Send the draft to John"
    assert corrected_title("Jonas reviews Q three plan", phrases) == "Jonas reviews Q3 plan"


def test_a_quote_becomes_the_corrected_words_where_it_stood() -> None:
    before = "Thanks everyone. Jon will send the draft by Friday. Anything else?"
    after = "Thanks everyone. John will send the draft by Friday. Anything else?"
    quote = "Jon will send the draft by Friday."
    assert corrected_quote(quote, before, after) == "John will send the draft by Friday."
    assert corrected_quote(before, before, "완전히 다른 문장") == "완전히 다른 문장"


def test_apply_corrections_keeps_keys_and_changes_only_tasks_citing_the_segment() -> None:
    ledger = Ledger("mtg_1")
    cited = ledger.add(
        "Send the draft to Jon",
        evidence=Evidence(segment_id="seg_a", quote="I'll send the draft to Jon.", at=1.0),
    )
    other = ledger.add(
        "Book the room for Jon",
        evidence=Evidence(segment_id="seg_b", quote="Book the room for Jon.", at=2.0),
    )
    correction = Correction.from_json(
        {
            "segment_id": "seg_a",
            "before": "I'll send the draft to Jon.",
            "after": "I'll send the draft to John.",
        }
    )
    assert correction is not None
    assert Correction.from_json({"stream_id": "s", "speaker": "Ann"}) is None
    changed = apply_corrections(ledger, [correction])
    assert changed == {cited.key}
    assert ledger.tasks[cited.key].title == "Send the draft to John"
    assert ledger.tasks[cited.key].evidence[0].quote == "I'll send the draft to John."
    assert ledger.tasks[other.key].title == "Book the room for Jon"
