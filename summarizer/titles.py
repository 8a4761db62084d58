"""Turn the clause of an action sentence into a card title (English and Korean)."""

from __future__ import annotations

import re

from lemminflect import getAllLemmas, getLemma

from summarizer.minutes import STOP_EN

_EN_TRAILERS = re.compile(
    r"(?:[,\s]+(?:then|okay|ok|please|for me|for us|instead|as well|too|again|right|"
    r"if you can|if possible|when you can|thanks|thank you|as soon as possible|asap|ok\?|yeah))+$",
    re.IGNORECASE,
)
_EN_PRONOUNS = {"my": "the", "our": "the", "your": "the", "me": "us"}
# One to three words said twice: "I'll I'll", "it has to has to fulfil", "we'll need
# we'll need".
_REPEATED_WORDS = re.compile(r"\b((?:[\w']+ ){0,2}[\w']+)(?:,? \1\b)+", re.IGNORECASE)
_EN_FILLERS = re.compile(r"\b(?:um+|uh+|erm|mm+|hmm+)\b,?\s*", re.IGNORECASE)
# A working day said as when: "talk about it on Friday", "do that by Monday".
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday"
# Done in the call itself, to the people in it: "Show you some numbers here", "Tell you on
# what basis…", "Pass the pen to…", "Go round the table", "Take notes during this meeting".
_IN_THE_CALL = re.compile(
    r"^(?:show (?:you|us)|tell (?:you|us)|pass (?:the|this|it)|hook up|go round|go around the"
    r"|turn (?:it |this |things )?over to"
    # the call's own breaks: "Meet back in here in thirty minutes", "Take a lunch break"
    r"|meet (?:back|again|after|you in|in (?:a|about|maybe|\w+ minutes))"
    r"|take (?:a |the |our )?(?:lunch|coffee|short )?break|take (?:for )?lunch"
    # and its own programme: "Do a little opening", "Go first", "Go on to my findings"
    r"|do (?:a|an|the) (?:quick |little |brief |short )?opening|go first|go on to (?:my|the)"
    r"|get (?:the|my) (?:\w+ )?presentation (?:up|running|going)|write (?:that|this|it) down"
    r"|continue with (?:my|the|this)|present (?:you|us)|show it to|sum up|finish up here"
    r"|take (?:some |the )?(?:notes|minutes)(?: again)?$"
    # a presentation given there and then: "I'll explain a bit of the components"
    r"|explain|describe|tell (?:you |us )?(?:something|a bit|a little)"
    r"|talk (?:a (?:little )?bit )?about(?!.*\b(?:next|after|later|tomorrow|offline|week"
    rf"|{_WEEKDAYS})\b)"
    r"|give (?:you |us )?(?:a|an) (?:\w+ )?(?:outline|overview|rundown|introduction)"
    r"|open(?: the| my| this| it| up)?(?: \w+)?$"
    r")\b|\b(?:during|in) this meeting\b",
    re.IGNORECASE,
)


# Work said as "that", for a time after the meeting: "do that for next week".
_THAT_LATER = re.compile(
    r"(?:do|try) (?:that|this|it)\b[^.?!]*?\b(?:next (?:week|time|meeting)|tomorrow|later"
    rf"|(?:by|on) (?:{_WEEKDAYS}))\b",
    re.IGNORECASE,
)


def for_later(rest: str) -> str | None:
    """The title of work said as "that" for later ("Do that for next week"); its evidence
    says what "that" is. None when no time after the meeting is said."""
    said = _THAT_LATER.match(rest)
    return _cap(said.group(0).rstrip(" .,!")) if said else None


def in_the_call(title: str) -> bool:
    """A title of something done in the meeting, for the people in it: no card."""
    return bool(_IN_THE_CALL.search(title))


def said_once(text: str) -> str:
    """Words said twice in a row, as a speaker restarts, said once."""
    return _REPEATED_WORDS.sub(r"\1", text)


def en_title(verb: str, rest: str) -> str:
    """'send', ' my notes to Mina by Friday, okay?' -> 'Send the notes to Mina'."""
    text = said_once(_EN_FILLERS.sub("", f"{verb}{rest}").strip())
    text = re.sub(r"^(?:also|then|just|quickly)\s+", "", text, flags=re.IGNORECASE)
    # "I'll hafta think about it": the second modal says how, the verb after it what.
    text = re.sub(r"^(?:hafta|have to|gotta|got to)\s+(?=\w)", "", text, flags=re.IGNORECASE)
    text = re.split(r"(?<=\w)[.!?;]\s|\s+(?:and then|but|because|so that|since)\s+", text)[0]
    text = text.strip(" .!?,;:-")
    text = _EN_TRAILERS.sub("", text).strip(" .!?,;:-")
    words = [_EN_PRONOUNS.get(w.lower(), w) if i else w for i, w in enumerate(text.split())]
    text = " ".join(words)
    text = re.sub(r"\b(?:the the)\b", "the", text)
    return imperative(_cap(text[:120].rstrip()))


def imperative(title: str) -> str:
    """'Working on the design' -> 'Work on the design': a card says what to do, however
    it was said ("you're gonna be working on...", "I'll be putting...")."""
    first, space, rest = title.partition(" ")
    if not first.casefold().endswith("ing"):
        return title
    lemmas = getLemma(first.casefold(), upos="VERB", lemmatize_oov=False)  # known verbs only
    if not lemmas or lemmas[0] == first.casefold():
        return title
    return _cap(lemmas[0]) + space + rest


