"""Resolve a spoken name or a speaker to a meeting member (English and Korean forms)."""

from __future__ import annotations

import re
import unicodedata

from lemminflect import getAllLemmas

from summarizer.facts import Member
from summarizer.minutes import STOP_EN

# Korean address forms and particles that follow a name: "민아님이", "준호 씨가", "팀장님".
_KO_SUFFIX = re.compile(
    r"(님|씨|팀장|매니저|선배|대리|과장|부장)?(이|가|은|는|께서|에게|한테|께|도|이랑|랑)?$"
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


# Words of role titles ("Industrial Designer", "Project Manager") that alone name nobody:
# in "user interface designer", "designer" is not the industrial designer.
_ROLE_WORDS = set(
    [
        "designer",
        "manager",
        "project",
        "user",
        "interface",
        "industrial",
        "expert",
        "engineer",
        "lead",
        "team",
        "product",
        "executive",
        "director",
        "head",
        "developer",
        "analyst",
        "owner",
        "officer",
        "the",
    ]
)

# Nouns that end a role's name, and may stand in for each other ("Industrial Manager").
_ROLE_NOUNS = ("designer", "manager", "expert", "engineer", "person", "guy", "lead", "leader")


def _forms(member: Member) -> list[str]:
    """The ways a member can be named: full name, first name, last name, Korean given name."""
    name = _fold(member.name)
    parts = [p for p in name.split() if p not in _ROLE_WORDS]
    forms = [name, *parts]
    words = name.split()
    if len(words) == 2 and words[1] in _ROLE_NOUNS:
        # A role with another role noun: "the Industrial Manager will work on…".
        forms += [f"{words[0]} {noun}" for noun in _ROLE_NOUNS if noun != words[1]]
    if len(parts) == 1 and len(name) == 3 and _is_hangul(name):
        forms.append(name[1:])  # 김민아 -> 민아
    return [f for f in dict.fromkeys(forms) if f]


def _initials(member: Member) -> list[str]:
    """A role said by its letters: "PM" for the Project Manager, "UID" for the User
    Interface designer (a role word's letter may follow). Only names of two words or more,
    and only in capitals, so "the id" and "ui" as words name nobody."""
    words = [w for w in re.split(r"[\s-]+", unicodedata.normalize("NFKC", member.name)) if w]
    if len(words) < 2 or not all(w[:1].isascii() and w[:1].isalpha() for w in words):
        return []
    letters = "".join(w[0].upper() for w in words)
    return [letters] + [letters + r[0].upper() for r in ("designer", "manager", "expert", "lead")]


def _spelled(letters: str) -> str:
    """ "UID", "U.I.D." and AMI's "U_I_D_" alike."""
    return r"(?<![A-Za-z0-9_])" + r"[._]?\s?".join(letters) + r"(?:[._](?!\w))?(?![A-Za-z0-9])"


# Said in capitals at a sentence's start, unknown to the lexicon, and no name.
_INTERJECTIONS = frozenset(["oops", "ooh", "doh", "yay", "whoohoo", "nah", "aha", "uh-huh", "mhm"])
# A first name in a transcript: capitalised, three letters or more ("Kate", "Ryan").
_FIRST_NAME = re.compile(r"(?<![\w'])[A-Z][a-z]{2,}(?![\w'])")


def _is_hangul(text: str) -> bool:
    return all("\uac00" <= ch <= "\ud7a3" for ch in text)


class People:
    """Name lookups over a meeting's members; ambiguous names resolve to nobody."""

    def __init__(self, members: tuple[Member, ...] | list[Member]) -> None:
        self.members = tuple(members)
        # Capitalised words that name no one outside the meeting (`others_in`).
        self._no_names = {w for m in self.members for w in _fold(m.name).split()}
        self._no_names |= STOP_EN | _INTERJECTIONS
        index: dict[str, list[Member]] = {}
        for member in self.members:
            for form in _forms(member):
                index.setdefault(form, []).append(member)
        self._index = {form: found for form, found in index.items() if len(found) == 1}
        spelled: dict[str, list[Member]] = {}
        for member in self.members:
            for letters in _initials(member):
                spelled.setdefault(letters, []).append(member)
        self._spelled = [
            (re.compile(_spelled(letters)), found[0])
            for letters, found in sorted(spelled.items(), key=lambda item: -len(item[0]))
            if len(found) == 1 and letters.casefold() not in self._index
        ]

    def by_name(self, spoken: str | None) -> Member | None:
        """The member a spoken name refers to: "Mina", "mina lee", "민아님이", "김민아 씨"."""
        if not spoken:
            return None
        name = _fold(spoken).strip(" ,.!?")
        if name in self._index:
            return self._index[name][0]
        if _is_hangul(name.replace(" ", "")):
            stripped = _KO_SUFFIX.sub("", name.replace(" ", ""))
            if stripped in self._index:
                return self._index[stripped][0]
        return None

    def speaker(self, speaker: str | None, participant_id: str | None = None) -> Member | None:
        """The member who spoke a segment: by participant id first, then by display name."""
        if participant_id:
            for member in self.members:
                if member.user_id == participant_id:
                    return member
        return self.by_name(speaker)

    def names(self) -> list[str]:
        """Every unambiguous form of every member's name, longest first (for regexes)."""
        return sorted(self._index, key=len, reverse=True)

    def others_in(self, text: str) -> list[tuple[int, int, str]]:
        """Where people who are no member are named: first names English does not know
        ("Kate will be looking at the look and feel"). Speakers known by a role, or names
        heard differently, leave hand-outs to names that resolve to nobody."""
        return [
            (match.start(), match.end(), match.group())
            for match in _FIRST_NAME.finditer(text)
            if match.group().casefold() not in self._no_names
            and not getAllLemmas(match.group().lower())
        ]

    def find_in(self, text: str) -> list[tuple[int, int, Member]]:
        """Where members are named in a text: (start, end, member), left to right."""
        folded = _fold(text)
        found: list[tuple[int, int, Member]] = []
        taken: list[range] = []
        for form in self.names():
            latin = form.isascii()
            # ASCII boundaries, so "Bob이" (a Korean particle after a Latin name) is found.
            pattern = rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])" if latin else re.escape(form)
            for match in re.finditer(pattern, folded):
                span = range(match.start(), match.end())
                if any(span.start < t.stop and t.start < span.stop for t in taken):
                    continue
                if not latin and not _korean_name_boundary(folded, match.start(), match.end()):
                    continue
                taken.append(span)
                found.append((match.start(), match.end(), self._index[form][0]))
        normal = unicodedata.normalize("NFKC", text).strip()  # as folded, in its capitals
        for spelled, member in self._spelled if len(normal) == len(folded) else ():
            for match in spelled.finditer(normal):
                span = range(match.start(), match.end())
                if not any(span.start < t.stop and t.start < span.stop for t in taken):
                    taken.append(span)
                    found.append((match.start(), match.end(), member))
        return sorted(found, key=lambda item: item[0])


def _korean_name_boundary(text: str, start: int, end: int) -> bool:
    """A Korean name stands alone or is followed by an address form or particle."""
    before_ok = start == 0 or not _is_hangul(text[start - 1])
    rest = text[end : end + 4]
    after_ok = (
        not rest
        or not _is_hangul(rest[0])
        or bool(re.match(r"(님|씨|이|가|은|는|께|에게|한테|도|랑|이랑|팀장|선배)", rest))
    )
    return before_ok and after_ok
