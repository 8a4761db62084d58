"""Decoding policy (pure): presets per language, hallucination guards, the carried prompt.

Whisper invents text on silence, music and noise, and loops on its own output. The
guards here decide from a decode's own statistics whether its text is kept: the energy
of the audio, no-speech probability together with the average log-probability, the
gzip compression ratio, an n-gram repetition check, and a list of phrases Whisper is
known to invent, applied only when the decode is unsure (a confident "thanks" stays).
Text that fails a guard is never carried into the next prompt.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from transcriber.stabilizer import CHARACTER_LANGUAGES, units_of
from vori.settings import DecodingPreset, TranscriberSettings

# Phrases that Whisper produces from silence or noise (subtitle credits of its training data).
UNSURE_LOGPROB = -0.5
KNOWN_HALLUCINATIONS = frozenset(
    {
        "see you in the next video",
        "thank you so much for watching",
        "thank you",
        "thank you for watching",
        "thanks for watching",
        "thank you very much",
        "please subscribe",
        "subscribe to my channel",
        "subtitles by the amaraorg community",
        "you",
        "bye",
        "시청해주셔서 감사합니다",
        "구독과 좋아요 부탁드립니다",
        "감사합니다",
        "mbc 뉴스 이덕영입니다",
    }
)


@dataclass(frozen=True)
class DecodeStats:
    """What a decode says about itself, plus the loudness of its audio."""

    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float
    temperature: float
    audio_dbfs: float  # the loudest 150 ms of the audio (pcm.loudest_dbfs)
    word_seconds: tuple[float, ...] | None = None  # each word's aligned duration (finals)


@dataclass(frozen=True)
class Verdict:
    """Whether a decode's text is kept, why not, and whether it may become prompt context."""

    keep: bool
    text: str
    reason: str | None = None
    usable_as_context: bool = True


def preset_for(
    settings: TranscriberSettings, language: str, detected: str | None = None
) -> DecodingPreset:
    """The decoding preset of a meeting language (en, ko or auto); in an `auto` meeting,
    that of the language `detected`, where it has one."""
    if language == "auto" and detected in ("en", "ko"):
        language = detected
    if language == "ko":
        return settings.preset_ko
    if language == "auto":
        return settings.preset_auto
    return settings.preset_en


def language_of_text(text: str) -> str | None:
    """The language its last letter is written in, of the two vori names: Hangul is
    Korean, Latin English; None where the text has neither."""
    for char in reversed(text):
        if unicodedata.name(char, "").startswith("HANGUL"):
            return "ko"
        if char.isascii() and char.isalpha():
            return "en"
    return None


def choose_language(
    probabilities: Mapping[str, float],
    candidates: Sequence[str],
    spoken_last: str | None,
    stickiness: float,
) -> str:
    """The language of an `auto` meeting's utterance: the likeliest of `candidates`, unless
    the stream's last language (`spoken_last`) is within `stickiness` times as likely.

    Measured with base on the shared clips: every English clip was at least 50 times
    likelier English than Korean, but a garbled Korean question read as English at 8.9
    to 1 (and as Mongolian first).
    """
    best = max(candidates, key=lambda language: probabilities.get(language, 0.0))
    if spoken_last is None or spoken_last not in candidates:
        return best
    likelier = probabilities.get(best, 0.0) > stickiness * probabilities.get(spoken_last, 0.0)
    return best if likelier else spoken_last


def compression_ratio(text: str) -> float:
    """Bytes over zlib-compressed bytes: high for looping text (Whisper's own measure)."""
    raw = text.encode("utf-8")
    return len(raw) / len(zlib.compress(raw)) if raw else 0.0


# Languages agreed on per character (stabilizer) that still separate words with spaces.
# Loops are looked for between their words: per character, every Korean question ends
# alike ("...하나요? ...하나요?"), and that shared ending read as a loop cut the last
# question of a multi-question final (measured on the shared ko/naver clips).
SPACED_CHARACTER_LANGUAGES = frozenset({"ko"})


# Whisper's aligner gives the words of a loop it invented no audio. Of the repeats the
# collapse met on the shared speech through the transcriber's core, the words people
# repeated ("here are some more words, words, words, words") had at least half of their
# copies timed 0.1 s or longer; the loops ("E E E E", a sentence written twice, "five five"
# written nine times) at most a sixth. Two repeats people said were timed like loops and
# are cut all the same: "uh" seven times, and "word" six times in 0.7 s of audio.
SPOKEN_WORD_S = 0.1