def is_base_verb(word: str) -> bool:
    """A verb as a title starts: lemminflect's English lexicon knows the word as the base
    form of a verb ("send", "look"), not only another form ("sent") or another class."""
    word = word.casefold().strip(",.")
    if word.startswith("re") and not getAllLemmas(word):
        word = word.removeprefix("re").lstrip("-")  # "resample", "re-run"
    return word in getAllLemmas(word).get("VERB", ())


def names_the_work(title: str) -> bool:
    """An English title starts with the verb of the work ("Send…", "Re-run…"), not with a
    thing, a number or a verb's other form ("Three presentations", "Able to see…", "Sent to
    you…"); a word the lexicon does not know ("dockerize", "sync") is taken for a verb."""
    words = [w.casefold().strip(",.") for w in title.split()]
    # "Never have to…", "Perhaps start…": the verb follows
    while len(words) > 1 and (words[0] in ("never", "not") or _only_adverb(words[0])):
        words = words[1:]
    first = words[0] if words else ""
    if not first.isascii():
        return True  # Korean titles end with their verb
    last = first.rsplit("-", 1)[-1]  # "double-check", "re-run"
    if is_base_verb(first) or is_base_verb(last):
        return True
    return not getAllLemmas(last) and first not in STOP_EN  # not "three", "yeah"


def _only_adverb(word: str) -> bool:
    return set(getAllLemmas(word)) == {"ADV"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_HANGUL_BASE, _JONG_COUNT, _RIEUL = 0xAC00, 28, 8

_KO_ENDINGS = [
    (
        r"\s?해\s?(?:주세요|주실 수 있(?:나요|을까요|어요|죠)|주시겠어요|주실래요|"
        r"줄래요|줄 수 있어요|주면 좋겠어요|주시면 좋겠어요)$",
        "하기",
    ),
    (
        r"(?:하기로 (?:했어요|했습니다|해요|하죠|합시다)|하겠습니다|하겠어요|할게요"
        r"|할게|할 거예요|할께요)$",
        "하기",
    ),
    (
        r"(?:을게요|을게|을께요|겠습니다|겠어요|을 거예요|기로 했어요|기로 했습니다"
        r"|기로 하죠|기로 해요)$",
        "기",
    ),
    (
        r"(?:아|어)?\s?(?:주세요|주실 수 있나요|주실래요|주시겠어요|줄래요|줄 수 있"
        r"어요|드릴게요|드리겠습니다)$",
        "기",
    ),
    (r"(?:해야 (?:해요|합니다|돼요|됩니다|겠어요)|해야 할 것 같아요)$", "하기"),
    (r"야\s?(?:해요|합니다|돼요|됩니다|겠어요|할 것 같아요)$", "~기"),
]


def ko_title(clause: str) -> str:
    """'예산 보고서를 재무팀에 보낼게요' -> '예산 보고서를 재무팀에 보내기'."""
    text = clause.strip(" .!?,~")
    text = re.sub(
        r"^(?:(?:그럼|그러면|네|좋아요|아|음|어|자|그래서|그리고|일단|마지막으로|참|또)[,\s]+)+",
        "",
        text,
    )
    text = re.sub(
        r"(?<=[가-힣]{2})(?:은|는)(?=\s)", "", text
    )  # topic particles: "보고서는" -> "보고서"
    text = re.sub(r"(?:^|\s)(?:제가|저는|내가|저도|제가 직접)\s+", " ", text).strip()
    for pattern, ending in _KO_ENDINGS:
        match = re.search(pattern, text)
        if match:
            stem = text[: match.start()].rstrip()
            if ending in ("기", "~기"):
                stem = _drop_rieul(stem, rieul=ending == "기")
            return (stem + ending.lstrip("~"))[:120]
    # "보낼게요": the future ㄹ sits in the last syllable's final consonant.
    match = re.search(r"([가-힣])게요?$", text)
    if match:
        return (_drop_rieul(text[: match.end(1)]) + "기")[:120]
    return text[:120]


def _drop_rieul(stem: str, *, rieul: bool = True) -> str:
    """'보낼' -> '보내', '맡아' -> '맡': the stem a nominal '-기' attaches to."""
    if not stem:
        return stem
    last = stem[-1]
    code = ord(last) - _HANGUL_BASE
    if rieul and 0 <= code < 11172 and code % _JONG_COUNT == _RIEUL:
        return stem[:-1] + chr(ord(last) - _RIEUL)
    if last in "아어" and len(stem) > 1 and stem[-2] != " ":
        return stem[:-1]
    if last == "해":
        return stem[:-1] + "하"
    if 0 <= code < 11172 and code % _JONG_COUNT == 0:
        # A contracted vowel: 넘겨 (넘기+어), 줘 (주+어), 봐 (보+아) -> 넘기, 주, 보.
        vowel = (code // _JONG_COUNT) % 21
        plain = {6: 20, 14: 13, 9: 8}.get(vowel)
        if plain is not None:
            return stem[:-1] + chr(ord(last) + (plain - vowel) * _JONG_COUNT)
    return stem
