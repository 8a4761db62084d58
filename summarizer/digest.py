"""The prose parts of a rules summary: overview, key points, decisions and open questions.

The overview reads like minutes: who met and what they covered, then the meeting in
order (who held the floor on what, what the group discussed, the statements that carry
the most of the meeting's vocabulary, told in the third person) and what was decided.
Every topic and statement in it was said in the meeting; only the connecting words are
added. Against human abstracts (bench/meetings.py, ROUGE-1 / ROUGE-2 F1 of the overview)
it scores 0.43 / 0.10 on the AMI meetings of the QMSum val split and 0.32 / 0.055 on
ICSI's reporting third, tuned on the other meetings.

One module because its parts (the ranking of lines, the sections, the overview) share
private line types and are tuned together against the one ROUGE figure above.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from summarizer.facts import Utterance
from summarizer.ledger import Ledger
from summarizer.minutes import (
    FIRST_PERSON,
    SECOND_PERSON,
    PhraseCounts,
    clean,
    is_backchannel,
    is_fluent,
    join,
    josa,
    keys,
    names_a_thing,
    reported,
    settled,
)
from summarizer.rules import is_injection, sentences

_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? decided|decided (?:to|on|that)|we(?:'ve| have)? agreed|agreed (?:to"
    r"|on|that)|settled on|that'?s (?:decided|settled)|the (?:final )?decision is|final answer"
    r"|let'?s (?:go with|go for|stick with|use|drop|not do|scrap|cancel|push|move|keep)"
    r"|we'?(?:ll| will) (?:go with|go for|stick with|use|drop|keep)"
    r"|we(?:'re| are) (?:going with|going for|sticking with|going to go with|going to use"
    r"|going to have|not going to have|not going to use))\b"
    r"|결정|하기로 했|하기로 하죠|확정|합의|취소하죠|취소합시다|안 하기로"
    r"|(?:로|으로) (?:하죠|합시다|가죠)",
    re.IGNORECASE,
)
# Weaker: the group settling a feature in passing ("we'll have a docking station", "it's
# gonna be yellow"); taken where the line names at least two of the meeting's subjects.
_SETTLING = re.compile(
    r"\b(?:we'?(?:ll| will)|we'?re (?:gonna|going to)|let'?s"
    r"|we(?:'ve| have) (?:got|chosen))"
    r" (?:just |definitely |all |still )?(?:have|make|use|go|put|need|keep|include|stick)\b"
    r"|\b(?:it'?s|it is|that'?s|they'?re|it'?ll|it will) (?:gonna|going to) (?:be|have)\b"
    r"|\bgo (?:for|with)\b|\b(?:it|they|the \w+) (?:should|will|'ll) (?:be|have)\b",
    re.IGNORECASE,
)
# Said of a decision not (yet) taken, or of a choice only imagined.
_NOT_SETTLED = re.compile(
    r"\b(?:haven'?t|not|didn'?t|never|yet to|need to|have to|should|must|to) (?:really )?"
    r"(?:decide|decided|agree|agreed)\b|\b(?:if|whether|unless|maybe|perhaps|might|would"
    r"|probably|i guess|i reckon|i suppose|going to have to)\b"
    r"|아직|안 정해|미정|할까요|할지",
    re.IGNORECASE,
)
# One person's own plan or opinion ("I'm going to go for the dog", "I think it should be
# there"): the group settles nothing in it.
_ONE_PERSON = re.compile(
    r"^(?!.*\b(?:we|we'(?:ll|re|ve)|let'?s|us|our)\b)(?:\w+,? )?I\b"
    r"|^(?!.*(?:우리|저희|다들|같이|모두)).*(?:^|\s)(?:제가|저는|내가)\s",
    re.IGNORECASE,
)
# The plan of the call itself ("we're going to have a prototype presentation", "let's move
# on to the evaluation"), not of its subject.
_PLAN_OF_CALL = re.compile(
    r"\b(?:move on|presentations?|discuss(?:ion)?|meetings?|project plan"
    r"|brainstorm(?:ing|ed)?|opening|draw(?:ing)?|whiteboard)\b",
    re.IGNORECASE,
)
_OPEN = re.compile(
    r"\b(?:open question|still open|not sure (?:yet|whether|if)|tbd|to be decided"
    r"|we still need to (?:decide|figure)|haven'?t decided)\b|미정|아직 (?:모르|확정이 안|결정)"
    r"|정해지지 않",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?$|^(?:do|does|did|can|could|would|should|shall|is|are|was|were|will|have|has|what"
    r"|why|how|where|when|who|which)\b|, (?:do|does|can|could|would|should|is|are) (?:you|we"
    r"|i|they|it)\b|(?:까요|나요|을까|는지|ㄴ가요|는가요)\?*$",
    re.IGNORECASE,
)
# A question about the meeting itself, not its subject.
_PROCEDURAL = re.compile(
    r"\b(?:hear me|see (?:my|the|your) (?:screen|slides?)|my screen|next slide|press|click"
    r"|mouse|cable|plug|microphone on|recording|record(?:ed|er)? on|laptop|projector|minutes"
    r"|agenda|break|lunch|coffee|where were we|anything else|any (?:other )?questions"
    r"|who'?s next|ready|shall we (?:start|begin)|your (?:name|turn)|what do you mean"
    r"|anything|anyone|anybody)\b|들리|화면 (?:공유|보이|잘 보)|발표 자료",
    re.IGNORECASE,
)
_DELIBERATE = re.compile(
    r"^(?:so |and |but |then )*(?:should|shall|do|can|could|will|would|are|is|does) (?:we|it"
    r"|the|they|that|this|there|people|users?)\b|^(?:what|how|which|where|when|why|who)\b"
    r"|\bwhether\b|\bwhat about\b|\bhow about\b|까요\??$|나요\??$|지\s?않을까",
    re.IGNORECASE,
)
_SMALL_TALK = re.compile(
    r"\b(?:hear me|see my screen|see the slides|loud and clear|sorry I'?m late"
    r"|is my audio|recording on)\b|들리시나요|들려요",
    re.IGNORECASE,
)
# A sentence that stops mid-way (a segment boundary, an interruption).
_UNFINISHED = re.compile(
    r"(?:^|\s)(?:the|a|an|and|of|to|that|which|but|with|between|or|in|on|for|from|is|are"
    r"|this|these|our|their|my|your|its|be|by|at|as|if|so|like|about)[.?!]?$"
    r"|[^.?!다요죠까]$",
    re.IGNORECASE,
)
# Words that point back to what was said before, or at nothing in particular.
_DEICTIC = re.compile(
    r"\b(?:it|this|that|these|those|they|them|he|she|there|stuff|thing|something)\b",
    re.IGNORECASE,
)
# "Slightly", "effectively": words in -ly are adverbs but for a few nouns.
_ADVERB = re.compile(r"^(?!(?:family|assembly|supply|reply|apply|italy|july|anomaly)$)\w+ly$")
# Said in any meeting: no topic of its own.
_GENERIC = frozenset(
    re.findall(
        r"\w+",
        "meeting presentation discussion agenda minute decision decided decide agreed agree idea"
        " question previous",
    )
)
_ROLE = re.compile(
    r"\b(?:manager|designer|engineer|expert|lead|director|developer|analyst|chair|host"
    r"|facilitator|researcher|officer|architect|coordinator|specialist)$",
    re.IGNORECASE,
)

# A speaker holds the floor (a presentation, a report) for at least this many words, the
# others saying no more than a few words at a time meanwhile.
_FLOOR_WORDS = 150
_FLOOR_SHARE = 0.06
_INTERJECTION_WORDS = 12
# A sentence runs on into the same speaker's segment at most this many segments later.
_RUN_ON_TURNS = 4
# A phrase is taken for a noun phrase when at least this share of its mentions follow a
# determiner or preposition ("the battery", "for speech recognition").
_NOUN_SHARE = 0.3
# Statements quoted in the overview and the key points.
_MIN_WORDS, _MAX_WORDS, _KEY_POINT_WORDS, _MIN_QUESTION_WORDS = 8, 30, 22, 6
# Abstracts of the tuning meetings run to 170 (AMI) and 150 (ICSI) words (median).
_OVERVIEW_WORDS = 150
# A topic is named with "the" ("the remote control") when at least this share of its
# mentions said it so.
_DEFINITE_SHARE = 0.3
# A statement quoted has at least this many content words per word said: a line of
# read-out digits or of function words says nothing a reader of minutes can use.
_CONTENT_SHARE = 0.25
# Each word leaning on what was said before ("it", "this", "they") makes a statement
# this much less central: read alone, in minutes, it has nothing to point to.
_DEICTIC_PENALTY = 0.3


@dataclass
class Digest:
    """What a summary says besides its tasks; every field is drawn from the transcript."""

    overview: str = ""
    key_points: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    """One cleaned sentence of the meeting and what it is."""

    index: int
    speaker: str | None
    text: str
    words: int
    bag: frozenset[str]
    question: bool
    fluent: bool  # complete, and no word cut off: fit to quote


@dataclass(frozen=True)
class _Section:
    """A stretch of the meeting: one speaker's floor, or the group's discussion."""

    speaker: str | None
    lines: list[_Line]


def digest(
    utterances: list[Utterance], ledger: Ledger, language: str, max_points: int = 6
) -> Digest:
    """Summarise a transcript as minutes: an overview, key points, decisions, questions."""
    lines = _lines(utterances, language)
    ranked = _ranked(lines)
    decisions = _decisions(lines)
    evidence = {clean(e.quote) for t in ledger.tasks.values() for e in t.evidence}
    return Digest(
        overview=_overview(lines, ranked, decisions, language),
        key_points=_key_points(lines, ranked, decisions, language, max_points),
        decisions=[_attributed(line) for line in decisions[: 2 * max_points]],
        open_questions=_open_questions(lines, decisions, evidence, language, max_points),
    )


def _lines(utterances: list[Utterance], language: str) -> list[_Line]:
    lines: list[_Line] = []
    for speaker, said in _turns(utterances):
        for sentence in sentences(said):
            if _SMALL_TALK.search(sentence):
                continue
            text = clean(sentence)
            if not text or is_backchannel(text, language):
                continue
            whole = not sentence[:1].islower() and not _UNFINISHED.search(text)
            lines.append(
                _Line(
                    len(lines),
                    speaker,
                    text,
                    len(text.split()),
                    frozenset(keys(text, language)),
                    bool(_QUESTION.search(text)),
                    whole and is_fluent(text),
                )
            )
    return lines


def _turns(utterances: list[Utterance]) -> list[tuple[str | None, str]]:
    """What each speaker said, a sentence that runs over into the speaker's next segment
    ("we had a long discussion about" / "how easy we want to make it") made whole again."""
    turns: list[tuple[str | None, str]] = []
    unfinished: dict[str | None, int] = {}
    for utterance in utterances:
        text = utterance.text.strip()
        if is_injection(text) or not text:
            continue
        at = unfinished.get(utterance.speaker)
        if at is not None and text[:1].islower() and len(turns) - at <= _RUN_ON_TURNS:
            turns[at] = (utterance.speaker, f"{turns[at][1]} {text}")
        else:
            turns.append((utterance.speaker, text))
            at = len(turns) - 1
        if text.endswith((".", "?", "!")):
            unfinished.pop(utterance.speaker, None)
        else:
            unfinished[utterance.speaker] = at
    return turns


def _ranked(lines: list[_Line]) -> list[int]:
    """Statements by centrality: the TF-IDF weight of their words in the whole meeting,
    less for each word that points back to what was said before."""
    df = Counter(k for line in lines for k in line.bag)
    weight = {k: n * math.log(len(lines) / n) for k, n in df.items()}
    scored = sorted(
        (
            -sum(weight[k] for k in line.bag)
            / len(line.bag) ** 0.5
            / (1 + _DEICTIC_PENALTY * len(_DEICTIC.findall(line.text))),
            line.index,
        )
        for line in lines
        if _MIN_WORDS <= line.words <= _MAX_WORDS
        and len(line.bag) >= _CONTENT_SHARE * line.words
        and line.fluent
        and not line.question
    )
    return [index for _score, index in scored]


def _decisions(lines: list[_Line]) -> list[_Line]:
    """Lines where the group settles something about its subject, in meeting order, none
    repeating another."""
    salient = _salient(lines)
    found: list[_Line] = []
    for line in lines:
        if (
            (
                _DECISION.search(line.text)
                or (_SETTLING.search(line.text) and len(line.bag & salient) >= 2)
            )
            and not _NOT_SETTLED.search(line.text)
            and not _PROCEDURAL.search(line.text)
            and not line.question
            and line.fluent
            and not _ONE_PERSON.search(line.text)
            and not _PLAN_OF_CALL.search(line.text)
            and line.bag & salient
            and all(_overlap(line.bag, other.bag) < 0.6 for other in found)
        ):
            found.append(line)
    return found


def _open_questions(
    lines: list[_Line], decisions: list[_Line], evidence: set[str], language: str, limit: int
) -> list[str]:
    """Questions about the subject that no later decision answers, the weightiest first."""
    salient = _salient(lines)
    found = [
        line
        for line in lines
        if _asks_about_the_subject(line, language)
        and line.bag & salient
        and line.text not in evidence
        and not any(d.index > line.index and _overlap(line.bag, d.bag) >= 0.5 for d in decisions)
    ]
    found.sort(key=lambda x: (-len(x.bag & salient), x.index))
    chosen: list[_Line] = []
    for line in found:
        if len(chosen) < limit and all(_overlap(line.bag, c.bag) < 0.5 for c in chosen):
            chosen.append(line)
    return [_attributed(x) for x in sorted(chosen, key=lambda x: x.index)]


def _asks_about_the_subject(line: _Line, language: str) -> bool:
    """A question the group puts to itself about its subject ("should the remote also
    control the DVD player?"), not one to a person or about the call."""
    if _OPEN.search(line.text):
        asked = True
    elif language == "ko":
        asked = line.question and bool(_DELIBERATE.search(line.text))
    else:
        asked = line.text.endswith("?") and bool(_DELIBERATE.search(line.text))
        asked = asked and (not SECOND_PERSON.search(line.text) or "you think" in line.text)
    return (
        asked
        and _MIN_QUESTION_WORDS <= line.words <= _MAX_WORDS
        and line.fluent
        and not FIRST_PERSON.search(line.text)
        and not _PROCEDURAL.search(line.text)
    )


def _salient(lines: list[_Line]) -> set[str]:
    """The meeting's most said content words, less the words of any meeting."""
    counts = Counter(k for line in lines for k in line.bag if k not in _GENERIC)
    return {k for k, _n in counts.most_common(40)}


def _key_points(
    lines: list[_Line], ranked: list[int], decisions: list[_Line], language: str, limit: int
) -> list[str]:
    """The most central statements, short and no two alike, in the minutes' voice."""
    taken = {line.index for line in decisions}
    chosen: list[tuple[int, str]] = []
    for index in ranked:
        line = lines[index]
        if len(chosen) == limit:
            break
        if index in taken or line.words > _KEY_POINT_WORDS:
            continue
        if any(_overlap(line.bag, lines[i].bag) >= 0.4 for i, _ in chosen):
            continue
        said = reported(line.text, _name(line.speaker, language), language)
        chosen.append((index, said or _attributed(line)))
    return [text for _i, text in sorted(chosen)]


def _overview(lines: list[_Line], ranked: list[int], decisions: list[_Line], language: str) -> str:
    if not lines:
        return ""
    total = PhraseCounts.of((line.text for line in lines), language)
    speakers = list(dict.fromkeys(line.speaker for line in lines if line.speaker))
    # Speakers are named as speakers, not listed again as topics.
    used = {k for s in speakers for k in keys(s, language)}
    if language == "ko":  # "태경님", "지현 씨": 류태경 and 황지현, by their given names
        used |= {s[1:] + polite for s in speakers if len(s) == 3 for polite in ("", "님", "씨")}
    opening = _opening(speakers, _pick(total, total, used, 4), language)
    sections = _sections(lines)
    heads: list[str] = []
    for section in sections:
        local = PhraseCounts.of((line.text for line in section.lines), language)
        topics = _pick(local, total, used, 3)
        # One phrase says little of a discussion ("the group discussed laptops").
        worth = len(topics) >= (1 if section.speaker else 2)
        heads.append(_section_sentence(section, topics, language, any(heads)) if worth else "")
    closing = _decided(decisions[:2], language)
    concluded = {d.index for d in decisions[:2]}
    words = sum(len(p.split()) for p in [opening, closing, *heads])
    # Inside a presentation its speaker's statements need no "X said that".
    presenter = {
        x.index: section.speaker
        for section, head in zip(sections, heads, strict=True)
        if section.speaker and head
        for x in section.lines
    }
    told: dict[int, str] = {}
    for index in ranked:
        if words >= _OVERVIEW_WORDS:
            break
        line = lines[index]
        attribute = presenter.get(index) != line.speaker
        said = reported(line.text, _name(line.speaker, language), language, attribute=attribute)
        if (
            said is None
            or index in concluded
            or any(_overlap(line.bag, lines[i].bag) >= 0.4 for i in told)
        ):
            continue
        told[index] = said
        words += len(said.split())
    parts = [opening]
    for section, head in zip(sections, heads, strict=True):
        parts.append(head)
        parts.extend(_merged([told[x.index] for x in section.lines if x.index in told]))
    parts.append(closing)
    return " ".join(p for p in parts if p)


def _merged(statements: list[str]) -> list[str]:
    """Two statements in a row that one speaker said make one sentence: "X said that A,
    and that B"."""
    out: list[str] = []
    for statement in statements:
        head, said, rest = statement.partition(" said that ")
        if out and said and out[-1].startswith(head + said) and ", and that " not in out[-1]:
            out[-1] = f"{out[-1][:-1]}, and that {rest}"
        else:
            out.append(statement)
    return out


def _pick(local: PhraseCounts, total: PhraseCounts, used: set[str], limit: int) -> list[str]:
    """The noun phrases most particular to a stretch, none repeating a word already reported,
    each with "the" where the meeting often said it so."""

    def weight(key: tuple[str, ...]) -> float:
        said = local.said[key]
        return said * math.sqrt(said / total.said[key]) * (1.5 if len(key) > 1 else 1.0)

    nouns = [
        k
        for k, n in local.said.items()
        if n >= 2
        and not (len(k) == 1 and k[0] in _GENERIC)
        and total.marked[k] >= _NOUN_SHARE * total.said[k]
        and not _ADVERB.search(k[-1])
        and names_a_thing(total.spelling(k).split()[-1])
        and not k[-1].endswith(("님", "씨"))  # "팀장님", "교수님": people, not topics
    ]
    chosen: list[str] = []
    for key in sorted(nouns, key=lambda k: (-weight(k), k)):
        if len(chosen) == limit:
            break
        if set(key) <= used:
            continue
        used.update(key)
        definite = total.definite[key] >= _DEFINITE_SHARE * total.said[key]
        chosen.append(("the " if definite else "") + total.spelling(key))
    return chosen


def _sections(lines: list[_Line]) -> list[_Section]:
    """Floors held by one speaker, and the discussion between them, in meeting order."""
    turns: list[list[_Line]] = []
    for line in lines:
        if turns and turns[-1][0].speaker == line.speaker:
            turns[-1].append(line)
        else:
            turns.append([line])
    floor = max(_FLOOR_WORDS, _FLOOR_SHARE * sum(line.words for line in lines))
    sections: list[_Section] = []
    talk: list[_Line] = []
    i = 0
    while i < len(turns):
        speaker = turns[i][0].speaker
        j, held = i, 0
        while j < len(turns) and (
            turns[j][0].speaker == speaker or sum(x.words for x in turns[j]) <= _INTERJECTION_WORDS
        ):
            held += sum(x.words for x in turns[j] if x.speaker == speaker)
            j += 1
        if held >= floor and speaker is not None:
            if talk:
                sections.append(_Section(None, talk))
                talk = []
            sections.append(_Section(speaker, [x for t in turns[i:j] for x in t]))
            i = j
        else:
            talk.extend(turns[i])
            i += 1
    if talk:
        sections.append(_Section(None, talk))
    return sections


def _opening(speakers: list[str], topics: list[str], language: str) -> str:
    if not speakers:  # a transcript without speakers
        if language == "ko":
            return f"회의에서 {join(topics, language)}에 대해 논의했습니다." if topics else ""
        return f"The meeting covered {join(topics, language)}." if topics else ""
    if language == "ko":
        who = ", ".join(speakers) if 0 < len(speakers) <= 5 else f"참석자 {len(speakers)}명"
        what = f" {join(topics, language)}에 대해" if topics else ""
        return f"{who}{josa(who, '이', '가')} 만나{what} 논의했습니다."
    names = [n for s in speakers if (n := _name(s, language))]
    named = 0 < len(names) == len(speakers) <= 5
    who = join(names, language) if named else f"{len(speakers)} members of the group"
    what = f" to discuss {join(topics, language)}" if topics else ""
    return f"{_capital(who)} met{what}."


def _section_sentence(section: _Section, topics: list[str], language: str, later: bool) -> str:
    what = join(topics, language)
    if language == "ko":
        if section.speaker:
            who = section.speaker
            return f"{who}{josa(who, '이', '가')} {what}에 대해 발표했습니다."
        return f"{'이어서' if later else '먼저'} {what}에 대해 논의했습니다."
    if section.speaker:
        who = _name(section.speaker, language) or "one member of the group"
        return f"{_capital(who)} presented {what}."
    return f"The group {'then ' if later else ''}discussed {what}."


def _decided(decisions: list[_Line], language: str) -> str:
    """The overview's last sentence: what was decided, in the minutes' words where they can
    be, else as said."""
    if not decisions:
        return ""
    if language == "ko":
        return "결정 사항: " + "; ".join(d.text.rstrip(".") for d in decisions) + "."
    clauses = [c for d in decisions if (c := settled(d.text, language))]
    if clauses:
        return f"They decided {join(clauses, language)}."
    said = [reported(d.text, _name(d.speaker, language), language) for d in decisions[:1]]
    return " ".join(s for s in said if s)


def _name(speaker: str | None, language: str) -> str | None:
    """How minutes refer to a speaker: "the Project Manager", "Alice Martin"; None for a
    speaker without a name (unknown, or an id such as "me011")."""
    if speaker is None or re.search(r"\d", speaker):
        return None
    if language == "ko":
        return speaker
    return f"the {speaker}" if _ROLE.search(speaker) else speaker


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _attributed(line: _Line) -> str:
    return f"{line.speaker}: {line.text}" if line.speaker else line.text


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / (min(len(a), len(b)) or 1)
