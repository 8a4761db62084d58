"""One pass over a meeting's final segments that builds its task ledger (pure).

The rules read every sentence (commitments, requests, changes of mind: "make it Monday",
"let's drop the survey"); the detector's probability per segment decides what counts.
A new task needs the detector's agreement (at least the candidate threshold) when the
rules found it, when the work is handed to someone addressed or named ("you're gonna work
on…", "the Marketing Expert will do…") or when it is given a day after the meeting ("by
Monday"), or a confident detector (the threshold) otherwise;
changes to a known task need none. Without scores (no detector) the rules alone decide, as before.
Measured on real meetings (bench/meetings.py), the rules alone turn in-meeting chatter
("Give it a go", "Plug this in") into tasks; the detector alone misses who and when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from summarizer.commitments import CommitmentReader
from summarizer.dates import DuePhrase, find_due
from summarizer.facts import MeetingFacts, Utterance
from summarizer.ledger import Ledger
from summarizer.people import People
from summarizer.rules import Moment, Move, RulesExtractor, apply, is_injection, sentences
from vori.events import Evidence


@dataclass(frozen=True)
class Thresholds:
    """Detector probabilities: a task on its own, and agreement with a rules candidate;
    and how much two signals outside the text move a segment's log-odds: a member named
    in it, and (once the meeting has ended) its place in the meeting's wrap-up."""

    task: float
    candidate: float
    named_bonus: float = 0.0
    wrap_up_bonus: float = 0.0
    wrap_up_from: float = 0.8  # share of the meeting after which the wrap-up begins


def _after(said: DuePhrase | None, meeting_date: date) -> bool:
    return said is not None and said.due is not None and said.due > meeting_date


def _log_odds(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def adjusted_scores(
    utterances: list[Utterance], people: People, thresholds: Thresholds, ended: bool
) -> list[float]:
    """Each segment's probability with the meeting's context: commitments name their doer
    ("Industrial Designer, you'll…", 42 % of AMI's vs 2 % of all segments), and the
    wrap-up restates them (70 % of AMI's lie in the last fifth); the wrap-up is only known
    once the meeting has ended, so rolling summaries go by the text alone."""
    first = utterances[0].at if utterances else 0.0
    span = max(1e-6, (utterances[-1].at - first) if utterances else 0.0)
    result = []
    for utterance in utterances:
        score = utterance.action_score or 0.0
        if score <= 0.0:
            result.append(0.0)
            continue
        logit = _log_odds(score)
        speaker = people.speaker(utterance.speaker, utterance.participant_id)
        if any(m != speaker for _s, _e, m in people.find_in(utterance.text)):
            logit += thresholds.named_bonus
        if ended:
            place = (utterance.at - first) / span
            share = (place - thresholds.wrap_up_from) / max(1e-6, 1 - thresholds.wrap_up_from)
            logit += thresholds.wrap_up_bonus * min(1.0, max(0.0, share))
        result.append(1 / (1 + math.exp(-logit)))
    return result


def read_meeting(
    facts: MeetingFacts,
    utterances: list[Utterance],
    thresholds: Thresholds | None,
    *,
    ended: bool = False,
) -> tuple[Ledger, list[Moment]]:
    """The ledger of the whole transcript and the moments that shaped it."""
    rules = RulesExtractor(facts)
    if thresholds is None or all(u.action_score is None for u in utterances):
        return rules.extract(utterances)
    people = People(facts.members)
    reader = CommitmentReader(people, facts.language)
    everyone = reader.everyone_name
    ledger = Ledger(facts.meeting_id)
    moments: list[Moment] = []
    scores = adjusted_scores(utterances, people, thresholds, ended)
    for index, utterance in enumerate(utterances):
        ledger.hear()
        if is_injection(utterance.text):
            continue
        score = scores[index]
        found_new = False
        for sentence in sentences(utterance.text):
            move = rules.analyse(sentence, utterance)
            if move is not None and move.kind == "new":
                if score < thresholds.candidate:
                    move = None
                else:
                    found_new = True
            if move is not None and apply(ledger, move, utterance, sentence):
                moments.append(Moment(utterance, sentence, move))
            elif (talked_about := ledger.mentioned(sentence)) is not None:
                ledger.focus(talked_about)
        if score < thresholds.candidate:
            continue
        before = utterances[index - 1] if index > 0 else None
        after = utterances[index + 1] if index + 1 < len(utterances) else None
        read = [
            (p, find_due(p.sentence, facts.date, facts.language))
            for p in reader.read(utterance, before, after)
        ]
        if score < thresholds.task:
            # Below the task bar, work is taken where it is handed to someone or given a
            # day after the meeting ("I'll send mail to them by Friday").
            read = [(p, said) for p, said in read if p.handed or _after(said, facts.date)]
        if found_new:
            read = [(p, said) for p, said in read if p.handed]
        for proposal, said in read:
            owner = (
                (proposal.owner.user_id, proposal.owner.name)
                if proposal.owner
                else (("", everyone) if proposal.everyone else None)
            )
            evidence = Evidence(
                segment_id=utterance.segment_id, quote=proposal.sentence[:300], at=utterance.at
            )
            task = ledger.add(
                proposal.title,
                assignee=owner,
                due=said.due if said else None,
                evidence=evidence,
                one_of_several=len(read) > 1,
            )
            moments.append(Moment(utterance, proposal.sentence, Move("new", title=task.title)))
    return ledger, moments
