"""Search queries split into English words and Korean terms; snippets mark matches by offset."""

from __future__ import annotations

from gateway.search_terms import (
    hangul_bigrams,
    like_pattern,
    parse_query,
    snippet,
    word_phrase_regex,
)


def _marked(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[start:end] for start, end in spans]


def test_query_splits_english_words_from_korean_terms() -> None:
    query = parse_query('  "Launch  checklist", 예산을 검토 ')
    assert query.phrase == 'launch  checklist", 예산을 검토'.replace("  ", " ")
    assert query.words == ("launch", "checklist")
    assert query.hangul_terms == ("예산을", "검토")
    assert query.bigrams == ("예산", "산을", "검토")


def test_bigrams_mirror_the_index_function() -> None:
    assert hangul_bigrams("회의에서 예산을 봤다. 집") == [
        "회의",
        "의에",
        "에서",
        "예산",
        "산을",
        "봤다",
        "집",
    ]
    assert hangul_bigrams("no korean here") == []


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_the_exact_phrase_is_marked_rather_than_its_words() -> None:
    text = "The checklist for launch, then the launch checklist itself."
    found = snippet(text, parse_query("launch checklist"))
    assert _marked(found.text, found.highlights) == ["launch checklist"]


def test_words_and_stems_are_marked_when_the_phrase_is_absent() -> None:
    found = snippet("We decided the meeting budgets.", parse_query("decide budget meetings"))
    assert _marked(found.text, found.highlights) == ["decided", "meeting", "budgets"]


def test_korean_substring_inside_a_word_is_marked() -> None:
    found = snippet("이번 분기 예산안을 금요일까지 검토합니다", parse_query("예산"))
    assert _marked(found.text, found.highlights) == ["예산"]


def test_a_long_text_is_cut_around_the_first_match_with_offsets_kept() -> None:
    text = " ".join(["filler"] * 60) + " the launch checklist is ready " + " ".join(["tail"] * 60)
    found = snippet(text, parse_query("launch checklist"), width=80)
    assert found.text.startswith("\u2026")
    assert found.text.endswith("\u2026")
    assert len(found.text) <= 82
    assert _marked(found.text, found.highlights) == ["launch checklist"]


def test_stop_word_phrases_become_a_whole_word_regex_with_specials_escaped() -> None:
    assert word_phrase_regex(("it", "was")) == r"\mit\s+was\M"
    assert word_phrase_regex(("a.b", "(c)")) == r"\ma\.b\s+\(c\)\M"
