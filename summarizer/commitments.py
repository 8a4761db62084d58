"""Turn a segment the detector flagged into action items: who does what (pure).

A flagged segment is real speech: disfluent, several clauses, sometimes several people
("Industrial Designer, you're gonna look at the components; marketing, trend watching").
It is split per member named as a doer; each part becomes a task whose title is the verb
phrase after its modal ("will", "gonna", "need to", "can you"), and whose owner is the
member named, the speaker for "I", the whole group for "we"/"everyone", the person
addressed for "you". Sentences the rules read as a commitment keep the rules' reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.facts import Member, Utterance
from summarizer.people import People

EVERYONE_EN = "Everyone"
EVERYONE_KO = "모두"

_DISFLUENCY = re.compile(
    r"\b(?:um+|uh+|erm|mm+|hmm+|you know|i mean|sort of|kind of|basically|like,)\s*,?\s*",
    re.IGNORECASE,
)
_MODAL = re.compile(
    r"\b(?P<agent>i|we|you(?: guys| all)?|everyone|everybody|somebody|someone|they|he|she)?"
    r"(?:\s+(?:all|both|each|also|just|really|still|then|probably|definitely))*"
    r"\s*(?:'ll|'d|will|would|shall|(?:'re|are|'m|am|is)\s+(?:going to|gonna)|gonna|going to"
    r"|need to|needs to|have to|has to|should|must|(?:can|could|would)\s+you(?:\s+please)?"
    r"|supposed to|want to|'ve got to|got to)\s+(?:also\s+|just\s+|then\s+|all\s+|both\s+)*"
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
_NOT_WORK = re.compile(
    r"^(?:be|say|see|think|know|guess|mean|like|love|have a look at this|hear|talk about"
    r" this|go through|start|begin|stop|wait|skip|move on|come back)\b",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(
    r"(?:[.;!?]|\s(?:because|cause|so that)\b)",
    re.IGNORECASE,
)
# A title starts with what is to be done, not with a pronoun, a filler or a modal left over.
_NOT_A_VERB = re.compile(
    r"^(?:i|i'll|i'm|you|we|it|it's|that|this|there|they|he|she|what|which|who|how|when|why"
    r"|have|has|had|do|does|is|are|was|were|will|would|can|could|should|maybe|probably|in|on"
    r"|at|for|with|the|a|an|and|or|but|if|so|um|uh|yeah|okay|actually|really|just|definitely"
    r"|been|being|not|more|some|like|kinda|sorta|decide|discuss|figure)$",
    re.IGNORECASE,
)
_DANGLING = set(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "and",
        "or",
        "but",
        "with",
        "in",
        "on",
        "at",
        "by",
        "from",
        "that",
        "this",
        "is",
        "was",
        "it",
        "i",
        "we",
        "you",
        "so",
        "um",
        "uh",
        "like",
        "just",
        "then",
        "really",
        "actually",
        "gonna",
    ]
)
_CONTENT = re.compile(r"\b[a-z]{4,}\b", re.IGNORECASE)
_GROUP = re.compile(r"^(?:we|everyone|everybody|you guys|you all)$", re.IGNORECASE)
_PRONOUNS = {"my": "the", "our": "the", "your": "the", "his": "the", "her": "the"}
MAX_TITLE_WORDS = 20


@dataclass(frozen=True)
class Proposal:
    """One action item read from a flagged segment."""

    title: str
    owner: Member | None
    everyone: bool  # the whole group; `owner` is None then
    sentence: str


def clean(text: str) -> str:
    """Without fillers, stutters ("w we", "the the") and false starts' fragments."""
    text = _DISFLUENCY.sub("", text)
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


def title_from(clause: str) -> str | None:
    """The verb phrase a clause commits to, as a card title; None when it commits to nothing."""
    match = _MODAL.search(clause) or _WORK.search(clause)
    if match is None:
        return None
    rest = match.group("rest")
    rest = _BOUNDARY.split(rest)[0]
    rest = re.sub(r"^(?:to|and|so|then|also|just|please|okay|ok|now),?\s+", "", rest, flags=re.I)
    if "?" in rest:
        return None  # a question about the work is not the work
    words = [_PRONOUNS.get(w.casefold(), w) for w in rest.split()][:MAX_TITLE_WORDS]
    while words and words[-1].casefold().strip(",.") in _DANGLING:
        words.pop()
    if len(words) < 2 or _NOT_WORK.match(" ".join(words)) or _NOT_A_VERB.match(words[0]):
        return None
    if len(_CONTENT.findall(" ".join(words[1:]))) < 1:
        return None
    text = " ".join(words).strip(" ,.-")
    return text[:1].upper() + text[1:]


