"""Transcripts brought in from files: WebVTT, SubRip and JSON into timed, attributed cues.

Pure functions: text in, `ImportedCue`s out, or a `TranscriptFormatError` that names the
line of the problem. Subtitles are read with the maintained `webvtt-py` and `srt`
libraries; speaker names come from VTT voice tags (`<v Name>`, as Teams writes them) and
from `Name: text` prefixes (as Zoom and vori's own exports write them).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import srt
import webvtt
from pydantic import BaseModel, Field, ValidationError
from webvtt.errors import MalformedCaptionError, MalformedFileError

from vori.audio import SAMPLE_RATE
from vori.events import TranscriptSegment, segment_id_for, stream_id_for

ImportFormat = Literal["vtt", "srt", "json"]
FORMATS: tuple[ImportFormat, ...] = ("vtt", "srt", "json")
MEDIA_TYPES: dict[str, ImportFormat] = {
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "text/srt": "srt",
    "application/json": "json",
}
# "Mina Park: text", "김민아: text", "Dr. J. Lee: text": a name of up to four words before
# the first colon. "Agenda: ..." looks the same, so prefixes count as names only in a file
# where at least half of the cues start with one (Zoom and vori prefix every cue).
_SPEAKER_PREFIX = re.compile(
    r"^\s*-?\s*([^\W\d][\w.'\u2019\- ]{0,60}?)\s*[:\uff1a]\s+(.*)$", re.DOTALL
)
_MAX_NAME_WORDS = 4
_NAMED_SHARE = 0.5
_NAME_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "la", "le", "bin"})
_BLANK = re.compile(r"\s+")


class TranscriptFormatError(ValueError):
    """A file that cannot be read as the format it claims, at a line (1-based) if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class ImportedCue:
    """One timed utterance of a transcript file, on the file's clock (seconds)."""

    speaker: str | None
    start: float
    end: float
    text: str


def detect_format(text: str, content_type: str | None = None) -> ImportFormat:
    """The format named by the media type, else sniffed from the first characters."""
    if content_type:
        media = content_type.split(";")[0].strip().lower()
        if media in MEDIA_TYPES:
            return MEDIA_TYPES[media]
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head[:1] in ("[", "{"):
        return "json"
    return "srt"


def parse_transcript(text: str, fmt: ImportFormat) -> list[ImportedCue]:
    """Every cue with text of a transcript file, in file order."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "vtt":
        raw = _parse_vtt(text)
    elif fmt == "srt":
        raw = _parse_srt(text)
    else:
        raw = _parse_json(text)
    unvoiced = [cue for cue in raw if cue.voice is None and cue.lines]
    prefixed = sum(1 for cue in unvoiced if split_speaker(cue.lines[0])[0] is not None)
    names = bool(unvoiced) and prefixed >= _NAMED_SHARE * len(unvoiced)
    cues = [part for cue in raw for part in _attributed(cue, names)]
    if not cues:
        raise TranscriptFormatError(f"no cues with text in this {fmt.upper()} file")
    return cues


def split_speaker(text: str) -> tuple[str | None, str]:
    """`("Mina Park", "I'll send it")` from "Mina Park: I'll send it"; no prefix, no speaker."""
    match = _SPEAKER_PREFIX.match(text)
    if match is None:
        return None, text.strip()
    name, rest = match.group(1).strip(), match.group(2).strip()
    words = name.split()
    if not rest or len(words) > _MAX_NAME_WORDS or not all(map(_name_word, words)):
        return None, text.strip()
    return name, rest


def _name_word(word: str) -> bool:
    """A word of a name: capitalised where the script has case ("Mina", "O'Neil", "van")."""
    return not word[0].islower() or word in _NAME_PARTICLES


def _one_line(text: str) -> str:
    return _BLANK.sub(" ", text).strip()


@dataclass(frozen=True)
class _RawCue:
    """A cue as the file has it: a voice (speaker) if the format names one, its text lines."""

    voice: str | None
    lines: list[str]
    start: float
    end: float


def _attributed(cue: _RawCue, names: bool) -> list[ImportedCue]:
    """A cue's lines as utterances. With `names`, a `Name:` prefix names the speaker, and a
    line with another prefix starts that person's utterance at the same times (two people
    in one caption, as some exports write it)."""
    parts: list[tuple[str | None, list[str]]] = []
    for line in cue.lines:
        if not line.strip():
            continue
        speaker, said = split_speaker(line) if names and cue.voice is None else (None, line)
        if speaker is None and parts:
            parts[-1][1].append(said)
        else:
            parts.append((speaker or cue.voice, [said]))
    cues = []
    for name, lines in parts:
        joined = _one_line(" ".join(lines))
        if joined:
            cues.append(ImportedCue(name, cue.start, cue.end, joined))
    return cues


def _check_times(start: float, end: float, line: int | None) -> None:
    if end < start:
        raise TranscriptFormatError("a cue ends before it starts", line)


def _parse_vtt(text: str) -> list[_RawCue]:
    try:
        captions = webvtt.from_string(text, strict=True).captions
    except MalformedFileError:
        raise TranscriptFormatError("a WebVTT file starts with the line WEBVTT", 1) from None
    except MalformedCaptionError as exc:
        raise TranscriptFormatError(f"malformed cue: {exc}", _bad_vtt_line(text)) from None
    cues = []
    lines = text.split("\n")
    for caption in captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        _check_times(start, end, _line_of(lines, f"{caption.start} -->"))
        # `text` drops the cue's tags; entities (&amp;, &lt;) are the format's escapes.
        said = [html.unescape(line) for line in caption.text.split("\n")]
        cues.append(_RawCue(caption.voice, said, start, end))
    return cues


def _bad_vtt_line(text: str) -> int | None:
    """The first timing line the library refuses on its own (webvtt-py names no line)."""
    for number, line in enumerate(text.split("\n"), start=1):
        if "-->" not in line:
            continue
        try:
            webvtt.from_string(f"WEBVTT\n\n{line}\nx\n", strict=True)
        except MalformedCaptionError:
            return number
    return None


def _line_of(lines: list[str], prefix: str) -> int | None:
    for number, line in enumerate(lines, start=1):
        if line.startswith(prefix):
            return number
    return None


def _parse_srt(text: str) -> list[_RawCue]:
    cues = []
    try:
        for subtitle in srt.parse(text, ignore_errors=False):
            start = subtitle.start.total_seconds()
            end = subtitle.end.total_seconds()
            if end < start:
                raise TranscriptFormatError(f"cue {subtitle.index} ends before it starts")
            cues.append(_RawCue(None, subtitle.content.split("\n"), start, end))
    except srt.SRTParseError as exc:
        line = text.count("\n", 0, exc.expected_start) + 1
        while line <= text.count("\n") and not text.split("\n")[line - 1].strip():
            line += 1  # point at the offending text, not the blank line before it
        raise TranscriptFormatError("not a SubRip cue (number, times, text)", line) from None
    except srt.TimestampParseError as exc:
        raise TranscriptFormatError(f"bad timestamp: {exc}") from None
    return cues


class _JsonCue(BaseModel):
    """One segment of a JSON transcript: vori's own export or a plain list."""

    speaker: str | None = Field(None, max_length=200)
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    meeting_start: float | None = Field(None, ge=0)
    meeting_end: float | None = Field(None, ge=0)


