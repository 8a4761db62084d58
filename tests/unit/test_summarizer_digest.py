"""The rules summary reads like minutes: who met, what they covered, what they decided."""

from __future__ import annotations

import json
import re
import time

import pytest

from summarizer.digest import digest
from summarizer.facts import Utterance
from summarizer.ledger import Ledger
from summarizer.minutes import PhraseCounts, clean, names_a_thing, phrases, reported
from tests.helpers.speech_data import find_meetings_dir

MEETINGS = find_meetings_dir()  # beside the checkout or the workplace's shared folder

DESIGN_REVIEW = [
    ("Project Manager", "Okay, um, let's start. Today we need to settle the buttons and the case."),
    ("Industrial Designer", "Mm-hmm."),
    (
        "Industrial Designer",
        "Um so I looked at the the rubber buttons and the rubber buttons are cheap to make.",
    ),
    ("Marketing", "Yeah."),
    (
        "Marketing",
        "Our survey says users want a curved case that fits the hand and glows in the dark.",
    ),
    ("User Interface", "I think we should keep the number of buttons small on the front."),
    ("Project Manager", "Can you see my screen?"),
    ("Marketing", "Yes."),
    ("Industrial Designer", "A curved case in plastic costs more than a flat case in plastic."),
    ("User Interface", "Should the remote also control the DVD player?"),
    ("Marketing", "The survey says people lose the remote, so a locator beep would help sales."),
    ("Project Manager", "So we'll go with the rubber buttons and a curved case."),
    ("Industrial Designer", "Okay."),
    ("Project Manager", "Have we decided on the colour of the case?"),
    ("User Interface", "The menu button should open a simple list on the TV screen."),
    ("Marketing", "Users between fifteen and thirty five care most about the look of the case."),
]

KOREAN_REVIEW = [
    ("김민수", "음 오늘은 앱 출시 일정하고 마케팅 예산을 정리하겠습니다."),
    ("이지은", "네."),
    ("이지은", "어 출시 일정은 다음 달 15일로 하죠."),
    ("박서준", "그 베타 테스트 결과를 보면 결제 화면에서 오류가 많았습니다."),
    ("김민수", "음 화면 잘 들리시나요?"),
    ("이지은", "네 들려요."),
    ("김민수", "마케팅 예산은 오백만 원으로 확정하겠습니다."),
    ("이지은", "광고 채널은 인스타그램하고 유튜브 중에 어디가 좋을까요?"),
    ("박서준", "베타 테스트 참가자 의견을 보면 결제 화면이 제일 불편하다고 했습니다."),
    ("김민수", "그럼 결제 화면 개선을 출시 전 최우선 과제로 하죠."),
    ("이지은", "출시 일정에 맞춰서 마케팅 예산 집행 계획도 다시 확인해야 합니다."),
    ("박서준", "네 맞아요."),
]

# The words minutes may add around what was said: frames, pronouns, reporting verbs.
CONNECTING = set(
    re.findall(
        r"\w+",
        "the team met to discuss discussed presented said that and they their them theirs "
        "decided thought suggested liked wanted had speaker participants a participant "
        "will would is has meeting covered it was felt members of group one ",
    )
)


def _utterances(lines: list[tuple[str, str]]) -> list[Utterance]:
    return [Utterance(f"s{i}", speaker, float(i), text) for i, (speaker, text) in enumerate(lines)]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def test_overview_reads_as_minutes_not_a_word_list() -> None:
    result = digest(_utterances(DESIGN_REVIEW), Ledger("m1"), "en")
    first = result.overview.split(". ")[0]
    assert first.startswith("The Project Manager, the Industrial Designer, Marketing and User")
    assert "met to discuss" in first
    assert "rubber buttons" in first or "curved case" in first
    assert "They decided to go with the rubber buttons and a curved case." in result.overview
    assert not re.search(r"\b(?:um|uh|mm-hmm)\b|\b(\w+) \1\b", result.overview, re.IGNORECASE)
    assert not re.search(r"\d+ (?:decisions|open questions)", result.overview)