class CommitmentReader:
    """Reads the tasks of a flagged segment, with the members of the meeting."""

    def __init__(self, people: People, language: str = "en", max_per_segment: int = 1) -> None:
        self.people = people
        self.max_per_segment = max_per_segment
        self.everyone_name = EVERYONE_KO if language == "ko" else EVERYONE_EN

    def read(
        self, utterance: Utterance, before: Utterance | None, after: Utterance | None
    ) -> list[Proposal]:
        text = clean(utterance.text)
        speaker = self.people.speaker(utterance.speaker, utterance.participant_id)
        named = self.people.find_in(text)
        doers = {member for _s, _e, member in named}
        if len(doers) >= 2:
            parts = self._per_member(text, named, speaker)
            if parts:
                return parts
        proposals: list[Proposal] = []
        for clause in _clauses(text):
            title = title_from(clause)
            if title is None or not names_work(title) or any(p.title == title for p in proposals):
                continue
            owner, everyone = self._owner(clause, speaker, before, after)
            proposals.append(Proposal(title, owner, everyone, clause))
        # A wrap-up names several pieces of work in one breath ("we're each gonna complete
        # a questionnaire. I'll put up the minutes"): up to `max_per_segment` clauses, those
        # naming the most work first, an owner breaking ties; the rest is their context.
        proposals.sort(key=lambda p: (-_substance(p.title), p.owner is None and not p.everyone))
        return proposals[: self.max_per_segment]

    def _per_member(
        self, text: str, named: list[tuple[int, int, Member]], speaker: Member | None
    ) -> list[Proposal]:
        # A member named again inside their own part ("you, our user interface") is the
        # object of the work, not the next doer.
        doers = [n for i, n in enumerate(named) if i == 0 or n[2] != named[i - 1][2]]
        starts = [start for start, _end, _m in doers] + [len(text)]
        proposals = []
        for (start, end, member), stop in zip(doers, starts[1:], strict=True):
            part = text[end:stop]
            title = title_from(part)
            if title is None or (member == speaker and not re.search(r"\bi\b", part, re.I)):
                continue
            proposals.append(Proposal(title, member, False, text[start:stop].strip()))
        return proposals if len(proposals) >= 2 else []

    def _owner(
        self,
        sentence: str,
        speaker: Member | None,
        before: Utterance | None,
        after: Utterance | None,
    ) -> tuple[Member | None, bool]:
        named = [m for _s, _e, m in self.people.find_in(sentence)]
        match = _MODAL.search(sentence)
        agent = (match.group("agent") or "").casefold() if match else ""
        if named and agent not in ("i", "we"):
            return named[0], False
        if agent == "i":
            return speaker, False
        if _GROUP.match(agent) or re.search(
            r"\b(?:everyone|everybody|all of us|each of us)\b", sentence, re.I
        ):
            return None, True
        if agent.startswith("you") or re.search(r"\b(?:can|could|would) you\b", sentence, re.I):
            for neighbour in (after, before):
                if neighbour is None:
                    continue
                member = self.people.speaker(neighbour.speaker, neighbour.participant_id)
                if member is not None and member != speaker:
                    return member, False
        return None, False


# Titles that name no work for after the meeting, measured on AMI's tuning meetings:
# abilities ("Able to do quite easily"), things received ("Get specific instructions from
# the coach", "Soon get an e-mail"), momentum ("Crack on", "Get everything going"), a need
# for a thing rather than a deed ("A chip that works well"), saying or writing down now.
_NOT_WORK_TITLE = re.compile(
    r"^(?:(?:be\s+)?able to|going|crack on|carry on|get (?:everything|going|on|started|to that"
    r"|back to you)|(?:soon |each |all )?get (?:the |an? |some |specific |more |individual |own "
    r"|our |your |further )*(?:instructions?|e-?mails?|warnings?|information|questionnaires?"
    r"|help|time|lunch|a break)|write (?:that|this|it) down|have a (?:look|go|think|try)"
    r"|a|an|the|some|no|any|more|much|lots?|inclu\w*|incorporate|there|everything|it)\b",
    re.IGNORECASE,
)

# Work done during the meeting itself ("Get the PowerPoint presentation up", "Give the
# floor", "Take lunch in half an hour", "Take notes during this meeting"): AMI's
# annotators never make these action items.
_IN_MEETING = re.compile(
    r"\b(?:lunch|(?:a|the|coffee) break|the floor|introduce (?:yourself|myself|ourselves|you)"
    r"|(?:presentation|powerpoint|slides?|spreadsheet|projector|laptop) (?:up|running|on)"
    r"|get (?:the |my |this )?(?:presentation|powerpoint|slides?) (?:up|running|going)"
    r"|show (?:you|it to (?:you|everyone))|go (?:on to|over|through|back to|in order)"
    r"|reconvene|during (?:this|the) meeting|minutes (?:left|to go)|right now|open the"
    r"|bore you|give you (?:a|an) (?:little |quick |short )?(?:briefing|overview|idea)"
    r"|meet you|take (?:some )?(?:notes|minutes)|record everything|(?:start|begin) with"
    r"|in (?:a few|about|ten|five|fifteen|twenty|thirty) (?:\w+ )?minutes)",
    re.IGNORECASE,
)


def names_work(title: str) -> bool:
    """Whether a card title names a piece of work: a verb with an object, not an ability,
    something received, momentum, or a thing needed."""
    if re.search(r"[가-힣]", title):
        return True  # Korean titles are the rules' own (summarizer/titles.py)
    words = title.split()
    if len(words) < 2 or _NOT_A_VERB.match(words[0]) or _NOT_WORK_TITLE.match(title):
        return False
    if _IN_MEETING.search(title):
        return False
    return _substance(title) >= 1


def _substance(title: str) -> int:
    """Content words after the verb, up to four: how much work a title names."""
    return min(4, len(_CONTENT.findall(" ".join(title.split()[1:]))))


# Where a new commitment starts inside a sentence: "…individual work, and then I'll put
# the minutes up": the next doer and modal begin a clause of their own.
_CLAUSE_START = re.compile(
    r"(?<=\s)(?=(?:and\s+|then\s+|so\s+)*(?:i|we|you|everyone|everybody)"
    r"(?:'ll|'re|'m|\s+will|\s+are|\s+am|\s+need|\s+have to|\s+should)\b)",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _clauses(text: str) -> list[str]:
    return [
        c.strip(" ,") for s in _sentences(text) for c in _CLAUSE_START.split(s) if c.strip(" ,")
    ]
