"""What one clause of speech commits to (pure): the verb phrase after its modal ("we'll
have to talk to Brian" → "Talk to Brian"), as a card title, and who the modal's agent is.
Speech is disfluent, so a clause is cleaned of fillers and false starts first.
"""

from __future__ import annotations

import re

from lemminflect import getAllLemmas

from summarizer.handouts import PRONOUNS as _PRONOUNS
from summarizer.minutes import STOP_EN
from summarizer.titles import imperative, in_the_call, is_base_verb, said_once

_DISFLUENCY = re.compile(
    r"\b(?:um+|uh+|erm|mm+|hmm+|you know|i mean|sort of|kind of|basically|like,)\s*,?\s*",
    re.IGNORECASE,
)
MODAL = re.compile(
    r"\b(?P<agent>i|we|you(?: guys| all)?|everyone|everybody|somebody|someone|they|he|she)?"
    r"(?:\s+(?:all|both|each|also|just|really|still|then|probably|definitely))*"
    r"\s*(?:'ll|'d|will|would|shall|(?:'re|are|'m|am|is)\s+(?:going to|gonna)|gonna|going to"
    r"|need to|needs to|have to|has to|should|must|(?:can|could|would)\s+you(?:\s+please)?"
    r"|supposed to|want to|'ve got to|got to"
    # the speaker's offer, "I can draw out some ideas"; not "you can see", "we can"
    r"|(?<=\bi )(?:can|could)(?: try to)?)\s+"
    r"(?:(?:also|just|then|all|both|each|actually|really|probably)\s+)*"
    r"(?:be\s+)?(?P<rest>[a-z].*)",
    re.IGNORECASE,
)
# Without a modal, a clause still commits when it names a piece of work ("and send them
# off to IBM"): the title starts at its verb.
_WORK = re.compile(
    r"\b(?P<rest>(?:send|email|e-mail|mail|write up|write|prepare|look into|look at|check|find out"
    r"|research|work on|put together|set up|contact|ask|talk to|schedule|bring|draft|update"
    r"|review|fix|finish|implement|get back to|circulate|share|fill in|fill out)\b.*)",
    re.IGNORECASE,
)
# A determiner, perhaps with one word between: what follows is a noun.
_NOUN_BEFORE = re.compile(
    r"\b(?:the|a|an|this|that|my|your|our|their|his|her|its)\s+(?:[\w-]+\s+)?$", re.I
)
_NOT_WORK = re.compile(
    # "think about the working design" is work handed out; "think" alone is an opinion
    r"^(?:be|say|see|think(?! about (?:the|a|an|how|what|which|your|our|their|some)\b)"
    r"|know|guess|mean|like|love|have a look at this|hear|talk about this|go through|start"
    r"|begin|stop|wait|skip|move on|come back"
    # closing the meeting itself is no work for after it
    r"|call (?:it|this|the meeting) (?:a day|to a close)|wrap (?:it |this |things )?up"
    r"|(?:close|end|finish) (?:the|this) meeting)\b",
    re.IGNORECASE,
)
BOUNDARY = re.compile(
    r"(?:[.;!?]|\s(?:because|cause|so that)\b"
    # the next piece of work handed out: "work on X, and you're going to do Y"
    r"|,\s*(?:and\s+|but\s+)?(?:you|we|i|they|it|that|there)(?:'ll|'re|'m|'s|'d|\s)"
    r")",
    re.IGNORECASE,
)
# A title starts with what is to be done, not with a pronoun, a filler or a modal left over.
_NOT_A_VERB = re.compile(
    r"^(?:i|i'll|i'm|you|we|it|it's|that|this|there|they|he|she|what|which|who|how|when|why"
    r"|have|has|had|do|does|is|are|was|were|will|would|can|could|should|maybe|probably|in|on"
    r"|at|for|with|the|a|an|and|or|but|if|so|um|uh|yeah|okay|actually|really|just|definitely"
    r"|been|being|not|more|some|like|kinda|sorta|decide|discuss|figure"
    # a contraction is a new clause's subject ("you're", "we've", "that'll"), not its verb
    r"|\w+'(?:re|ve|ll|d|m))$",
    re.IGNORECASE,
)
# Words a title does not end on: it was cut off there ("send the", "so that", "and then").
_DANGLING = re.compile(
    r"a|an|the|to|of|for|and|or|but|with|in|on|at|by|from|that|this|is"
    r"|was|it|i|we|you|so|um|uh|like|just|then|really|actually|gonna"
)
# "will do the components concept": after a modal, "do" is the work, not a question's.
_DO_THE_WORK = re.compile(r"^do (?:the|a|an|some|all|more)\s+\w", re.IGNORECASE)
# A second modal after the first says how, not what: "we'll have to talk to Brian" commits
# to talking to Brian.
_CHAINED = re.compile(
    r"^(?:(?:have|need|want|got|going|(?:be )?able|(?:be |make )?sure) to|gonna|wanna|gotta"
    r"|make sure that|definitely|probably|actually|really|also|just|then|all|both)\s+",
    re.IGNORECASE,
)
# Work on what was just said: "I'll work on that", "I'll talk to him"; not "look at this"
# on the screen, nor "do that", which takes the work from the line before (`_agreed`).
_VAGUE = re.compile(
    r"^(?!look |see |show |give )(?P<verb>[a-z]+)"
    r"(?: (?:on|to|at|into|with|about|for|up|out|over|back to|me|you|us|him|her))?"
    r" (?:that|it|this|him|her|them)\b",
    re.IGNORECASE,
)
_CLEFT = re.compile(r"^do is (?:to )?(?:just )?(?P<verb>\w+)", re.IGNORECASE)
# "OK, I'll do that": the work is what was just proposed, in the line before.
DO_THAT = re.compile(r"^(?:do|try) (?:that|this|it|so|the same)\b", re.IGNORECASE)
_CONTENT = re.compile(r"\b[a-z]{4,}\b", re.IGNORECASE)
MAX_TITLE_WORDS = 20


