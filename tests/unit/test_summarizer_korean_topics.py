"""A Korean meeting's rules overview names content nouns as its topics: no question word,
no adnominal or verb form, no noun said in any meeting ("무슨", "있는", "방법").

The meetings are built from real Korean speech: the reference transcripts of the NAVER
phone-call questions (../shared/data/speech/ko/naver), each asked and then repeated by
another participant, grouped by what they ask about.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from summarizer.digest import digest
from summarizer.facts import Utterance
from summarizer.ledger import Ledger
from summarizer.minutes import is_backchannel, keys, phrases
from tests.helpers.speech_data import find_speech_dir


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPEECH = find_speech_dir()
SPEAKERS = ["김민수", "이지은", "박서준"]
# The questions (wav_NNN.txt) of each meeting, by what they ask about.
MEETINGS = {
    "directions": ["001", "003", "045", "047", "049", "051", "053"],
    "menu": ["005", "007", "009", "011", "013"],
    "parking": ["015", "017", "019", "021", "023", "097"],
    "student discount": ["025", "027", "029", "031", "033"],
    "opening days": ["035", "037", "039", "041", "043", "055"],
    "delivery and lost items": ["057", "059", "065", "067", "069", "071", "073"],
    "children": ["077", "079", "081", "083"],
    "booking": ["061", "063", "075", "085", "087", "089", "091", "093", "095", "099"],
}
QUESTION_WORDS = _words("무슨 뭐 뭔 무엇 어떤 어느 어디 언제 왜 어떻게 얼마 얼마나 몇 누구")
GENERIC_NOUNS = _words("방법 것 것들 거 수 때 등 경우 종류")
# Endings of verb and adjective forms: final ("있나요", "됩니다"), connective ("하면"),
# adnominal ("있는", "많은", "있을", "가까운", "다른").
VERB_ENDING = re.compile(r"(?:는|은|을|운|른|요|다|까|죠|면|데)$")
# Adnominal and connective forms said in these questions.
NOT_NOUNS = _words("가까운 있는 있을 다른 되는 여는 주실 찾아봐주실 받을수 담아 정해져 울까봐")
# The part of an overview sentence before its topics.
LEAD = re.compile(r"^(?:.* 만나 |회의에서 |먼저 |이어서 |(?:김민수|이지은|박서준)[이가] )")


def _questions() -> dict[str, str]:
    if SPEECH is None:
        pytest.skip("the shared speech data is not on this machine")
    folder = Path(SPEECH) / "ko" / "naver"
    return {
        path.stem.removeprefix("wav_"): path.read_text().strip()
        for path in folder.glob("wav_*.txt")
    }


def _meeting(texts: list[str], named: bool) -> list[Utterance]:
    said = [text for text in texts for _ in range(2)]  # asked, then repeated by another
    return [
        Utterance(f"s{i}", SPEAKERS[i % len(SPEAKERS)] if named else None, float(i), text)
        for i, text in enumerate(said)
    ]


def _topics(overview: str) -> list[str]:
    """The topics the overview's framing sentences name ("X, Y에 대해 논의했습니다")."""
    topics: list[str] = []
    for sentence in overview.split(". "):
        if "“" in sentence or not re.search(r"에 대해 (?:논의|발표)했습니다", sentence):
            continue
        head = LEAD.sub("", sentence.split("에 대해")[0])
        topics += head.split(", ")
    return topics


def _is_content_noun(word: str) -> bool:
    return not (
        word in QUESTION_WORDS
        or word.startswith(("무슨", "어떤", "어느", "몇"))
        or word in GENERIC_NOUNS
        or word in NOT_NOUNS
        or VERB_ENDING.search(word)
    )


@pytest.mark.parametrize("named", [True, False], ids=["speakers", "no speakers"])
@pytest.mark.parametrize("name", sorted(MEETINGS))
def test_korean_overview_topics_are_content_nouns(name: str, named: bool) -> None:
    questions = _questions()
    texts = [questions[n] for n in MEETINGS[name]]
    overview = digest(_meeting(texts, named), Ledger("m1"), "ko").overview
    said = " ".join(texts)
    for topic in _topics(overview):
        for word in topic.split():
            assert _is_content_noun(word), (word, overview)
            assert word in said, (word, overview)


def test_the_reported_meeting_no_longer_names_filler_words() -> None:
    """The case reported: "가까운 지하찰력, 무슨, 방법, 있는에 대해 논의했습니다"."""
    questions = _questions()
    texts = [questions["001"], questions["003"], questions["049"], questions["053"]]
    overview = digest(_meeting(texts, named=True), Ledger("m1"), "ko").overview
    topics = " ".join(_topics(overview)).split()
    for word in ("가까운", "무슨", "방법", "있는"):
        assert word not in topics, overview
    assert "있는에" not in overview


def test_a_meeting_of_every_question_names_what_they_ask_about() -> None:
    questions = _questions()
    overview = digest(_meeting(list(questions.values()), True), Ledger("m1"), "ko").overview
    topics = set(" ".join(_topics(overview)).split())
    assert {"메뉴", "배달", "예약"} <= topics, overview
    assert all(_is_content_noun(word) for word in topics), overview


def test_korean_words_are_told_apart_from_their_form() -> None:
    # Question words, adnominals, verb forms and nouns of any meeting carry no topic.
    for word in ("무슨", "어디에", "몇살부터", "있는", "있을", "가까운", "다른", "방법을", "담아"):
        assert keys(word, "ko") == [], word
    # A noun keeps its stem, two stacked particles off ("메뉴에는", "크리스마스에도"), and
    # a question word said without its space is not part of it.
    assert keys("메뉴에는 크리스마스에도 할인 무슨건물", "ko") == [
        "메뉴",
        "크리스마스",
        "할인",
        "건물",
    ]
    assert [p for p, _ in phrases("지하철 타고 갈 수 있는 방법을 알려주세요", "ko")] == ["지하철"]


def test_one_korean_noun_is_enough_to_be_said_not_backchannel() -> None:
    assert not is_backchannel("가장 가까운 지하철역이 무슨역 인가요?", "ko")
    assert is_backchannel("네 맞아요.", "ko")
    assert is_backchannel("어떻게 됩니까?", "ko")
    assert is_backchannel("Yeah, sure.", "en")
