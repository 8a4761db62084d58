"""Turn a segment the detector flagged into action items: who does what (pure).

A flagged segment is real speech: disfluent, several clauses, sometimes several people
("Industrial Designer, you're gonna look at the components; marketing, trend watching").
It is split per member named as a doer; each part becomes a task whose title is the verb
phrase after its modal ("will", "gonna", "need to", "can you"), and whose owner is the
member named, the speaker for "I", the whole group for "we"/"everyone", the person
addressed for "you". What one clause commits to is read in `summarizer/clauses.py`.
Sentences the rules read as a commitment keep the rules' reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.clauses import (
    BOUNDARY,
    DO_THAT,
    MODAL,
    clean,
    commitment,
    sentences,
    title_from,
)
from summarizer.facts import Member, Utterance
from summarizer.handouts import gapped_verb, named_doers, work_named
from summarizer.people import People
from summarizer.titles import for_later, names_the_work

EVERYONE_EN = "Everyone"
EVERYONE_KO = "모두"

_PROPOSED = re.compile(
    r"\b(?:(?:we|you) (?:could|might)|let's|let us|how about|why don't (?:you|we))"
    r"\s+(?P<rest>[a-z].*)",
    re.IGNORECASE,
)
_GROUP = re.compile(r"^(?:we|everyone|everybody|you guys|you all)$", re.IGNORECASE)


@dataclass(frozen=True)
class Proposal:
    """One action item read from a flagged segment."""

    title: str
    owner: Member | None
    everyone: bool  # the whole group; `owner` is None then
    sentence: str
    handed: bool = False  # handed to someone addressed or named ("you'll…", "Bob will…")


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
        proposals = self._clauses(text, speaker, before, after)
        if not proposals:
            proposals = self._agreed(text, before, speaker, after)
        # The strongest clause, one that starts with its verb where one does: a segment is
        # one moment, the rest its context; except the clauses that name their doer, as a
        # wrap-up hands out work ("The Industrial Designer will work on…. The Marketing
        # Expert will do…"). The sort is stable: `_clauses` ordered them by strength.
        proposals.sort(key=lambda p: not names_the_work(p.title))
        return proposals[:1] + [
            p
            for p in proposals[1:]
            if (self.people.find_in(p.sentence) or named_doers(self.people, p.sentence))
            and names_the_work(p.title)
        ]

    def _clauses(
        self, text: str, speaker: Member | None, before: Utterance | None, after: Utterance | None
    ) -> list[Proposal]:
        """Every sentence's commitment, the strongest first: one with an owner, the longest."""
        proposals = []
        for sentence in sentences(text):
            read = commitment(sentence)
            if read is None:
                proposals.extend(self._named_work(sentence, speaker))
                continue
            owner, everyone = self._owner(sentence, read[1], speaker, before, after)
            handed = read[1].startswith("you") or bool(
                owner and owner != speaker and self.people.find_in(sentence)
            )
            proposals.append(Proposal(read[0], owner, everyone, sentence, handed))
        proposals.sort(key=lambda p: (p.owner is None and not p.everyone, -len(p.title)))
        return proposals

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
        for sentence in sentences(text):
            match = MODAL.search(sentence)
            if match is None or not DO_THAT.match(match.group("rest")):
                continue
            agent = (match.group("agent") or "").casefold()
            owner, everyone = self._owner(sentence, agent, speaker, before, after)
            for proposed in reversed(sentences(clean(before.text))) if before else []:
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
            head = BOUNDARY.split(own)[0]
            title = title_from(head)
            if title is None and (thing := work_named(head)) is not None:
                # "the I_D_ will do the look and feel design, the U_I_D_ the user
                # interface design": the verb said once serves the whole list.
                verb = gapped_verb(proposals[-1].title) if proposals else None
                title = f"{verb or 'Work on'} {thing}"
            if title is not None and (tail := self._tail(own[len(head) :], named, speaker)):
                proposals.append(Proposal(title, member, False, head.strip(), True))
                proposals.append(tail)
                continue
            title = title or title_from(own) or title_from(part)
            if title is None:
                continue
            proposals.append(Proposal(title, member, False, text[start:stop].strip(), True))
        return proposals

    def _tail(
        self, rest: str, named: list[tuple[int, int, Member | str]], speaker: Member | None
    ) -> Proposal | None:
        """ "The U_I_D_ the interface concept, and you're going to do some trend watching":
        the work said after a member's own, to "you", the one member not named nor speaking."""
        read = commitment(rest)
        if read is None or not read[1].startswith("you"):
            return None
        handed = {who for _s, _e, who in named} | {speaker}
        left = [m for m in self.people.members if m not in handed]
        owner = left[0] if len(left) == 1 else None
        return Proposal(read[0], owner, False, rest.strip(" ,"), True)

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