def test_overview_says_nothing_the_meeting_did_not() -> None:
    lines = DESIGN_REVIEW
    result = digest(_utterances(lines), Ledger("m1"), "en")
    said = _words(" ".join(text for _speaker, text in lines))
    named = _words(" ".join(speaker for speaker, _text in lines))
    assert _words(result.overview) - said - named - CONNECTING == set()


def test_decisions_are_what_the_group_settled_not_questions_about_it() -> None:
    result = digest(_utterances(DESIGN_REVIEW), Ledger("m1"), "en")
    assert result.decisions == [
        "Project Manager: We'll go with the rubber buttons and a curved case."
    ]


def test_a_feature_settled_in_passing_is_a_decision_when_it_names_the_subject() -> None:
    lines = [
        *DESIGN_REVIEW,
        ("Industrial Designer", "Then it's gonna be a remote with a locator beep."),
        ("Marketing", "It'll be fine."),
        ("User Interface", "We'll have a look at the survey after the break."),
        ("Marketing", "I think we should probably have a locator beep in the case."),
    ]
    result = digest(_utterances(lines), Ledger("m1"), "en")
    assert result.decisions == [
        "Project Manager: We'll go with the rubber buttons and a curved case.",
        "Industrial Designer: It's going to be a remote with a locator beep.",
    ]


def test_one_persons_plan_and_the_plan_of_the_call_are_not_decisions() -> None:
    lines = [
        *DESIGN_REVIEW,
        ("Marketing", "I'm going to go for the curved case in my drawing of the remote."),
        ("Project Manager", "After this we're going to have a presentation on the rubber buttons."),
        ("Project Manager", "Let's move on to the case and the rubber buttons."),
        ("Industrial Designer", "We'll have a locator beep in the curved case."),
    ]
    result = digest(_utterances(lines), Ledger("m1"), "en")
    assert result.decisions == [
        "Project Manager: We'll go with the rubber buttons and a curved case.",
        "Industrial Designer: We'll have a locator beep in the curved case.",
    ]


def test_open_questions_are_about_the_subject_not_the_call() -> None:
    result = digest(_utterances(DESIGN_REVIEW), Ledger("m1"), "en")
    assert "User Interface: Should the remote also control the DVD player?" in result.open_questions
    assert not any("screen?" in q for q in result.open_questions)


def test_key_points_are_short_distinct_statements_in_the_third_person() -> None:
    result = digest(_utterances(DESIGN_REVIEW), Ledger("m1"), "en", max_points=3)
    assert 0 < len(result.key_points) <= 3
    assert len(set(result.key_points)) == len(result.key_points)
    for point in result.key_points:
        assert len(point.split()) <= 30
        assert not point.endswith("?")
        assert not re.match(r"(?:I|We)\b", point.split(": ", 1)[-1]), "minutes speak of people"


def test_cleaning_removes_fillers_stutters_and_cut_off_words() -> None:
    assert clean("Um so des uh design a a new remote control on the T_V_.") == (
        "Design a new remote control on the TV."
    )
    assert clean("We were go we were going with the rubber, you know.") == (
        "We were going with the rubber."
    )
    assert clean("음 어 출시 일정은 다음 달로 하죠.") == "출시 일정은 다음 달로 하죠."
    # Cut off longer, then said whole: "interf interface"; a word said before a longer one
    # ("over overall", "회의 회의실") is left.
    assert clean("Eith either the user interf interface has a scro scroll wheel.") == (
        "Either the user interface has a scroll wheel."
    )
    assert clean("Over overall the 회의 회의실 is fine.") == "Over overall the 회의 회의실 is fine."


def test_korean_meeting_gets_korean_minutes() -> None:
    result = digest(_utterances(KOREAN_REVIEW), Ledger("m1"), "ko")
    assert result.overview.startswith("김민수, 이지은, 박서준이 만나 ")
    assert "출시 일정" in result.overview.split(".")[0]
    assert "결정 사항: 출시 일정은 다음 달 15일로 하죠" in result.overview
    assert result.decisions == [
        "이지은: 출시 일정은 다음 달 15일로 하죠.",
        "김민수: 마케팅 예산은 오백만 원으로 확정하겠습니다.",
        "김민수: 결제 화면 개선을 출시 전 최우선 과제로 하죠.",
    ]
    assert result.open_questions == [
        "이지은: 광고 채널은 인스타그램하고 유튜브 중에 어디가 좋을까요?"
    ]
    assert not re.search(r"(?:^|\s)(?:음|어|그)\s", result.overview)


