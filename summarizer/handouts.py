"""A wrap-up's list of hand-outs, read where no verb is said (pure): "For U_I_D_ the
technical functions design. Marketing, the user requirement specification." Each member
named is followed by a noun phrase, the piece of work; the verb is the one said once for
the whole list ("the I_D_ will do the look and feel design, the U_I_D_ the user
interface design"), or "work on" where none is.
"""

from __future__ import annotations

import re

from lemminflect import getAllLemmas

from summarizer.facts import Member
from summarizer.minutes import STOP_EN
from summarizer.people import People

# Whose the work is says nothing of what it is: "your presentation" is "the presentation".
PRONOUNS = {"my": "the", "our": "the", "your": "the", "his": "the", "her": "the"}

# The verb of a title, when its object follows it: "Look at", "Do", "Work on".
_VERB = re.compile(
    r"^(?P<verb>[A-Z][a-z]+(?: (?:on|at|into|up|out|about|with|for))?) (?:the|a|an|some)\b"
)
# What may stand between a member's name and their piece of work.
_LEAD = re.compile(
    r"^[\s,:-]*(?:(?:and|or|then|for|with|um|uh|that's you|you|designer|expert|manager)\b"
    r"[\s,:]*)*",
    re.IGNORECASE,
)
# Not how a piece of work starts: a preposition or a time ("for today").
_NOT_FIRST = re.compile(
    r"on|about|at|in|of|by|from|into|to|over|under"
    r"|today|tomorrow|tonight|now|here|there|yesterday|later|next"
)
_DETERMINERS = ("the", "a", "an", "some", "any", "this", "that", "these", "those")
_A_PERSON = re.compile(r"expert|designer|manager|guys?|person|people")
# A clause, not a noun phrase: a pronoun, a modal or an auxiliary in it.
_NOT_IN_A_THING = re.compile(
    r"i|you|we|they|he|she|it|is|are|was|were|will|would|can|could|should|shall|have|has|had"
    r"|do|does|did|be|been|being|to|not|then|.*'.*"
)

# A name said as the doer, right before the modal: "Kate will be looking at…", "Manuel,
# you're going to work on…".
_DOER = re.compile(
    r",?\s+(?:you(?:'re| are|'ll| will)?\s+)?(?:will|'ll|is|'s|was|are|should|has to|needs to)?"
    r"\s*(?:going to|gonna|be|to do|have to|need to)?\s+[a-z]+ing\b"
    r"|,?\s+(?:you(?:'re| are|'ll| will)?\s+)?(?:will|'ll|should|has to|needs to"
    r"|is going to|'s going to|is gonna|'s gonna|are going to|'re going to|gonna)\s+[a-z]",
)


def named_doers(people: People, text: str) -> list[tuple[int, int, Member | str]]:
    """Who is named in a text, left to right: members, and first names of nobody in the
    meeting said as doers (the work is still handed out; no card is assigned to them).
    Where fewer than two members are named, members count only as doers too: "Ryan,
    you'll be working on the interface; Manuel, you'll…", not "Gabriel, you're working
    on the user interface design"."""
    members: list[tuple[int, int, Member | str]] = list(people.find_in(text))
    others: list[tuple[int, int, Member | str]] = [
        (start, end, name.casefold())
        for start, end, name in people.others_in(text)
        if _DOER.match(text, end) and not any(s < end and start < e for s, e, _m in members)
    ]
    named = sorted(members + others, key=lambda found: found[0])
    if len({who for _s, _e, who in named if isinstance(who, Member)}) < 2:
        named = [found for found in named if _DOER.match(text, found[1])]
    return named


def gapped_verb(title: str) -> str | None:
    """The verb a title starts with, where its object follows: "Do" of "Do the look and
    feel design"."""
    said = _VERB.match(title)
    return said.group("verb") if said else None


def work_named(part: str) -> str | None:
    """The piece of work that follows a member's name without a verb ("Marketing, the user
    requirement specification."): a noun phrase of two to eight words and nothing else."""
    words = [PRONOUNS.get(w.casefold(), w) for w in _LEAD.sub("", part).strip(" ,.;!?").split()]
    if not 2 <= len(words) <= 8 or not words[0].isascii():
        return None
    bare = [w.casefold().strip(",") for w in words]
    if part.lstrip(" -")[:1] not in (",", ":") and bare[0] not in _DETERMINERS:
        return None  # "the user interface design": the name is part of the thing
    if words[0][0].isupper() or _NOT_FIRST.fullmatch(bare[0]):
        return None  # "Kate with the industrial design", "for today": not a piece of work
    if any(_NOT_IN_A_THING.fullmatch(w) for w in bare):
        return None
    head, first = bare[-1], getAllLemmas(bare[0])
    if head in STOP_EN or _A_PERSON.fullmatch(head):
        return None
    if not ("NOUN" in getAllLemmas(head) or head.endswith("ing")):
        return None  # "trend watching" is a thing; "the numbers look good" is not
    if all(w in STOP_EN for w in bare) or ("VERB" in first and "NOUN" not in first):
        return None  # a verb phrase is read as a title, not here
    return " ".join(words)