def clean(text: str) -> str:
    """Without fillers, stutters ("w we", "the the", "has to has to") and false starts'
    fragments."""
    text = _DISFLUENCY.sub("", text)
    text = re.sub(r"\bhafta\b", "have to", text, flags=re.IGNORECASE)  # ICSI's spelling
    text = said_once(text)
    words = text.split()
    kept: list[str] = []
    for index, word in enumerate(words):
        following = words[index + 1].casefold() if index + 1 < len(words) else ""
        bare = word.casefold().strip(",")
        if following and (
            bare == following.strip(",.?!")
            or (len(bare) <= 3 and following.startswith(bare) and len(following) > len(bare))
        ):
            continue  # "I I'll", "w we", "th the"
        kept.append(word)
    return re.sub(r"\s+([,.?!])", r"\1", " ".join(kept)).strip(" ,")


def _before_the_verb(word: str) -> bool:
    """An adverb ("separately", "perhaps") or a word cut off ("investi"), said before the
    verb of a title; "never" and "not" negate it."""
    word = word.casefold()
    if word in STOP_EN or word in ("never", "not"):
        return False
    classes = getAllLemmas(word)
    return (word.isalpha() and len(word) <= 7) if not classes else set(classes) == {"ADV"}


def title_from(clause: str) -> str | None:
    """The verb phrase a clause commits to, as a card title; None when it commits to nothing."""
    read = commitment(clause)
    return read[0] if read else None


def commitment(clause: str) -> tuple[str, str] | None:
    """The title a clause commits to and who its modal's agent is ("i", "you", "we", "" for
    none said). A modal that commits to nothing may be followed by one that does: "what
    we're going to do next is the Industrial Designer will work on the components"."""
    at, modal = 0, False
    while (match := MODAL.search(clause, at)) is not None:
        if (title := _title(match.group("rest"))) is not None:
            return title, (match.group("agent") or "").casefold()
        at, modal = match.start("rest"), True
    work = None if modal else _verb_of_work(clause)
    title = _title(work) if work else None
    return (title, "") if title else None


def _verb_of_work(clause: str) -> str | None:
    """The clause from its verb of work on; not from a noun of the same form ("the dedupe
    check", "an update")."""
    at = 0
    while (found := _WORK.search(clause, at)) is not None:
        if not _NOUN_BEFORE.search(clause[: found.start()]):
            return found.group("rest")
        at = found.start("rest") + 1
    return None


def _title(rest: str) -> str | None:
    rest = BOUNDARY.split(rest)[0]
    rest = re.sub(r"^(?:to|and|so|then|also|just|please|okay|ok|now),?\s+", "", rest, flags=re.I)
    while (chained := _CHAINED.match(rest)) is not None:
        rest = rest[chained.end() :]
    if (cleft := _CLEFT.match(rest)) is not None and is_base_verb(cleft.group("verb")):
        rest = rest[cleft.start("verb") :]  # "what we need to do is write a script"
    if "?" in rest:
        return None  # a question about the work is not the work
    words = [_PRONOUNS.get(w.casefold(), w) for w in rest.split()][:MAX_TITLE_WORDS]
    while words and _DANGLING.fullmatch(words[-1].casefold().strip(",.")):
        words.pop()
    said = " ".join(words)
    if (
        (len(words) < 2 or not _CONTENT.search(" ".join(words[1:])))
        and (vague := _VAGUE.match(rest)) is not None
        and is_base_verb(vague.group("verb"))
        and not _NOT_WORK.match(vague.group(0))
        and not DO_THAT.match(vague.group(0))
    ):
        return vague.group(0)[:1].upper() + vague.group(0)[1:]  # "I'll talk to him"
    if (
        len(words) < 2 or _NOT_WORK.match(said) or _NOT_A_VERB.match(words[0])
    ) and not _DO_THE_WORK.match(said):
        return None
    if len(_CONTENT.findall(" ".join(words[1:]))) < 1:
        return None
    words = imperative(" ".join(words).strip(" ,.-")).split()
    # "Separately rank…", "Perhaps start…", "Investi do some research": the verb after.
    while len(words) > 2 and not is_base_verb(words[0]) and _before_the_verb(words[0]):
        words = words[1:]
    if "VERB" in getAllLemmas(words[0].casefold()) and not is_base_verb(words[0]):
        return None  # "will be sent to you", "was supposed to": done to them, or done
    text = " ".join(words)
    if in_the_call(text):
        return None
    return text[:1].upper() + text[1:]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
