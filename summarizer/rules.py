"""The deterministic action-item extractor for English and Korean (pure: text in, ledger out).

It reads a meeting sentence by sentence and recognises commitments ("I'll send…",
"제가 보낼게요"), requests ("Mina, can you…", "민아님, … 해 주세요"), assignments ("Bob will…",
"준호님이 맡기로 했어요"), group duties ("we need to…"), and changes of mind: reassignment
("actually Bob will take that"), rescheduling ("make it Monday", "월요일로 미루죠") and
cancellation ("let's drop the survey", "설문은 취소하죠"), each applied to the task it
refers to. Lines that try to instruct a machine are ignored.

One module because `RulesExtractor` is one pass over the meeting's sentences in which every
pattern (commitment, request, assignment, change of mind) edits the same tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from summarizer.dates import DuePhrase, find_due
from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.ledger import Ledger, Task, similarity
from summarizer.people import People
from summarizer.titles import en_title, in_the_call, ko_title, names_the_work, said_once
from vori.events import Evidence

MoveKind = Literal["new", "update", "cancel"]

INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the |your )?(?:previous|prior|above|earlier|preceding) "
    r"(?:instructions|prompts?|rules)|system prompt|you are now|as an ai|disregard (?:all|the|your)"
    r"|(?:delete|remove|archive|cancel|clear|wipe) (?:all|every|each) (?:the )"
    r"?(?:cards|tasks|items|tickets)"
    r"|이전 (?:지시|명령|지침)|지시(?:를|사항을)? 무시|모든 (?:카드|작업|태스크"
    r"|할 일)(?:을|를)? (?:삭제|지워|취소)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"(?<=[.!?。])\s+")

# Verbs after "I'll" / "we need to" that do not make a task.
_EN_NOT_TASK = set(
    [
        "be",
        "say",
        "admit",
        "think",
        "guess",
        "bet",
        "assume",
        "mean",
        "know",
        "agree",
        "disagree",
        "love",
        "like",
        "hate",
        "hear",
        "talk",
        "speak",
        "go",
        "keep",
        "stop",
        "wait",
        "pass",
        "start",
        "begin",
        "kick",
        "jump",
        "wrap",
        "leave",
        "join",
        "come",
        "try",
        "put",
        "see",
        "need",
        "want",
        "discuss",
        "decide",
        "consider",
        "figure",
        "remember",
        "let",
    ]
)
_EN_QUESTION_VERBS = {"decide", "figure", "discuss", "consider", "think", "talk"}
_IMMEDIATE = re.compile(
    r"\b(?:screen|window|door|slide|camera|mic|microphone|volume|mute|unmute|chat|"
    r"right now|real quick|in a sec(?:ond)?|the recording)\b",
    re.IGNORECASE,
)
_TAKE_VERBS = {"take", "handle", "own", "do", "cover", "grab", "pick"}
_PRONOUN = re.compile(
    r"\s*(?:that|it|this)(?:\s+(?:one|task|item))?(?:\s+(?:too|as well|instead"
    r"|then|over|now))*\s*[.!?]?\s*",
    re.IGNORECASE,
)

_KO_NOT_TASK = re.compile(
    r"(알겠습니다|알겠어요|모르겠|좋겠|같겠|되겠네|시작하겠|시작할게|말씀드리|설명(?:드리|하겠|할게)|넘어가|마치겠|"
    r"마무리하겠|정리해 보면|화면 공유|공유해 드릴게요 화면|들어가 보겠|감사하겠|반갑|고맙|"
    r"부터 (?:볼게요|보겠습니다|볼까요|할게요|하겠습니다|시작))"
)
# The call's own course, said as if a commitment: "자 그럼 정리할게요", "오늘은 여기까지 할게요",
# "발표 자료 보면서 얘기할게요", "그래프 화면에 띄워 줄래요?", "그 다음에 일정 볼게요", and
# forecasts that read like one ("메일 확인해 보시면 있을 거예요").
_KO_IN_MEETING = re.compile(
    r"여기까지|^(?:(?:자|어|음|네)\s+){0,2}(?:그럼\s+|그러면\s+)?(?:정리|마무리)"
    r"(?:할게요|하겠습니다|하죠)"
    r"|보면서 (?:얘기|볼게요|보겠습니다)|잠깐 (?:할게요|얘기)|화면에 .*띄워"
    r"|(?:^|\s)들어 (?:볼게요|보겠습니다)|다음 (?:장|슬라이드|페이지)"
    r"|(?:그 다음에|다음으로) \S+ (?:볼게요|보겠습니다)|(?:있을|없을|될) 거예요"
)
_KO_COMMIT = re.compile(r"(?:게요|게|께요|겠습니다|겠어요|을 거예요|할 거예요)\s*[.!]?$")
_KO_REQUEST = re.compile(
    r"(?:주세요|주실 수 있(?:나요|을까요|어요|죠)|주시겠어요|주실래요|줄래요|줄"
    r" 수 있어요|주면 좋겠어요|"
    r"주시면 좋겠어요|부탁(?:드려요|드립니다|해요))\s*[.!?]?$"
)
_KO_DECIDED = re.compile(
    r"(?:하기로|맡기로|기로)\s*(?:했어요|했습니다|해요|하죠|합시다|했죠)|(?:하"
    r"실|맡으실) 거예요|담당(?:해요|합니다)"
)
_KO_GROUP = re.compile(r"야\s*(?:해요|합니다|돼요|됩니다|겠어요|할 것 같아요)\s*[.!]?$")
_KO_CANCEL = re.compile(
    r"(?:취소(?:하죠|합시다|할게요|해요|하자|하겠습니다|예요|입니다|로)|안 하기"
    r"로|하지 않기로|빼기로|빼죠|뺍시다|빼자|"
    r"필요 없|없던 걸로|드롭|보류(?:하죠|합시다|해요)|안 해도 (?:돼요|될 것 같아요))"
)
_KO_RESCHEDULE = re.compile(
    r"(?:미루|미뤄|미룰|연기|옮기|옮겨|옮길|바꾸|바꿔|바꿀|변경|늦추|늦춰|늦출|당기|당겨|당길)|(?:로|으로)\s*(?:하죠|합시다|해요|할게요|하겠습니다)\s*[.!]?$"
)
_KO_PRONOUN = re.compile(
    r"^(?:그럼\s*|아\s*|그리고\s*)?(?:그건|그거|그것|그 작업|이건|이거|그 일)(?:은|는|도)?\s*"
)


@dataclass(frozen=True)
class Move:
    """What one sentence does to the task list."""

    kind: MoveKind
    title: str = ""
    owner: Member | None = None
    due: date | None = None
    ref: str | None = None  # words naming an existing task; None or "that" = the last one


@dataclass(frozen=True)
class Moment:
    """A sentence that changed the task list: what the LLM is shown as a candidate."""

    utterance: Utterance
    sentence: str
    move: Move


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text.strip()) if s.strip()]


def is_injection(text: str) -> bool:
    """A line that addresses a machine rather than the meeting."""
    return bool(INJECTION.search(text))


class RulesExtractor:
    """Deterministic extraction of a meeting's action items."""

    def __init__(self, facts: MeetingFacts) -> None:
        self.facts = facts
        self.people = People(facts.members)
        latin = [re.escape(n) for n in self.people.names() if n.isascii()]
        self._names = "|".join(latin) if latin else r"(?!x)x"

    def extract(self, utterances: Iterable[Utterance]) -> tuple[Ledger, list[Moment]]:
        """The ledger of the whole transcript, and the moments that shaped it."""
        ledger = Ledger(self.facts.meeting_id)
        moments: list[Moment] = []
        for utterance in utterances:
            ledger.hear()
            if is_injection(utterance.text):
                continue
            for sentence in sentences(utterance.text):
                move = self.analyse(sentence, utterance)
                if move is not None and apply(ledger, move, utterance, sentence):
                    moments.append(Moment(utterance, sentence, move))
                elif (talked_about := ledger.mentioned(sentence)) is not None:
                    ledger.focus(talked_about)
        return ledger, moments

    def analyse(self, sentence: str, utterance: Utterance) -> Move | None:
        """The move a sentence makes, if any."""
        speaker = self.people.speaker(utterance.speaker, utterance.participant_id)
        due_phrase = find_due(sentence, self.facts.date, self.facts.language)
        if _has_hangul(sentence):
            return self._korean(sentence, speaker, due_phrase)
        return self._english(sentence, speaker, due_phrase)

    # -- English --------------------------------------------------------------------------

    def _english(self, s: str, speaker: Member | None, due: DuePhrase | None) -> Move | None:
        n = self._names
        due_date = due.due if due else None
        body = said_once(_without(s, due))  # "I'll I'll talk to Michael"
        cancel = re.search(
            r"(?:^|\b(?:let'?s|we'?ll|we can|we should|go ahead and|just|i'd|we'll jus"
            r"t)\s+)(?:not do|drop|scrap|"
            r"cancel|skip|shelve|ditch|kill|forget(?: about)?|abandon|remove)\s+(?P<ref>[^,.!?]+)"
            r"|(?:we )?(?:don'?t|do not|no longer) need (?:to )?(?:do )?(?P<ref2>[^,.!"
            r"?]+?)(?: anymore| any more)?[,.!?]?$"
            r"|(?P<ref3>[\w' ]+?) (?:is|are) (?:off|cancell?ed|not needed|no longer ne"
            r"eded|not happening)"
            r"|never ?mind (?:about )?(?P<ref4>[^,.!?]*)",
            _strip_lead(body),
            re.IGNORECASE,
        )
        if cancel:
            ref = (
                next(g for g in cancel.groups() if g is not None) if any(cancel.groups()) else None
            )
            return Move("cancel", ref=_clean_ref(ref))
        if due_date and re.search(
            r"\b(?:make it|make that|let'?s say|move|push|postpone|change the (?:deadl"
            r"ine|due date)|"
            r"(?:make|have) (?:it|that|the [^,.]+?) (?:due|ready|done)|"
            r"(?:deadline|due date)(?: for [^,.]+)? is now|can wait)\b|^(?:actually|in"
            r"stead|no wait|sorry|"
            r"correction)\b",
            s,
            re.IGNORECASE,
        ):
            ref = re.search(
                r"\b(?:move|push|postpone|for)\s+(?P<ref>.+?)\s+(?:back\s+)?(?:to|until|till|is)\b"
                r"|\b(?:make|have) (?P<ref2>the [^,.]+?) (?:due|ready|done)\b"
                r"|(?P<ref3>[\w' ]+?) can wait\b",
                s,
                re.IGNORECASE,
            )
            if ref:
                return Move(
                    "update",
                    due=due_date,
                    ref=_clean_ref(ref.group("ref") or ref.group("ref2") or ref.group("ref3")),
                )
            return Move("update", due=due_date, ref=None)
        give = re.search(
            rf"\b(?:give|hand|assign|pass|move|reassign)\s+(?P<ref>.+?)\s+(?:over\s+)?to\s+(?P<name>{n})\b",
            body,
            re.IGNORECASE,
        )
        if give:
            return Move(
                "update",
                owner=self.people.by_name(give.group("name")),
                due=due_date,
                ref=_clean_ref(give.group("ref")),
            )
        who = re.search(
            r"\bwho(?:'ll| will| can| wants to| could)\s+(?P<verb>take|handle|own|do|r"
            r"un|lead)\s+(?P<rest>[^?]+)",
            body,
            re.I,
        )
        if who:
            return Move("new", title=en_title(who.group("verb"), " " + who.group("rest")))
        owner, verb, rest = self._en_action(_strip_lead(body), speaker)
        if verb is None:
            return None
        verb_l = verb.lower()
        if verb_l in _EN_NOT_TASK or (_IMMEDIATE.search(rest) and due_date is None):
            return None
        if verb_l in _TAKE_VERBS:
            obj = re.sub(r"^\s*(?:care of|over|on|up)\b", "", rest, flags=re.IGNORECASE)
            obj = re.split(r"[,;]|\s(?:since|because|so|as)\s", obj)[0]
            obj = re.sub(
                r"\b(?:over|instead|then|too|myself|yourself)\b", "", obj, flags=re.IGNORECASE
            ).strip(" ,.!?")
            if not obj or _PRONOUN.fullmatch(obj):
                return Move("update", owner=owner, due=due_date, ref=None)
            return Move("new", title=en_title(verb, rest), owner=owner, due=due_date, ref=obj)
        if _PRONOUN.fullmatch(rest):
            return Move("update", owner=owner, due=due_date, ref=None)
        title = en_title(verb, rest)
        if len(rest.split()) < 1 or in_the_call(title) or not names_the_work(title):
            return None
        return Move("new", title=title, owner=owner, due=due_date)

    def _en_action(self, s: str, speaker: Member | None) -> tuple[Member | None, str | None, str]:
        n = self._names
        patterns: list[tuple[str, str]] = [
            (
                r"^(?:and |so |ok(?:ay)?,? |sure,? |yes,? |yeah,? |fine,? |great,? |alrigh"
                r"t,? )*(?:then,? )?(?:i think )?i(?:'ll| will| can| am going to|'m going "
                r"to|'m gonna| shall)\s+(?:also\s+|go ahead and\s+|try to\s+|make sure to\s"
                r"+|just\s+|definitely\s+)?(?P<verb>[a-z]+)(?P<rest>.*)",
                "speaker",
            ),
            (r"^(?:and |so |ok(?:ay)?,? )*let me\s+(?P<verb>[a-z]+)(?P<rest>.*)", "speaker"),
            (
                rf"^(?:and |so |ok(?:ay)?,? )*(?P<name>{n}),?\s+(?:can|could|would|will) yo"
                rf"u(?: please)?(?: also)?\s+(?P<verb>[a-z]+)(?P<rest>.*)",
                "name",
            ),
            (
                rf"^(?:and |so |ok(?:ay)?,? )*(?P<name>{n}),?\s+(?:please|you(?:'ll| will)?"
                rf"|i need you to|you should|you can)\s+(?P<verb>[a-z]+)(?P<rest>.*)",
                "name",
            ),
            (
                rf"^(?:and |so |ok(?:ay)?,? )*(?:can|could|would) you(?: please)?(?: also)?"
                rf"\s+(?P<verb>[a-z]+)(?P<rest>.*?),?\s+(?P<name>{n})\s*\??$",
                "name",
            ),
            (
                rf"^(?:and |so |ok(?:ay)?,? |then,? |actually,? )*(?P<name>{n})(?:'ll| will"
                rf"| is going to| is gonna| should| needs to| has to| can| to)\s+(?:also\s+"
                rf"|then\s+)?(?P<verb>[a-z]+)(?P<rest>.*)",
                "name",
            ),
            (
                rf"\blet'?s (?:have|ask|get) (?P<name>{n}) (?:to )?(?P<verb>[a-z]+)(?P<rest>.*)",
                "name",
            ),
            (
                rf"\b(?:can|could|should|will) (?P<name>{n})\s+(?:please\s+)?(?P<verb>[a-z]"
                rf"+)(?P<rest>.*)",
                "name",
            ),
            (
                r"^(?:and |so |ok(?:ay)?,? )*(?:can|could|would) you(?: please)?(?: also)?"
                r"\s+(?P<verb>[a-z]+)(?P<rest>.*)",
                "nobody",
            ),
            (
                r"^(?:and |so |ok(?:ay)?,? |then,? )*(?:we|someone|somebody)(?: still)? (?"
                r":need|needs|have|has|must|should)(?: to)?\s+(?P<verb>[a-z]+)(?P<rest>.*)",
                "nobody",
            ),
            (
                r"^(?:action item|todo|to-do|follow[- ]up)s?:\s*(?P<verb>[a-z]+)(?P<rest>.*)",
                "nobody",
            ),
        ]
        for pattern, who in patterns:
            match = re.search(pattern, s, re.IGNORECASE)
            if not match:
                continue
            rest = match.group("rest")
            if (
                who == "nobody"
                and s.rstrip().endswith("?")
                and re.match(r"^(?:can|could|would)", s, re.I) is None
            ):
                return None, None, ""
            if who == "nobody" and match.group("verb").lower() in _EN_QUESTION_VERBS:
                return None, None, ""
            owner = (
                speaker
                if who == "speaker"
                else (self.people.by_name(match.group("name")) if who == "name" else None)
            )
            return owner, match.group("verb"), rest
        return None, None, ""

    # -- Korean ---------------------------------------------------------------------------

    def _korean(self, s: str, speaker: Member | None, due: DuePhrase | None) -> Move | None:
        due_date = due.due if due else None
        body = _without(s, due).strip()
        if _KO_NOT_TASK.search(body) and due_date is None:
            return None
        if _KO_IN_MEETING.search(body):
            return None
        named = self.people.find_in(body)
        owner_named = named[-1][2] if named else None
        clause = _drop_names(body, named)
        if _KO_CANCEL.search(body):
            ref = _KO_CANCEL.split(clause)[0]
            return Move("cancel", ref=_ko_ref(ref))
        if due_date and _KO_RESCHEDULE.search(body) and not _KO_REQUEST.search(body):
            ref = re.sub(r"(?:마감|기한|일정|데드라인)(?:은|는|을|를|이|가)?", "", clause)
            ref = _KO_RESCHEDULE.split(ref)[0]
            return Move("update", due=due_date, ref=_ko_ref(ref))
        who = re.search(r"(?P<obj>.+?)(?:은|는)\s*누가\s*(?:맡|하|담당)", clause)
        if who:
            return Move(
                "new", title=re.sub(r"^(?:그리고|그럼|아)\s+", "", who.group("obj")).strip()
            )
        instead = re.search(r"(?:대신|말고)", clause)
        if instead and owner_named is not None:
            ref = re.sub(r"(?:은|는|도)?\s*$", "", clause[: instead.start()]).strip()
            return Move("update", owner=owner_named, due=due_date, ref=_ko_ref(ref))
        if re.match(r"(?:오늘은|오늘 회의는|이번 회의는)", s) and _KO_COMMIT.search(body):
            return None  # the agenda of the meeting, not a task
        pronoun = bool(_KO_PRONOUN.match(clause))
        if _KO_REQUEST.search(body) or _KO_DECIDED.search(body):
            owner = owner_named
        elif _KO_COMMIT.search(body):
            third = named and re.search(
                r"(?:님|씨)?(?:이|가|께서)\s", body[named[-1][1] : named[-1][1] + 4] + " "
            )
            owner = owner_named if third and "제가" not in body else speaker
        elif _KO_GROUP.search(body):
            owner = None
        else:
            return None
        rest = _KO_PRONOUN.sub("", clause).strip()
        rest = re.sub(r"^(?:대신|말고)\s*", "", rest)
        title = ko_title(rest)
        if (pronoun and len(title.split()) <= 2) or len(title.split()) <= 1:
            return Move("update", owner=owner, due=due_date, ref=None)
        if len(title) < 3:
            return Move("update", owner=owner, due=due_date, ref=None) if owner else None
        return Move("new", title=title, owner=owner, due=due_date)


