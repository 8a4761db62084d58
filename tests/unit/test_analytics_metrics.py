"""The per-meeting metric core against figures worked out by hand (docs/analytics.md)."""

from __future__ import annotations

import math

import pytest

from analytics_spark.metrics import (
    Attendee,
    Segment,
    count_words,
    gini,
    is_question,
    meeting_metrics,
)

# A 40 s meeting worked out on paper:
#   A speaks 0-10 (20 words) and 12-20 (16 words, a question),
#   B speaks 9-15 (10 words): starts while A talks, A stops 1 s later, B goes on -> B
#     interrupts A; A comes back at 12 while B talks, but B goes on for 3 s (> 2 s) ->
#     an overlap, not an interruption,
#   C speaks 25-30 (10 words), D is present and silent.
HAND_MADE = [
    Segment("a", 0.0, 10.0, 20),
    Segment("b", 9.0, 15.0, 10),
    Segment("a", 12.0, 20.0, 16, question=True),
    Segment("c", 25.0, 30.0, 10),
]
PRESENT = [Attendee("a", "Ann", "u-a"), Attendee("d", "Dee", "u-d")]


def by_speaker(figures):  # type: ignore[no-untyped-def]
    return {s.participant: s for s in figures.per_speaker}


def test_hand_made_meeting_matches_the_hand_computed_figures() -> None:
    m = meeting_metrics(HAND_MADE, PRESENT, duration_s=40.0, decisions=1, action_items=1)
    s = by_speaker(m)
    assert m.duration_s == 40.0
    assert m.speech_s == 25.0  # [0, 20] and [25, 30]
    assert m.silence_share == pytest.approx(0.375)
    assert m.overlap_s == 4.0  # [9, 10] and [12, 15]
    assert m.interruptions == 1
    assert m.questions == 1
    assert m.speakers == 4
    assert m.words == 56
    assert [s[p].talk_s for p in "abcd"] == [18.0, 6.0, 5.0, 0.0]
    assert s["a"].talk_share == pytest.approx(18 / 29, abs=1e-4)
    assert [s[p].wpm for p in "abcd"] == [120.0, 100.0, 120.0, 0.0]
    assert [s[p].turns for p in "abcd"] == [2, 1, 1, 0]
    assert s["a"].longest_monologue_s == 10.0
    assert (s["b"].interruptions_made, s["a"].interrupted) == (1, 1)
    assert (s["a"].interruptions_made, s["b"].interrupted) == (0, 0)
    assert (s["a"].overlap_s, s["b"].overlap_s, s["c"].overlap_s) == (4.0, 4.0, 0.0)
    assert (s["a"].speaker, s["a"].user_id, s["c"].speaker) == ("Ann", "u-a", "c")
    # |18-6| + |18-5| + |18-0| + |6-5| + |6-0| + |5-0| = 55; 2 * 55 / (2 * 4^2 * 7.25)
    assert m.gini == pytest.approx(110 / 232, abs=1e-4)
    # outcome 1, balance 1 - 0.4741, use (25/40)/0.75, flow 1 - 2*1/4 - 2*4/25
    expected = 100 * (0.35 + 0.25 * (1 - 110 / 232) + 0.2 * (0.625 / 0.75) + 0.2 * 0.18)
    assert m.efficiency == pytest.approx(expected, abs=0.01)


def test_a_short_overlap_at_the_end_is_a_handover_not_an_interruption() -> None:
    m = meeting_metrics([Segment("a", 0, 10, 5), Segment("b", 9.8, 15, 5)])
    assert m.interruptions == 0
    assert m.overlap_s == pytest.approx(0.2)


def test_interrupter_who_stops_first_is_only_an_overlap() -> None:
    m = meeting_metrics([Segment("a", 0, 10, 5), Segment("b", 8.5, 9.5, 2)])
    assert m.interruptions == 0
    assert m.overlap_s == 1.0


def test_empty_meeting_is_all_zero() -> None:
    m = meeting_metrics([], duration_s=0.0)
    assert (m.duration_s, m.speech_s, m.silence_share, m.gini, m.efficiency) == (0, 0, 0, 0, 0)
    assert m.per_speaker == ()


def test_silent_meeting_with_attendees_has_full_silence() -> None:
    m = meeting_metrics([], [Attendee("a", "Ann")], duration_s=60.0)
    assert m.silence_share == 1.0
    assert m.efficiency == 0.0
    assert by_speaker(m)["a"].talk_s == 0.0


def test_one_speaker_has_zero_gini_and_no_overlap() -> None:
    m = meeting_metrics([Segment("a", 0, 30, 60), Segment("a", 35, 60, 50)], duration_s=60)
    s = by_speaker(m)["a"]
    assert (m.gini, m.overlap_s, m.interruptions, m.speakers) == (0.0, 0.0, 0, 1)
    assert (s.talk_share, s.turns, s.longest_monologue_s) == (1.0, 1, 60.0)
    assert s.wpm == pytest.approx(110 / (55 / 60), abs=0.01)


def test_speaker_without_words_has_talk_time_and_zero_wpm() -> None:
    m = meeting_metrics([Segment("a", 0, 10, 0), Segment("b", 10, 20, 30)])
    s = by_speaker(m)
    assert (s["a"].talk_s, s["a"].words, s["a"].wpm) == (10.0, 0, 0.0)
    assert s["b"].wpm == 180.0


def test_bad_timestamps_are_dropped_or_clamped() -> None:
    m = meeting_metrics(
        [
            Segment("a", math.nan, 5, 3),  # dropped with its words
            Segment("a", -4, 2, 4),  # clamped to [0, 2]
            Segment("b", 10, 6, 5),  # end before start: words count, no time
            Segment("b", 20, math.inf, 1),  # dropped
        ]
    )
    s = by_speaker(m)
    assert (s["a"].talk_s, s["a"].words, s["b"].talk_s, s["b"].words) == (2.0, 4, 0.0, 5)
    assert m.duration_s == 10.0
    assert m.overlap_s == 0.0


def test_one_speakers_overlapping_segments_are_not_counted_twice() -> None:
    m = meeting_metrics([Segment("a", 0, 10, 10), Segment("a", 5, 12, 10)])
    assert by_speaker(m)["a"].talk_s == 12.0
    assert m.overlap_s == 0.0  # overlapping yourself is not crosstalk


def test_gini_extremes() -> None:
    assert gini([5, 5, 5]) == 0.0
    assert gini([10, 0]) == pytest.approx(0.5)
    assert gini([]) == 0.0


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Can we ship it on Friday?", True),
        ("We ship on Friday.", False),
        ("금요일에 배포할까요", True),
        ("회의는 몇 시에 시작합니까?", True),
        ("내일 끝났나요.", True),
        ("배포는 금요일에 합니다.", False),
    ],
)
def test_questions_in_english_and_korean(text: str, asked: bool) -> None:
    assert is_question(text) is asked


def test_words_are_whitespace_separated() -> None:
    assert count_words("  we  ship\ton Friday ") == 4
    assert count_words("") == 0
