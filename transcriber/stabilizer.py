"""LocalAgreement-2 stabilisation of the partial hypotheses of one utterance (pure).

A unit (a word; a character for languages written without reliable spaces, such as
Korean) becomes stable when two consecutive hypotheses agree on it and it is not the
last unit of the newest hypothesis (the audio may end inside that word). Stable units
are appended, never changed: `stable_text` of one partial is always a prefix of the
next one's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Languages whose spaces do not separate stable units (agreement per character).
CHARACTER_LANGUAGES = frozenset({"ko", "ja", "zh", "th", "yue"})

_WORD = re.compile(r"\s*\S+")


@dataclass(frozen=True)
class Unit:
    """One agreement unit: its comparison key and the text it shows (with leading space)."""

    key: str
    surface: str


@dataclass(frozen=True)
class StableView:
    """What a partial shows: the whole hypothesis and its part that will never change."""

    text: str
    stable_text: str


def units_of(text: str, language: str | None) -> list[Unit]:
    """Split a hypothesis into agreement units."""
    if language in CHARACTER_LANGUAGES:
        units: list[Unit] = []
        space = ""
        for char in text:
            if char.isspace():
                space = " "
                continue
            units.append(Unit(_key(char) or char, space + char))
            space = ""
        return units
    return [Unit(_key(w) or w.strip(), w) for w in _WORD.findall(text)]


def _key(word: str) -> str:
    """Case and punctuation do not count as disagreement."""
    folded = unicodedata.normalize("NFKC", word).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN")


def _common_prefix(a: list[Unit], b: list[Unit]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x.key != y.key:
            break
        n += 1
    return n


def _join(units: list[Unit]) -> str:
    return "".join(u.surface for u in units).strip()


class Stabilizer:
    """LocalAgreement-2 over successive hypotheses of one utterance."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self._stable: list[Unit] = []
        self._previous_tail: list[Unit] | None = None

    @property
    def stable_text(self) -> str:
        return _join(self._stable)

    @property
    def stable_units(self) -> int:
        return len(self._stable)

    def update(self, hypothesis: str) -> StableView:
        """Take the newest hypothesis; return what to show and what is stable."""
        units = units_of(hypothesis, self.language)
        # The part of the hypothesis after the stable prefix; a hypothesis that contradicts
        # the stable prefix still cannot change it.
        tail = units[len(self._stable) :]
        if self._previous_tail is not None:
            agreed = _common_prefix(self._previous_tail, tail)
            agreed = min(agreed, max(len(tail) - 1, 0))
            self._stable.extend(tail[:agreed])
            tail = tail[agreed:]
        self._previous_tail = tail
        return StableView(text=_join(self._stable + tail), stable_text=self.stable_text)
