"""A meeting's vocabulary: names and rare terms that bias Whisper's decoding (pure).

The gateway validates a list with :func:`clean_terms` (422 with its message otherwise),
stream_ingest stamps the meeting's list on the stream's audio frames, and the
transcriber's decoder puts the terms before the stream's previous text with
:func:`build_prompt`, within the prompt's token budget.

How the transcriber learns a stream's terms: stream_ingest reads them with the meeting's
language when a stream opens and stamps them on every frame (`AudioFrame.vocabulary`).
Considered and not chosen: stamping only a stream's first frame and keeping the terms in
the transcriber's commit checkpoint (commit metadata is size-limited, transcriber/
offsets.py, and 100 terms are ~6.8 KB of JSON), or a `MeetingEvent` the transcriber also
consumes (a second topic to order against audio after a restart). Every frame carrying
them means a transcriber that restarts mid-stream and re-reads from the committed offset
has them on the first frame it reads, with no new state. The cost: the frame header grows
by the JSON of the list, ~120 bytes for ten names against 3200 bytes of PCM in a 100 ms
frame (4 %), up to ~6.8 KB for the largest list (Kafka's lz4 batches shrink the repeats;
the 100-term limit bounds it). A change made during a meeting reaches a stream the next
time it (re)connects; the transcriber follows the frames' terms from then on.

How the terms reach Whisper: as faster-whisper's `hotwords` (a `<|startofprev|>` text
before the previous text) for finals, and inside the initial prompt for partials that
carry a prefix (faster-whisper drops `hotwords` when a prefix is given). Not the initial
prompt for finals: faster-whisper keeps an initial prompt for the decode of the audio
after the last timestamped word, which then invents "Thank you for watching." on the
utterance's trailing silence (measured on the shared English clips with tiny.en; with
`hotwords` the same audio decodes clean). The budget is split explicitly, since
faster-whisper counts `hotwords` apart from the previous text: the terms first (up to
`vocabulary_tokens`), the tail of the previous text in what remains of Whisper's 223.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

MAX_TERMS = 100
MAX_TERM_CHARS = 64
# Whisper keeps at most max_length // 2 - 1 = 223 previous tokens; faster-whisper cuts
# the prompt's *start* beyond that, which is where the terms are: stay inside it.
PROMPT_TOKENS = 223
VOCABULARY_TOKENS = 120


def clean_terms(terms: Iterable[str]) -> list[str]:
    """Terms with white space collapsed, duplicates (case-insensitive) dropped, in order.

    ValueError with a message a person can act on for a blank term, one over
    MAX_TERM_CHARS characters, one with control characters, or more than MAX_TERMS terms.
    """
    cleaned: list[str] = []
    seen: set[str] = set()
    for index, raw in enumerate(terms):
        if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in raw):
            raise ValueError(f"term {index + 1} contains control characters")
        term = " ".join(raw.split())
        if not term:
            raise ValueError(f"term {index + 1} is blank")
        if len(term) > MAX_TERM_CHARS:
            raise ValueError(
                f"term {index + 1} ({term[:20]!r}...) is longer than {MAX_TERM_CHARS} characters"
            )
        key = term.casefold()
        if key in seen:
            continue
        seen.add(key)
        cleaned.append(term)
    if len(cleaned) > MAX_TERMS:
        raise ValueError(f"{len(cleaned)} terms; a vocabulary holds at most {MAX_TERMS}")
    return cleaned


def merge_terms(first: Sequence[str], then: Sequence[str]) -> list[str]:
    """`first` (the meeting's terms) then `then` (the board's), duplicates dropped."""
    seen: set[str] = set()
    merged: list[str] = []
    for term in (*first, *then):
        key = term.casefold()
        if key not in seen:
            seen.add(key)
            merged.append(term)
    return merged


@dataclass(frozen=True)
class Prompt:
    """What goes before the decoder's text: the terms as a glossary, then previous text."""

    glossary: str | None
    context: str | None

    def joined(self) -> str | None:
        """Both in one initial prompt (a partial with a prefix, where hotwords are dropped)."""
        return " ".join(p for p in (self.glossary, self.context) if p) or None


def build_prompt(
    terms: Sequence[str],
    context: str | None,
    count_tokens: Callable[[str], int],
    *,
    prompt_tokens: int = PROMPT_TOKENS,
    vocabulary_tokens: int = VOCABULARY_TOKENS,
) -> Prompt:
    """As many terms as fit in `vocabulary_tokens` (in order, whole terms only) as a
    comma-separated list, and the tail of `context` that fits in the rest of
    `prompt_tokens` (whole words); either is None when empty.
    """
    glossary = ""
    for term in terms:
        candidate = f"{glossary}, {term}" if glossary else term
        if count_tokens(" " + candidate) > vocabulary_tokens:
            break
        glossary = candidate
    used = count_tokens(" " + glossary) if glossary else 0
    tail = ""
    if context and context.strip():
        left = prompt_tokens - used - 1
        words = context.split()
        # Drop words from the start until the tail fits (few iterations: context is short).
        start = 0
        while start < len(words) and count_tokens(" " + " ".join(words[start:])) > left:
            start += max(1, (len(words) - start) // 8)
        tail = " ".join(words[start:])
    return Prompt(glossary or None, tail or None)
