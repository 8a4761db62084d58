"""The detector's scores decide which of the rules' moments become tasks."""

from __future__ import annotations

from datetime import date

from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.reading import Thresholds, read_meeting

FACTS = MeetingFacts(
    "m1",
    "en",
    date(2026, 11, 2),
    "UTC",
    (Member("u1", "Project Manager"), Member("u2", "Marketing"), Member("u3", "Mina Park")),
)
THRESHOLDS = Thresholds(task=0.8, candidate=0.4)


def _line(n: int, speaker: str, text: str, score: float | None) -> Utterance:
    ids = {m.name: m.user_id for m in FACTS.members}
    return Utterance(f"s{n}", speaker, float(n), text, ids[speaker], action_score=score)


def test_in_meeting_instructions_the_detector_rejects_are_not_tasks() -> None:
    lines = [
        _line(1, "Project Manager", "Can you plug this in so we can all see it?", 0.05),
        _line(2, "Marketing", "I'll have a go at drawing it now.", 0.1),
        _line(3, "Mina Park", "I'll send the survey results to everyone by Friday.", 0.9),
    ]
    ledger, moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert [t.title for t in ledger.open_tasks()] == ["Send the survey results to everyone"]
    [task] = ledger.open_tasks()
    assert task.assignee == "Mina Park"
    assert task.due == date(2026, 11, 6)
    assert [m.utterance.segment_id for m in moments] == ["s3"]


def test_without_scores_the_rules_alone_decide() -> None:
    lines = [_line(1, "Project Manager", "Can you plug this in so we can all see it?", None)]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert len(ledger.open_tasks()) == 1


def test_a_confident_detector_finds_what_the_rules_cannot_read() -> None:
    lines = [
        _line(
            1,
            "Project Manager",
            "Um so for next time, uh, we all need to fill in the the questionnaire.",
            0.95,
        ),
        _line(2, "Marketing", "Okay.", 0.0),
    ]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    [task] = ledger.open_tasks()
    assert task.title == "Fill in the questionnaire"
    assert task.assignee == "Everyone"
    assert task.to_item().assignee_id is None


def test_changes_of_mind_need_no_score() -> None:
    lines = [
        _line(1, "Mina Park", "I'll send the survey results by Friday.", 0.9),
        _line(2, "Project Manager", "Actually let's drop the survey results.", 0.0),
    ]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert [t.status for t in ledger.tasks.values()] == ["cancelled"]


def test_work_handed_to_someone_needs_only_the_detectors_agreement() -> None:
    # AMI IS1005a and ES2007c (real lines): a closing hands out work to "you" and by role,
    # scored between the candidate threshold and the task threshold.
    lines = [
        _line(
            1,
            "Project Manager",
            "uh, you are going to work on the technical functions of the remote control.",
            0.6,
        ),
        _line(2, "Marketing", "Okay.", 0.0),
        _line(3, "Project Manager", "And Marketing will do the product evaluation.", 0.6),
        _line(4, "Mina Park", "We're gonna work on the logo a bit more now.", 0.6),
        _line(5, "Mina Park", "you are going to work on the buttons.", 0.3),
    ]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert [(t.title, t.assignee) for t in ledger.open_tasks()] == [
        ("Work on the technical functions of the remote control", "Marketing"),
        ("Do the product evaluation", "Marketing"),
    ]


def test_work_given_a_day_after_the_meeting_needs_only_the_detectors_agreement() -> None:
    # ICSI's annotators label such lines (Bmr series): scored between the two thresholds,
    # work with a day after the meeting is a task; the same work with no day, or for
    # today, is not.
    lines = [
        _line(1, "Mina Park", "So we'll have to set up the second box by Monday.", 0.6),
        _line(2, "Marketing", "So we'll have to set up the third box.", 0.6),
        _line(3, "Marketing", "So we'll have to set up the fourth box today.", 0.6),
    ]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert [(t.title, t.assignee, t.due) for t in ledger.open_tasks()] == [
        ("Set up the second box by Monday", "Everyone", date(2026, 11, 9))
    ]


def test_a_wrap_up_hands_out_work_beside_a_sentence_the_rules_read() -> None:
    # AMI ES2010b's wrap-up (real transcript, roles renamed to this meeting's members): the
    # rules read the first sentence; the hand-outs after it are cards too.
    wrap_up = (
        "And I'm gonna type up the minutes for this one as well. Here's what we're each going "
        "to do. Marketing, the trend watching report. Mina Park, the interface concept."
    )
    lines = [_line(1, "Project Manager", wrap_up, 0.99), _line(2, "Marketing", "Okay.", 0.0)]
    ledger, _moments = read_meeting(FACTS, lines, THRESHOLDS)
    assert [(t.title, t.assignee) for t in ledger.open_tasks()] == [
        ("Type up the minutes for this one", "Project Manager"),
        ("Work on the trend watching report", "Marketing"),
        ("Work on the interface concept", "Mina Park"),
    ]


def test_that_refers_to_a_task_only_while_it_is_being_talked_about() -> None:
    # AMI IS1004c: a task handed out, then talk about the design; "it will not be possible
    # to implement it" is about a feature and cancels no task.
    talk = [
        _line(n, "Marketing", line, 0.0)
        for n, line in enumerate(
            [
                "The buttons could be rubber.",
                "And the case yellow, maybe.",
                "I like the curved shape.",
                "A scroll wheel would be nice too.",
                "What about speech recognition?",
            ],
            start=2,
        )
    ]
    handed = _line(1, "Project Manager", "Mina Park will send the price list by Friday.", 0.9)
    later = _line(7, "Project Manager", "We don't need it.", 0.0)
    ledger, _moments = read_meeting(FACTS, [handed, *talk, later], THRESHOLDS)
    assert [t.status for t in ledger.tasks.values()] == ["open"]
    # Right after the task, or a few lines on, "that" is the task.
    ledger, _moments = read_meeting(FACTS, [handed, *talk[:3], later], THRESHOLDS)
    assert [t.status for t in ledger.tasks.values()] == ["cancelled"]
