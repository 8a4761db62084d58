"""Resolve a spoken name or a speaker to a meeting member (English and Korean forms)."""

from __future__ import annotations

import re
import unicodedata

from summarizer.facts import Member

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


def _forms(member: Member) -> list[str]:
    """The ways a member can be named: full name, first name, last name, Korean given name."""
    name = _fold(member.name)
    parts = [p for p in name.split() if p not in _ROLE_WORDS]
    forms = [name, *parts]
    if len(parts) == 1 and len(name) == 3 and _is_hangul(name):
        forms.append(name[1:])  # 김민아 -> 민아
    return [f for f in dict.fromkeys(forms) if f]


# The role nouns a spoken role title may end with ("User Interface Designer", "UID").
_ROLE_NOUNS = ("designer", "expert", "manager")


_CLOCK = re.compile(
    r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))\s*$"
)


def _acronyms(member: Member) -> list[str]:
    """A role title's initials, alone and with a role noun: "Industrial Designer" -> ID,
    "User Interface" -> UI, UID (AMI's project managers hand out work as "the I_D_",
    "U_I_D_"). Only for names made of role words, so a person's initials name nobody."""
    words = _fold(member.name).split()
    if len(words) < 2 or any(w not in _ROLE_WORDS for w in words):
        return []
    initials = "".join(w[0] for w in words)
    forms = [initials]
    if words[-1] not in _ROLE_NOUNS:
        forms += [initials + noun[0] for noun in _ROLE_NOUNS]
    return forms


def _is_hangul(text: str) -> bool:
    return all("\uac00" <= ch <= "\ud7a3" for ch in text)


class People:
    """Name lookups over a meeting's members; ambiguous names resolve to nobody."""

    def __init__(self, members: tuple[Member, ...] | list[Member]) -> None:
        self.members = tuple(members)
        index: dict[str, list[Member]] = {}
        for member in self.members:
            for form in _forms(member):
                index.setdefault(form, []).append(member)
        self._index = {form: found for form, found in index.items() if len(found) == 1}
        acronyms: dict[str, list[Member]] = {}
        for member in self.members:
            for form in _acronyms(member):
                acronyms.setdefault(form, []).append(member)
        # Spoken letter by letter: "ID", "I.D.", "I_D_" (the AMI transcripts' spelling).
        self._acronyms = [
            (re.compile(r"(?<![\w'])" + r"[._]?".join(form) + r"[._]?(?![\w'])"), found[0])
            for form, found in acronyms.items()
            if len(found) == 1 and form not in self._index
        ]

    def by_name(self, spoken: str | None) -> Member | None:
        """The member a spoken name refers to: "Mina", "mina lee", "민아님이", "김민아 씨"."""
        if not spoken:
            return None
        name = _fold(spoken).strip(" ,.!?")
        if name in self._index:
            return self._index[name][0]
        for pattern, member in self._acronyms:
            if pattern.fullmatch(name):
                return member
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
        for acronym, member in self._acronyms:
            for match in acronym.finditer(folded):
                span = range(match.start(), match.end())
                if _CLOCK.search(folded[: match.start()]):
                    continue  # "at one P_M_" is a time
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