def collapse_repetitions(
    text: str,
    language: str | None,
    *,
    max_repeats: int = 3,
    word_seconds: Sequence[float] | None = None,
) -> str:
    """Cut a run of one n-gram repeated more than `max_repeats` times down to one copy, and
    a text that ends cycling through one phrase after its first cycle: Whisper's loops.

    With `word_seconds` (each word's aligned duration, one per word of `text`) a repeat
    at least half of whose copies' words were timed SPOKEN_WORD_S or longer was spoken, and
    stays. Without them (partials) every repeat is cut."""
    units = units_of(text, None if language in SPACED_CHARACTER_LANGUAGES else language)
    keys = [u.key for u in units]
    timed = word_seconds is not None and len(word_seconds) == len(units)

    def spoken(start: int, end: int) -> bool:
        if not timed or end <= start:
            return False
        assert word_seconds is not None
        timed_words = sum(seconds >= SPOKEN_WORD_S for seconds in word_seconds[start:end])
        return 2 * timed_words >= end - start

    cut = looping_suffix(keys)
    if cut is not None and not spoken(cut, len(units)):
        units, keys = units[:cut], keys[:cut]
    out: list[int] = []
    i = 0
    while i < len(units):
        run = False
        for n in range(1, 7):
            gram = keys[i : i + n]
            if len(gram) < n or not any(gram):
                break
            repeats = 1
            while keys[i + repeats * n : i + (repeats + 1) * n] == gram:
                repeats += 1
            if repeats > max_repeats:
                kept = repeats * n if spoken(i + n, i + repeats * n) else n
                out.extend(range(i, i + kept))
                i += repeats * n
                run = True
                break
        if not run:
            out.append(i)
            i += 1
    return "".join(units[j].surface for j in out).strip()


def looping_suffix(keys: list[str], *, min_period: int = 3) -> int | None:
    """Where a text that ends by cycling through one phrase should be cut (after one cycle).

    Whisper's loops often end mid-cycle ("will we ever forget it will we ever forget"),
    which an exact n-gram count misses: look for a period p such that the last stretch
    repeats itself p units later for more than one whole cycle.
    """
    n = len(keys)
    for period in range(min_period, n // 2 + 1):
        start = n - period
        while start > 0 and keys[start - 1] == keys[start - 1 + period]:
            start -= 1
        if n - start >= period + 2 and start + period < n:
            return start + period
    return None


def normalised_phrase(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(c for c in folded if unicodedata.category(c)[0] in "LNZ")
    return re.sub(r"\s+", " ", kept).strip()


def judge(
    stats: DecodeStats, preset: DecodingPreset, language: str | None, *, gate_dbfs: float
) -> Verdict:
    """Keep, trim or drop a decode's text."""
    text = stats.text.strip()
    if stats.audio_dbfs < gate_dbfs:
        return Verdict(False, "", "energy gate", usable_as_context=False)
    if not text:
        return Verdict(False, "", "empty", usable_as_context=False)
    # Whisper's own rule drops text only below log-prob -1; on noise that VAD let through
    # (fans, typing) tiny.en and base invent fluent sentences at -0.6 to -0.95 while their
    # no-speech probability is high, and real speech scores near -0.3.
    unsure = stats.avg_logprob < UNSURE_LOGPROB
    if stats.no_speech_prob > preset.no_speech_threshold and unsure:
        return Verdict(False, "", "no speech", usable_as_context=False)
    phrase = normalised_phrase(text)
    credits = phrase in KNOWN_HALLUCINATIONS or any(
        p in phrase for p in KNOWN_HALLUCINATIONS if len(p.split()) >= 3
    )
    if credits and (unsure or stats.no_speech_prob > 0.3):
        return Verdict(False, "", "known hallucination", usable_as_context=False)
    collapsed = collapse_repetitions(text, language, word_seconds=stats.word_seconds)
    looping = collapsed != text or stats.compression_ratio > preset.compression_ratio_threshold
    if looping and compression_ratio(collapsed) > preset.compression_ratio_threshold:
        return Verdict(False, "", "repetition loop", usable_as_context=False)
    # Sampled (high-temperature) text is the decoder's last resort: show it, do not build on it.
    return Verdict(
        True, collapsed, None, usable_as_context=not looping and stats.temperature <= 0.5
    )


def next_context(context: str, verdict: Verdict, *, max_chars: int, language: str | None) -> str:
    """The prompt carried to the next utterance: recent kept text, reset after a bad decode."""
    if max_chars <= 0:
        return ""
    if not verdict.usable_as_context:
        return "" if verdict.reason == "repetition loop" else context
    joined = f"{context} {verdict.text}".strip()
    if len(joined) <= max_chars:
        return joined
    cut = joined[-max_chars:]
    if language not in CHARACTER_LANGUAGES and " " in cut:
        cut = cut.split(" ", 1)[1]  # never start the prompt inside a word
    return cut.strip()
