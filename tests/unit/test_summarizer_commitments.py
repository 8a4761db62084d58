"""Reading who does what from a flagged segment of real, disfluent speech."""

from __future__ import annotations

from summarizer.commitments import (
    CommitmentReader,
    clean,
    handout_title,
    is_received,
    title_from,
)
from summarizer.facts import Member, Utterance
from summarizer.people import People

ROLES = tuple(
    Member(f"u{i}", name)
    for i, name in enumerate(
        ["Project Manager", "Marketing", "User Interface", "Industrial Designer"]
    )
)
READER = CommitmentReader(People(ROLES))


def _said(speaker: str, text: str, n: int = 1) -> Utterance:
    return Utterance(f"s{n}", speaker, float(n), text, participant_id=None)


def test_stutters_and_fillers_are_cleaned() -> None:
    assert clean("Um so I I'll uh send the the w we report") == "so I'll send the we report"


def test_title_is_the_verb_phrase_after_the_modal() -> None:
    assert title_from("so I'll look into the battery options, because it matters") == (
        "Look into the battery options"
    )
    assert title_from("you're gonna be thinking about the components concept") == (
        "Thinking about the components concept"
    )
    assert title_from("I think it's fine") is None


def test_one_segment_naming_three_roles_gives_three_owned_tasks() -> None:
    # AMI ES2002b, the project manager closing the meeting (real transcript).
    text = (
        "um for uh our Industrial Designer, you're gonna be thinking about the components "
        "concept. Um User Interface Designer gonna be thinking about our user interface, "
        "and marketing you're gonna be thinking about trend watching."
    )
    proposals = READER.read(_said("Project Manager", text), None, None)
    assert [(p.owner.name if p.owner else None) for p in proposals] == [
        "Industrial Designer",
        "User Interface",
        "Marketing",
    ]
    assert "components concept" in proposals[0].title
    assert "trend watching" in proposals[2].title


def test_i_is_the_speaker_we_is_everyone_and_you_is_who_answers() -> None:
    [mine] = READER.read(
        _said("Marketing", "Okay, I'll send round the survey results."), None, None
    )
    assert mine.owner is not None
    assert mine.owner.name == "Marketing"
    [ours] = READER.read(
        _said("Project Manager", "So we all need to fill in the questionnaire."), None, None
    )
    assert ours.everyone
    assert ours.owner is None
    [yours] = READER.read(
        _said("Project Manager", "Could you look at the costs of the chips before Friday?"),
        None,
        _said("Industrial Designer", "Sure, will do.", 2),
    )
    assert yours.owner is not None
    assert yours.owner.name == "Industrial Designer"


def test_role_words_alone_name_nobody() -> None:
    people = People(ROLES)
    found = [m.name for _s, _e, m in people.find_in("the user interface designer will")]
    assert found == ["User Interface"]


def test_role_acronyms_name_members_but_a_time_does_not() -> None:
    # AMI ES2010b and IS1005b (tuning split), project managers' real words.
    people = People(ROLES)
    found = people.find_in(
        "The I_D_ is going to work on the components concept, um U_I_D_ the user interface concept"
    )
    assert [m.name for _s, _e, m in found][:2] == ["Industrial Designer", "User Interface"]
    assert people.find_in("Somebody booked the meeting room just for at one P_M_") == []


def test_a_hand_out_without_a_verb_gives_the_work_named() -> None:
    # AMI ES2010b (tuning split): the second role is handed its work without a verb.
    text = (
        "Um here's what we're each going to do. The I_D_ is going to work on the components "
        "concept, um U_I_D_ the user interface concept, and you're going to do some trend "
        "watching."
    )
    proposals = READER.read(_said("Project Manager", text), None, None)
    owned = [(p.owner.name if p.owner else None, p.title) for p in proposals]
    assert ("Industrial Designer", "Work on the components concept") in owned
    assert ("User Interface", "Work on the user interface concept") in owned
    assert handout_title(", technical functions, I guess that's you know like") == (
        "Work on technical functions"
    )
    assert handout_title(" which is basically the buttons") is None


def test_do_with_its_object_is_work_and_things_received_are_not() -> None:
    # AMI ES2010c and ES2008c (tuning split).
    assert title_from("The I_D_ is going to do the look and feel design") == (
        "Do the look and feel design"
    )
    assert title_from("I will do it") is None
    assert title_from("You'll get specific instructions from your personal coach.") is None
    assert is_received("get specific instructions from the personal coach")