def apply(ledger: Ledger, move: Move, utterance: Utterance, sentence: str) -> bool:
    """Apply a move to a ledger; False when it refers to no task."""
    evidence = Evidence(segment_id=utterance.segment_id, quote=sentence[:300], at=utterance.at)
    owner = (move.owner.user_id, move.owner.name) if move.owner else None
    if move.kind == "new":
        existing = ledger.find(move.ref) if move.ref else None
        last = ledger.find(None)
        if (
            existing is None
            and move.owner
            and last
            and last.assignee is None
            and last.status == "open"
            and last.title.split()[0].casefold() == move.title.split()[0].casefold()
        ):
            existing = last  # "Someone should reach out…" / "I'll reach out to her"
        if existing is not None:
            ledger.update(existing, assignee=owner, due=move.due, evidence=evidence)
        else:
            ledger.add(move.title, assignee=owner, due=move.due, evidence=evidence)
        return True
    target: Task | None = ledger.find(move.ref) if move.ref else ledger.mentioned(sentence)
    target = target or (ledger.find(None) if move.ref is None else None)
    if target is None:
        return False
    if move.kind == "cancel":
        ledger.update(target, status="cancelled", evidence=evidence)
    else:
        if owner is None and move.due is None:
            return False
        ledger.update(target, assignee=owner, due=move.due, status="open", evidence=evidence)
    return True