def test_korean_one_persons_plan_is_not_a_decision() -> None:
    lines = [
        *KOREAN_REVIEW,
        ("박서준", "결제 화면 테스트는 원래 제가 하기로 했던 건데 일정이 걸려요."),
    ]
    decisions = digest(_utterances(lines), Ledger("m1"), "ko").decisions
    assert decisions == digest(_utterances(KOREAN_REVIEW), Ledger("m1"), "ko").decisions


def test_korean_topics_are_not_people_nor_grammar() -> None:
    lines = [
        *KOREAN_REVIEW,
        ("김민수", "지은님 결제 화면은 지은님이 같이 보는 걸로 하고, 서준 씨도 같이 봐 주세요."),
        ("박서준", "팀장님, 결제 화면은 지은님 걸로 거의 다 됐어요."),
        ("이지은", "팀장님 말씀대로 지은님 걸로 같이 하죠."),
    ]
    topics = digest(_utterances(lines), Ledger("m1"), "ko").overview.split("에 대해")[0]
    topics = topics.split("만나 ")[1]
    assert "결제 화면" in topics, topics
    for word in ("지은님", "서준", "팀장님", "걸로", "같이", "거의"):
        assert word not in topics, topics


def test_transcript_without_speakers_still_reads_as_minutes() -> None:
    lines = [Utterance(f"s{i}", None, float(i), text) for i, (_s, text) in enumerate(DESIGN_REVIEW)]
    overview = digest(lines, Ledger("m1"), "en").overview
    assert overview.startswith("The meeting covered ")
    assert "participants" not in overview
    assert "They decided to go with the rubber buttons and a curved case." in overview
    said = _words(" ".join(text for _speaker, text in DESIGN_REVIEW))
    assert _words(overview) - said - CONNECTING == set()


def test_topics_said_with_the_are_named_with_the() -> None:
    first = digest(_utterances(DESIGN_REVIEW), Ledger("m1"), "en").overview.split(". ")[0]
    # "the rubber buttons" four times in five; "the case" mostly, "a curved case" twice.
    assert re.search(r"\bthe rubber buttons\b", first), first
    counts = PhraseCounts.of(["The survey says so.", "A survey of users."], "en")
    assert (counts.said[("survey",)], counts.definite[("survey",)]) == (2, 1)


def test_a_word_said_only_of_things_is_never_a_topic() -> None:
    assert not any(names_a_thing(w) for w in ("spongy", "awful", "curved", "distinguish"))
    assert all(names_a_thing(w) for w in ("fruit", "remote", "LCD", "Heidelberg", "debugging"))
    lines = [
        ("Marketing", "The spongy is what users want, the spongy is the trend."),
        ("Industrial Designer", "We could make the spongy in rubber."),
        ("Marketing", "Yeah, the spongy."),
    ]
    overview = digest(_utterances([*DESIGN_REVIEW, *lines]), Ledger("m1"), "en").overview
    # Said after "the" as often as "the remote", but no noun: the topics are the others.
    assert overview.startswith("The Project Manager, the Industrial Designer, Marketing and")
    assert "spongy" not in overview.split(". ")[0], overview
    assert "the remote" in overview.split(". ")[0], overview


def test_a_word_cut_off_is_never_a_topic() -> None:
    said = [p for p, _before in phrases("The th the wel welcome screen of the SRI system", "en")]
    assert said == ["welcome screen", "sri system"]
    assert [p for p, _ in phrases("Check the belief-net on Bayes nets.", "en")] == [
        "belief-net",
        "bayes nets",
    ]


FLOOR = [
    "The battery in the current prototype lasts about six weeks with the standard rubber buttons.",
    "A kinetic battery would charge itself when the remote is shaken, which users liked in tests.",
    "The solar cell needs a larger case and costs twice as much as the kinetic battery.",
    "Our supplier can deliver the kinetic battery in the colours that marketing asked for.",
    "The battery compartment sits under the rubber buttons, so the case stays curved at the back.",
    "Replacing the battery should take users less than a minute, and the charger is optional.",
    "The kinetic battery adds forty grams, which the survey says users will hardly notice.",
    "The supplier sends a quote for the kinetic battery next week, and for the solar cell.",
    "A spare battery in the box would cost the company less than the charger.",
    "The solar cell would also need light, and most remotes spend the evening under a cushion.",
]


