"""What an LLM's answer may change, as far as the transcript backs it.

A new task must restate a candidate moment it cites and say the work; an owner must be a
member who speaks or is named there; a date must be the one said there; a cancellation
must be said in the cited line; at most `max_items` changes are taken from one answer.
Points, decisions and questions that say nothing, or say a later one again, are left out.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from summarizer.dates import find_due, resolve_due
from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.ledger import Ledger, content_words
from summarizer.llm_schema import POINT_CHARS, LlmAnswer, LlmTask
from summarizer.minutes import is_backchannel
from summarizer.people import People
from summarizer.prompt import Chunk
from summarizer.rules import RulesExtractor, is_injection, sentences
from summarizer.titles import in_the_call, names_the_work
from vori.events import Evidence

log = logging.getLogger(__name__)

# "fe004: ", "Project Manager: ": a label a model copied from the transcript's lines.
_SPEAKER_LABEL = re.compile(r"^[^:.!?]{1,40}:\s*")
# A point whose content words are mostly those of a later one says it again.
_RESTATED = 0.7
FIRST_PERSON = re.compile(r"\b(?:i'll|i will|i can|i'm going to|let me)\b|제가|내가", re.I)


def apply_answer(
    answer: LlmAnswer,
    chunk: Chunk,
    facts: MeetingFacts,
    ledger: Ledger,
    rules_ledger: Ledger,
    max_items: int,
) -> int:
    """Apply what the model proposed, as far as it is backed by the transcript; returns count."""
    people = People(facts.members)
    applied = 0
    for proposed in answer.tasks:
        if applied >= max_items:
            log.warning(
                "meeting %s: LLM proposed more than %d changes", facts.meeting_id, max_items
            )
            break
        shown = [chunk.lines[n - 1] for n in proposed.lines if 1 <= n <= len(chunk.lines)]
        shown = [u for u in shown if not is_injection(u.text)]
        if not shown:
            continue  # no evidence the model was shown, or only an injection line
        if _apply_one(proposed, shown, chunk.candidates, facts, people, ledger, rules_ledger):
            applied += 1
    return applied


def _apply_one(
    proposed: LlmTask,
    shown: list[Utterance],
    candidates: frozenset[str],
    facts: MeetingFacts,
    people: People,
    ledger: Ledger,
    rules_ledger: Ledger,
) -> bool:
    known = ledger.get(proposed.task_key) if proposed.task_key else None
    if known is None:
        known = ledger.match(proposed.title, [u.segment_id for u in shown])
    if known is None and proposed.status == "open":
        if not _reads_as_work(proposed.title, facts.language):
            return False
        # A new task must come from a moment the rules flagged (commitment, request,
        # assignment) and say what was said there: measured, a 1.5B model otherwise turns
        # topics into "tasks" and pins them on any line nearby.
        words = content_words(proposed.title)
        shown = [u for u in shown if u.segment_id in candidates and words & content_words(u.text)]
        if not shown:
            return False
    member = people.by_name(proposed.owner)
    if member is not None and not _owner_grounded(member, shown, people):
        member = None  # an owner must speak or be named in the lines the model cited
    owner = (member.user_id, member.name) if member else None
    due = _due(proposed.due, facts.date)
    if due is not None and not _due_grounded(due, proposed.due or "", shown, facts):
        due = None
    evidence = Evidence(segment_id=shown[0].segment_id, quote=shown[0].text[:300], at=shown[0].at)
    if proposed.status == "cancelled":
        if known is None or not _says_cancel(shown, facts):
            return False  # only the meeting, in the lines shown, can drop a task
        ledger.update(known, status="cancelled", evidence=evidence)
        return True
    if known is not None:
        ledger.update(known, assignee=owner, due=due, status="open", evidence=evidence)
        return True
    same = rules_ledger.match(proposed.title, [u.segment_id for u in shown])
    if same is not None:
        # The rules read the same moment: let them fill what the model left out.
        owner = owner or ((same.assignee_id or "", same.assignee) if same.assignee else None)
        due = due or same.due
    task = ledger.add(proposed.title, assignee=owner, due=due, evidence=evidence)
    if same is not None and same.key not in ledger.tasks:
        # Same moment as the rules found: take the rules' key, so paths and replays agree.
        del ledger.tasks[task.key]
        task.key = same.key
        ledger.tasks[task.key] = task
        ledger.focus(task)
    return True


def _reads_as_work(title: str, language: str) -> bool:
    """A new task's title says the work, as the rules' titles must: not a line copied with
    its speaker ("Mn017: you know we'll do something where we", seen from the local model on
    ICSI) and, in English, led by the verb of work done after the call."""
    if _SPEAKER_LABEL.match(title.strip()):
        return False
    return language != "en" or (names_the_work(title) and not in_the_call(title))


def _owner_grounded(member: Member, shown: list[Utterance], people: People) -> bool:
    """Named in a cited line, or its speaker where no one else is named or they say "I"."""
    for utterance in shown:
        named = {found for _start, _end, found in people.find_in(utterance.text)}
        if member in named:
            return True
        speaker = people.speaker(utterance.speaker, utterance.participant_id)
        if speaker == member and (not named - {member} or FIRST_PERSON.search(utterance.text)):
            return True
    return False


def _due_grounded(due: date, spoken: str, shown: list[Utterance], facts: MeetingFacts) -> bool:
    for utterance in shown:
        if spoken and spoken.casefold() in utterance.text.casefold():
            return True
        for sentence in sentences(utterance.text):
            found = find_due(sentence, facts.date, facts.language)
            if found is not None and found.due == due:
                return True
    return False


def _says_cancel(shown: list[Utterance], facts: MeetingFacts) -> bool:
    extractor = RulesExtractor(facts)
    return any(
        (move := extractor.analyse(s, u)) is not None and move.kind == "cancel"
        for u in shown
        for s in sentences(u.text)
    )


def _due(spoken: str | None, meeting_date: date) -> date | None:
    if not spoken:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", spoken.strip()):
        try:
            return date.fromisoformat(spoken.strip())
        except ValueError:
            return None
    return resolve_due(spoken, meeting_date)


def bounded(items: list[str], limit: int, language: str) -> list[str]:
    """The model's points, decisions or questions, each once and none that says nothing: a
    small model copies a line with its speaker ("fe004: Hmm.", seen on ICSI meetings) and
    says a point again in other words as it reads on ("Participants were asked to provide
    input on…", then "Participants agreed to provide input on…"): the newer wording stays.
    One cut at the schema's bound ("…decides to target the twenty-f") ends at a word, "…"."""
    said = [_at_a_word(i.strip()) for i in items if _says_something(i, language)]
    words = [content_words(i) for i in said]
    kept = [
        item
        for n, item in enumerate(said)
        if not any(_restates(words[n], later) for later in words[n + 1 :])
    ]
    return kept[-limit:]


def _at_a_word(item: str) -> str:
    # The local model's grammar stops a few characters short of the bound (115-119 seen).
    if len(item) < POINT_CHARS - 8 or not item[-1:].isalnum() or " " not in item:
        return item
    return item[: item.rfind(" ")].rstrip(" ,;:-") + "…"


def _restates(earlier: set[str], later: set[str]) -> bool:
    shared = len(earlier & later)
    return earlier == later or shared >= _RESTATED * min(len(earlier), len(later)) > 0


def whole_sentences(overview: str) -> str:
    """The overview up to its last whole sentence when a length bound cut it mid-word."""
    text = overview.strip()
    if not text or text.endswith((".", "!", "?", "。", "다", '"', ")")):
        return text
    end = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
    return text[: end + 1] if end > 0 else text


def _says_something(item: str, language: str) -> bool:
    said = _SPEAKER_LABEL.sub("", item.strip())
    return bool(said) and not is_backchannel(said, language)
