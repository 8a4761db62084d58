"""Due-date phrases found in sentences and resolved against the meeting's local date."""

from __future__ import annotations

from datetime import date

import pytest

from summarizer.dates import find_due, resolve_due

WEDNESDAY = date(2025, 3, 12)


@pytest.mark.parametrize(
    ("sentence", "due"),
    [
        ("I'll send it by Friday.", "2025-03-14"),
        ("Can you do it by next week?", "2025-03-21"),
        ("make it Monday", "2025-03-17"),
        ("before Thursday noon", "2025-03-13"),
        ("by tomorrow", "2025-03-13"),
        ("by end of day", "2025-03-12"),
        ("I can fix that article this afternoon.", "2025-03-12"),
        ("by the end of the week", "2025-03-14"),
        ("by end of the month", "2025-03-31"),
        ("by March 20th", "2025-03-20"),
        ("in two weeks", "2025-03-26"),
        ("next Tuesday", "2025-03-18"),
        ("make it Friday, not Thursday", "2025-03-14"),
        ("내일까지 보내 주세요", "2025-03-13"),
        ("모레까지 정리할게요", "2025-03-14"),
        ("이번 주 금요일까지요", "2025-03-14"),
        ("다음 주 월요일까지 할게요", "2025-03-17"),
        ("다음 주까지 부탁해요", "2025-03-21"),
        ("3월 20일까지", "2025-03-20"),
        ("이달 말까지 작성하겠습니다", "2025-03-31"),
        ("목요일 말고 금요일로 하죠", "2025-03-14"),
    ],
)
def test_due_phrases_resolve_to_calendar_dates(sentence: str, due: str) -> None:
    found = find_due(sentence, WEDNESDAY)
    assert found is not None, sentence
    assert found.due is not None
    assert found.due.isoformat() == due


@pytest.mark.parametrize(
    "sentence", ["I have 3 apples", "We talked for a while", "3일 동안 고민했어요"]
)
def test_sentences_without_a_due_date_have_none(sentence: str) -> None:
    assert find_due(sentence, WEDNESDAY) is None


def test_a_bare_weekday_is_never_the_meeting_day_itself() -> None:
    assert resolve_due("Wednesday", WEDNESDAY) == date(2025, 3, 19)
    assert resolve_due("수요일", WEDNESDAY) == date(2025, 3, 19)