def _parse_json(text: str) -> list[_RawCue]:
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFormatError(f"not JSON: {exc.msg}", exc.lineno) from None
    items = document.get("segments") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise TranscriptFormatError(
            'JSON must be a list of {speaker, start, end, text} or an object with "segments"', 1
        )
    cues = []
    for index, item in enumerate(items):
        try:
            cue = _JsonCue.model_validate(item)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "segment"
            raise TranscriptFormatError(
                f"segment {index}: {where}: {problem['msg']}", _json_item_line(text, index)
            ) from None
        # vori's export carries the meeting clock beside each stream's own: keep the former.
        start = cue.meeting_start if cue.meeting_start is not None else cue.start
        end = cue.meeting_end if cue.meeting_end is not None else cue.end
        _check_times(start, end, _json_item_line(text, index))
        speaker = _one_line(cue.speaker) if cue.speaker else None
        cues.append(_RawCue(speaker or None, [cue.text], start, end))
    return cues


def _json_item_line(text: str, index: int) -> int | None:
    """Line where the `index`-th item of the segment list starts (None if not found)."""
    head = re.search(r'"segments"\s*:\s*\[', text) if text.lstrip().startswith("{") else None
    pos = head.end() if head else text.find("[") + 1
    decoder = json.JSONDecoder()
    for current in range(index + 1):
        while pos < len(text) and text[pos] in " \t\n,":
            pos += 1
        if current == index:
            return text.count("\n", 0, pos) + 1
        try:
            _item, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
    return None


# -- cues into final segments -----------------------------------------------------------

IMPORT_DEVICE = "file"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def speaker_slug(name: str | None) -> str:
    """`mina-park-1a2b3c4d`: readable where the name is ASCII, unique through the hash."""
    if not name:
        return "unknown"
    digest = hashlib.sha256(name.casefold().encode()).hexdigest()[:8]
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40]
    return f"{base}-{digest}" if base else digest


def imported_participant_id(name: str | None, members: Mapping[str, str]) -> str | None:
    """A member's user id when the name is a member's display name, else one stable per name."""
    if not name:
        return None
    member = members.get(name.casefold())
    if member is not None:
        return member
    return "imp_" + hashlib.sha256(name.casefold().encode()).hexdigest()[:20]


def imported_segments(
    meeting_id: str,
    cues: list[ImportedCue],
    *,
    language: str,
    members: Mapping[str, str],
    fmt: ImportFormat,
) -> list[TranscriptSegment]:
    """Final segments of the cues: one stream per speaker, ids from stream and start sample,
    so importing the same file again produces the same ids and changes nothing."""
    segments = []
    taken: set[str] = set()
    for cue in cues:
        stream_id = stream_id_for(meeting_id, f"import-{speaker_slug(cue.speaker)}", IMPORT_DEVICE)
        start_sample = round(cue.start * SAMPLE_RATE)
        while segment_id_for(stream_id, start_sample) in taken:
            start_sample += 1  # two cues of one speaker at one instant: keep both
        segment_id = segment_id_for(stream_id, start_sample)
        taken.add(segment_id)
        end_sample = max(start_sample, round(cue.end * SAMPLE_RATE))
        spoken = language
        if spoken not in ("en", "ko"):
            spoken = "ko" if _HANGUL.search(cue.text) else "en"
        segments.append(
            TranscriptSegment(
                id=segment_id,
                meeting_id=meeting_id,
                stream_id=stream_id,
                participant_id=imported_participant_id(cue.speaker, members),
                speaker=cue.speaker,
                final=True,
                start=start_sample / SAMPLE_RATE,
                end=end_sample / SAMPLE_RATE,
                start_sample=start_sample,
                end_sample=end_sample,
                text=cue.text,
                stable_text=cue.text,
                language=spoken,
                model=f"import/{fmt}",
            )
        )
    return segments
