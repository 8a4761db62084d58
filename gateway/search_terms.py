"""What a search query asks for, and where a found text matches it: pure functions.

A query is split into terms. Terms with Hangul are matched as substrings (Korean attaches
particles to words), narrowed by an index of syllable bigrams; other terms are English
words, matched with stemming by PostgreSQL full text. Snippets mark matches with offsets,
never markup, so a client renders them as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_TERMS = 8
SNIPPET_CHARS = 180
ELLIPSIS = "\u2026"
_HANGUL_RUN = re.compile(r"[\uac00-\ud7a3]+")
# Punctuation around a term is not part of it ("budget," "(예산)"); inside it stays ("Q3-4").
_EDGE_PUNCTUATION = "\"'`.,;:!?()[]{}<>\u201c\u201d\u2018\u2019\u3002\u3001"
# Suffixes removed to find "decided" from "decide" and "meetings" from "meeting" in a snippet;
# the database already matched with the real English stemmer.
_SUFFIXES = ("ingly", "ing", "edly", "ed", "es", "s", "ly")


@dataclass(frozen=True)
class SearchQuery:
    """A normalised query: the phrase as typed, English words, Korean terms and bigrams."""

    phrase: str
    terms: tuple[str, ...]
    words: tuple[str, ...]  # terms without Hangul: PostgreSQL full text ('english')
    hangul_terms: tuple[str, ...]  # terms with Hangul: substring match
    bigrams: tuple[str, ...]  # of the Hangul terms: what the bigram index narrows by

    @property
    def empty(self) -> bool:
        return not self.terms


def hangul_bigrams(text: str) -> list[str]:
    """Syllable bigrams of each Hangul run, a lone syllable as itself; mirrors the SQL
    function `vori_hangul_bigrams` of migration 0008 (which indexes them)."""
    grams: list[str] = []
    for run in _HANGUL_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams += [run[i : i + 2] for i in range(len(run) - 1)]
    return list(dict.fromkeys(grams))


def parse_query(raw: str) -> SearchQuery:
    """Split and normalise what the user typed (at most MAX_TERMS terms)."""
    terms: list[str] = []
    for token in raw.split():
        term = token.strip(_EDGE_PUNCTUATION).lower()
        if term and term not in terms:
            terms.append(term)
    terms = terms[:MAX_TERMS]
    hangul = tuple(t for t in terms if _HANGUL_RUN.search(t))
    words = tuple(t for t in terms if t not in hangul)
    bigrams = tuple(
        dict.fromkeys(g for t in hangul for g in hangul_bigrams(t) if len(g) == 2)
    )  # a lone syllable is only indexed where it stands alone: the ILIKE finds it
    phrase = " ".join(raw.split()).strip(_EDGE_PUNCTUATION).lower()
    return SearchQuery(phrase, tuple(terms), words, hangul, bigrams)


def like_pattern(term: str) -> str:
    """`%term%` for ILIKE, with the wildcards of the term escaped (escape character `\\`)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def word_phrase_regex(words: tuple[str, ...]) -> str:
    """A PostgreSQL regex (for `~*`) of the words in a row as whole words: `\\mit\\s+was\\M`."""
    escaped = [re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", word) for word in words]
    return r"\m" + r"\s+".join(escaped) + r"\M"


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def match_spans(text: str, query: SearchQuery) -> list[tuple[int, int]]:
    """Where the query matches the text: the whole phrase, else each term, else each
    English term's stem at the start of a word. Sorted, merged `[start, end)` offsets."""
    spans: list[tuple[int, int]] = []
    if len(query.terms) > 1:
        spans = _find(text, re.escape(query.phrase).replace(r"\ ", r"\s+"))
    if not spans:
        for term in query.terms:
            if term in query.words:  # the whole word: "decided" for "decide"
                found = _find(text, r"\b" + re.escape(term) + r"\w*")
                found = found or _find(text, r"\b" + re.escape(_stem(term)) + r"\w*")
            else:
                found = []
            spans += found or _find(text, re.escape(term))
    return _merged(spans)


def _find(text: str, pattern: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE) if m.end()]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class Snippet:
    """A window of a text around its first match; `highlights` are `[start, end)` offsets
    into `text` in Unicode code points."""

    text: str
    highlights: list[tuple[int, int]]


def snippet(text: str, query: SearchQuery, width: int = SNIPPET_CHARS) -> Snippet:
    """The text (or a window of `width` characters around the first match) with its matches."""
    text = " ".join(text.split())
    spans = match_spans(text, query)
    if len(text) <= width:
        return Snippet(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - width // 3)
    if start > 0:  # begin at a word
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    prefix = ELLIPSIS if start > 0 else ""
    shift = len(prefix) - start
    window = prefix + text[start:end] + (ELLIPSIS if end < len(text) else "")
    inside = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if e > start and s < end
    ]
    return Snippet(window, inside)