def test_speakers_without_names_are_members_of_the_group() -> None:
    ids = {"Project Manager": "me011", "Marketing": "fe008"}
    lines = [(ids.get(s, "mn017"), t) for s, t in DESIGN_REVIEW] + [("fe008", t) for t in FLOOR]
    overview = digest(_utterances(lines), Ledger("m1"), "en").overview
    assert overview.startswith("3 members of the group met to discuss "), overview
    assert "One member of the group presented " in overview, overview
    assert not re.search(r"\b(?:me011|fe008|mn017)\b", overview)


def test_read_out_digits_and_leaning_statements_are_not_quoted() -> None:
    digits = ("Marketing", "Transcript two eight seven one dash two eight nine zero five.")
    leaning = ("Marketing", "It was that thing they said about it and this one there.")
    unheard = ("Marketing", "The survey results could run over to four o'clock @ @ finished.")
    lines = [*DESIGN_REVIEW, digits, digits, leaning, unheard]
    overview = digest(_utterances(lines), Ledger("m1"), "en").overview
    assert "two eight" not in overview.lower()
    assert "thing they said" not in overview
    assert "@" not in overview


def test_minutes_report_only_whole_clauses() -> None:
    """Speech drops subjects and verbs; "X said that" needs both, or the line is not told."""
    designer = "the Industrial Designer"
    for fragment in (
        "Allergic to animal fur, so fish was a natural choice.",  # no subject
        "This the scroll button and the microphone on the sides here under.",
        "My personal design they need to find a solution.",  # the speaker, capitalised
        "In order to get to the church turn around.",
        "Remote younger people usually use the remote control.",
        "I think especially because of the microphone and the LCD screen also.",
    ):
        assert reported(fragment, designer, "en") is None, fragment
    # Words that name a thing without saying anything of it are what was mentioned.
    assert reported("A kind of backwards remote from the telly.", designer, "en") == (
        "The Industrial Designer mentioned a kind of backwards remote from the telly."
    )
    assert reported("The rubber buttons are cheap to make.", designer, "en") == (
        "The Industrial Designer said that the rubber buttons are cheap to make."
    )
    assert reported("So it's a special colour.", designer, "en") == (
        "The Industrial Designer said that it's a special colour."
    )
    assert reported("I think the only option is to drop the speaker.", designer, "en") == (
        "The Industrial Designer thought the only option is to drop the speaker."
    )
    assert reported("LCDs are expensive.", None, "en") == "LCDs are expensive."


def test_empty_meeting_gives_an_empty_digest() -> None:
    result = digest([], Ledger("m1"), "en")
    assert (result.overview, result.key_points, result.decisions) == ("", [], [])


def _real(corpus: str, meeting_id: str) -> list[Utterance]:
    if MEETINGS is None:
        pytest.skip("no shared meetings data on this machine (set VORI_MEETINGS_DIR)")
    path = MEETINGS / corpus / f"{meeting_id}.json"
    raw = json.loads(path.read_text())
    return [
        Utterance(f"{meeting_id}-{t['turn']}", t["speaker"], float(t["turn"]), t["text"])
        for t in raw["transcript"]
    ]


def test_real_meeting_overview_names_the_floor_holders_and_is_abstract_length() -> None:
    utterances = _real("ami", "ES2002b")
    result = digest(utterances, Ledger("ES2002b"), "en")
    assert 100 <= len(result.overview.split()) <= 220
    assert re.search(
        r"\b(?:the Industrial Designer|Marketing|User Interface) presented\b", result.overview
    )
    assert result.overview == digest(utterances, Ledger("ES2002b"), "en").overview


def test_two_thousand_utterances_summarise_in_well_under_two_seconds() -> None:
    utterances = _real("icsi", "Bmr018")
    utterances = (utterances * (2000 // len(utterances) + 1))[:2000]
    started = time.process_time()
    digest(utterances, Ledger("Bmr018"), "en")
    assert time.process_time() - started < 1.0
