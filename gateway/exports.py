"""A meeting's transcript as JSON, plain text, SubRip, WebVTT and Markdown.

Pure functions over the meeting's final segments, each a `SegmentOut` (gateway/schemas.py),
one model for the transcript API's JSON answer and the exports. Subtitles are built with
the maintained `srt` and `webvtt-py` libraries, so players accept them.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import srt
import webvtt

from gateway.schemas import SegmentOut

UNKNOWN_SPEAKER = "Unknown speaker"
# A cue must have a positive duration for players; finals always do, but be safe.
MIN_CUE_S = 0.2


def place_on_meeting_clock(lines: list[SegmentOut]) -> list[SegmentOut]:
    """Meeting order: by meeting time, then stream, then stream time (stable for ties)."""
    return sorted(lines, key=lambda line: (line.meeting_start, line.stream_id, line.start))


def clock(seconds: float, *, millis: bool = False) -> str:
    """`HH:MM:SS` (or `HH:MM:SS.mmm`) of a time in seconds."""
    total_ms = max(0, round(seconds * 1000))
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}.{ms:03d}" if millis else text


def local_stamp(when: datetime, time_zone: str) -> str:
    """`2026-11-23 10:15 KST`: a moment in the meeting's own time zone."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _cue_times(line: SegmentOut) -> tuple[float, float]:
    start = max(0.0, line.meeting_start)
    return start, max(line.meeting_end, start + MIN_CUE_S)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_txt(lines: list[SegmentOut]) -> str:
    """`[HH:MM:SS] Speaker: text`, one line per segment."""
    return "".join(
        f"[{clock(line.meeting_start)}] {line.speaker}: {_one_line(line.text)}\n"
        for line in lines
        if line.text.strip()
    )


def to_srt(lines: list[SegmentOut]) -> str:
    """SubRip subtitles, speaker as a prefix."""
    subtitles = []
    for index, line in enumerate((line for line in lines if line.text.strip()), start=1):
        start, end = _cue_times(line)
        subtitles.append(
            srt.Subtitle(
                index=index,
                start=timedelta(seconds=start),
                end=timedelta(seconds=end),
                content=f"{line.speaker}: {_one_line(line.text)}",
            )
        )
    return str(srt.compose(subtitles, reindex=False))


def to_vtt(lines: list[SegmentOut]) -> str:
    """WebVTT subtitles, speaker as a prefix; cue text escaped as the format requires."""
    document = webvtt.WebVTT()
    for line in lines:
        if not line.text.strip():
            continue
        start, end = _cue_times(line)
        # `<` and `&` start markup in a cue, and `-->` may not appear: escaping covers both.
        text = html.escape(f"{line.speaker}: {_one_line(line.text)}", quote=False)
        document.captions.append(
            webvtt.Caption(start=clock(start, millis=True), end=clock(end, millis=True), text=text)
        )
    return str(document.content) + ("" if document.captions else "\n")


def to_markdown(title: str, started: str, lines: list[SegmentOut]) -> str:
    """A readable Markdown transcript: heading, then speaker turns with their times."""
    out = [f"# Transcript: {_md_text(title)}", "", f"*{started}*", ""]
    previous_speaker = None
    for line in lines:
        if not line.text.strip():
            continue
        if line.speaker != previous_speaker:
            out += [f"**{_md_text(line.speaker)}** [{clock(line.meeting_start)}]", ""]
            previous_speaker = line.speaker
        out += [_md_text(_one_line(line.text)), ""]
    if not lines:
        out += ["*No speech transcribed yet.*", ""]
    return "\n".join(out)


def _md_text(text: str) -> str:
    """Escape Markdown's inline markup so spoken text never turns into links or emphasis."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text
