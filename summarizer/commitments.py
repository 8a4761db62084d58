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

from lemminflect import getAllLemmas

from summarizer.facts import Member, Utterance
from summarizer.handouts import PRONOUNS as _PRONOUNS
from summarizer.handouts import gapped_verb, named_doers, work_named
from summarizer.minutes import STOP_EN
from summarizer.people import People
from summarizer.titles import (
    for_later,
    imperative,
    in_the_call,
    is_base_verb,
    names_the_work,
    said_once,
)

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
    r"|supposed to|want to|'ve got to|got to"
    # the speaker's offer, "I can draw out some ideas"; not "you can see", "we can"
    r"|(?<=\bi )(?:can|could)(?: try to)?)\s+(?:also\s+|just\s+|then\s+|all\s+|both\s+)*"
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
    # "think about the working design" is work handed out; "think" alone is an opinion
    r"^(?:be|say|see|think(?! about (?:the|a|an|how|what|which|your|our|their|some)\b)"
    r"|know|guess|mean|like|love|have a look at this|hear|talk about this|go through|start"
    r"|begin|stop|wait|skip|move on|come back"
    # closing the meeting itself is no work for after it
    r"|call (?:it|this|the meeting) (?:a day|to a close)|wrap (?:it |this |things )?up"
    r"|(?:close|end|finish) (?:the|this) meeting)\b",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(
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
    r"|been|being|not|more|some|like|kinda|sorta|decide|discuss|figure)$",
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
    r"^(?:(?:have|need|want|got|going|be able) to|gonna|wanna|gotta"
    r"|definitely|probably|actually|really|also|just|then|all|both)\s+",
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
_DO_THAT = re.compile(r"^(?:do|try) (?:that|this|it|so|the same)\b", re.IGNORECASE)
_PROPOSED = re.compile(
    r"\b(?:(?:we|you) (?:could|might)|let's|let us|how about|why don't (?:you|we))"
    r"\s+(?P<rest>[a-z].*)",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"\b[a-z]{4,}\b", re.IGNORECASE)
_GROUP = re.compile(r"^(?:we|everyone|everybody|you guys|you all)$", re.IGNORECASE)
MAX_TITLE_WORDS = 20


@dataclass(frozen=True)
class Proposal:
    """One action item read from a flagged segment."""

    title: str
    owner: Member | None
    everyone: bool  # the whole group; `owner` is None then
    sentence: str
    handed: bool = False  # handed to someone addressed or named ("you'll…", "Bob will…")


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
    read = _commitment(clause)
    return read[0] if read else None


def _commitment(clause: str) -> tuple[str, str] | None:
    """The title a clause commits to and who its modal's agent is ("i", "you", "we", "" for
    none said). A modal that commits to nothing may be followed by one that does: "what
    we're going to do next is the Industrial Designer will work on the components"."""
    at, modal = 0, False
    while (match := _MODAL.search(clause, at)) is not None:
        if (title := _title(match.group("rest"))) is not None:
            return title, (match.group("agent") or "").casefold()
        at, modal = match.start("rest"), True
    work = None if modal else _WORK.search(clause)
    title = _title(work.group("rest")) if work else None
    return (title, "") if title else None


def _title(rest: str) -> str | None:
    rest = _BOUNDARY.split(rest)[0]
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
        and not _DO_THAT.match(vague.group(0))
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


class CommitmentReader:
    """Reads the tasks of a flagged segment, with the members of the meeting."""

    def __init__(self, people: People, language: str = "en") -> None:
        self.people = people
        self.everyone_name = EVERYONE_KO if language == "ko" else EVERYONE_EN

    def read(
        self, utterance: Utterance, before: Utterance | None, after: Utterance | None
    ) -> list[Proposal]:
        text = clean(utterance.text)
        speaker = self.people.speaker(utterance.speaker, utterance.participant_id)
        named = named_doers(self.people, text)
        if len({who for _s, _e, who in named}) >= 2:
            parts = self._per_member(text, named, speaker)
            if parts:
                return parts
        proposals = []
        for sentence in _sentences(text):
            read = _commitment(sentence)
            if read is None:
                proposals.extend(self._named_work(sentence, speaker))
                continue
            owner, everyone = self._owner(sentence, read[1], speaker, before, after)
            handed = read[1].startswith("you") or bool(
                owner and owner != speaker and self.people.find_in(sentence)
            )
            proposals.append(Proposal(read[0], owner, everyone, sentence, handed))
        if not proposals:
            proposals = self._agreed(text, before, speaker, after)
        # The strongest clause: a segment is one moment, the rest its context; except the
        # clauses that name their doer, as a wrap-up hands out work ("The Industrial
        # Designer will work on…. The Marketing Expert will do…").
        proposals.sort(key=lambda p: (p.owner is None and not p.everyone, -len(p.title)))
        return proposals[:1] + [
            p
            for p in proposals[1:]
            if (self.people.find_in(p.sentence) or named_doers(self.people, p.sentence))
            and names_the_work(p.title)
        ]

    def _named_work(self, sentence: str, speaker: Member | None) -> list[Proposal]:
        """ "And U_I_D_, the technical functions design": a member and their piece of work,
        with no verb said."""
        named = self.people.find_in(sentence)
        if len(named) != 1 or named[0][2] == speaker:
            return []
        thing = work_named(sentence[named[0][1] :])
        if thing is None:
            return []
        return [Proposal(f"Work on {thing}", named[0][2], False, sentence, True)]

    def _agreed(
        self, text: str, before: Utterance | None, speaker: Member | None, after: Utterance | None
    ) -> list[Proposal]:
        """ "I'll do that" after "could you send me the numbers": the task the line before
        proposed, owned by whoever takes it on here; where it proposed nothing, "that" for
        a time after the meeting ("I can do that for next week"). The evidence quotes this
        segment, which cites or says what "that" is."""
        for sentence in _sentences(text):
            match = _MODAL.search(sentence)
            if match is None or not _DO_THAT.match(match.group("rest")):
                continue
            agent = (match.group("agent") or "").casefold()
            owner, everyone = self._owner(sentence, agent, speaker, before, after)
            for proposed in reversed(_sentences(clean(before.text))) if before else []:
                title = title_from(proposed)
                if title is None and (lax := _PROPOSED.search(proposed)) is not None:
                    title = title_from("will " + lax.group("rest"))
                if title is not None:
                    return [Proposal(title, owner, everyone, sentence)]
            if (later := for_later(match.group("rest"))) is not None:
                return [Proposal(later, owner, everyone, sentence)]
        return []

    def _per_member(
        self, text: str, named: list[tuple[int, int, Member | str]], speaker: Member | None
    ) -> list[Proposal]:
        # A member named again inside their own part ("you, our user interface") is the
        # object of the work, not the next doer.
        doers = [n for i, n in enumerate(named) if i == 0 or n[2] != named[i - 1][2]]
        starts = [start for start, _end, _m in doers] + [len(text)]
        proposals: list[Proposal] = []
        for (start, end, who), stop in zip(doers, starts[1:], strict=True):
            member = who if isinstance(who, Member) else None
            part = text[end:stop]
            if member is not None and member == speaker and not re.search(r"\bi\b", part, re.I):
                continue
            own = re.split(r"(?<=[.!?;])\s+", part, maxsplit=1)[0]
            title = title_from(own)
            if title is None and (thing := work_named(own)) is not None:
                # "the I_D_ will do the look and feel design, the U_I_D_ the user
                # interface design": the verb said once serves the whole list.
                verb = gapped_verb(proposals[-1].title) if proposals else None
                title = f"{verb or 'Work on'} {thing}"
            title = title or title_from(part)
            if title is None:
                continue
            proposals.append(Proposal(title, member, False, text[start:stop].strip(), True))
        return proposals

    def _owner(
        self,
        sentence: str,
        agent: str,
        speaker: Member | None,
        before: Utterance | None,
        after: Utterance | None,
    ) -> tuple[Member | None, bool]:
        """`agent`: who the sentence's modal says does the work ("i", "we", "you", "")."""
        named = [m for _s, _e, m in self.people.find_in(sentence)]
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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