def _without(sentence: str, due: DuePhrase | None) -> str:
    if due is None:
        return sentence
    return (sentence[: due.start] + sentence[due.end :]).replace("  ", " ")


def _strip_lead(text: str) -> str:
    return re.sub(
        r"^(?:(?:ok(?:ay)?|so|um|uh|well|right|alright|good|great|actually|also|oh),?\s+)+",
        "",
        text.strip(),
        flags=re.I,
    )


def _clean_ref(ref: str | None) -> str | None:
    if ref is None:
        return None
    ref = re.sub(
        r"\b(?:instead|over|then|anymore|any more|for now|altogether|entirely)\b",
        "",
        ref,
        flags=re.I,
    )
    ref = ref.strip(" ,.!?")
    return ref or None


def _ko_ref(ref: str) -> str | None:
    ref = re.sub(r"^(?:그럼|그러면|아|음|그리고|일단|네)[,\s]*", "", ref.strip())
    ref = re.sub(r"(?:은|는|도|을|를|이|가)?\s*$", "", ref).strip(" ,.")
    if not ref or _KO_PRONOUN.match(ref + " ") or similarity(ref, ref) == 0:
        return None
    return ref


def _drop_names(text: str, named: list[tuple[int, int, Member]]) -> str:
    out, last = [], 0
    for start, end, _member in named:
        out.append(text[last:start])
        tail = re.match(r"\s?(?:님|씨)?(?:이|가|께서|은|는|도|에게|한테|께)?,?\s*", text[end:])
        last = end + (tail.end() if tail else 0)
    out.append(text[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip(" ,")


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)
