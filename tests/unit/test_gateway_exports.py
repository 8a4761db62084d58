"""Transcript exports and meeting minutes: pure renderers, checked with subtitle parsers."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import srt
import webvtt

from gateway.exports import (
    clock,
    local_stamp,
    place_on_meeting_clock,
    to_markdown,
    to_srt,
    to_txt,
    to_vtt,
)
from gateway.minutes import MinutesHeader, render_minutes
from gateway.schemas import ActionItemOut, CardLink, SegmentOut, SummaryOut
from vori.events import Evidence


def line(speaker: str, at: float, text: str, length: float = 2.5, stream: str = "s1") -> SegmentOut:
    return SegmentOut(
        id=f"seg_{at}",
        stream_id=stream,
        participant_id=None,
        speaker=speaker,
        start=at,
        end=at + length,
        meeting_start=at,
        meeting_end=at + length,
        text=text,
        words=[],
        language=None,
        confidence=None,
    )


LINES = place_on_meeting_clock(
    [
        line("Bob", 3725.25, "Sounds good --> ship it & <celebrate>", stream="s2"),
        line("Ana", 1.0, "Let's start."),
        line("Ana", 4.0, "Mina, can you\nwrite the notes?", length=0.0),
    ]
)


def test_a_line_answers_as_a_segment_of_the_transcript_api() -> None:
    plain = SegmentOut(**LINES[0].as_dict())
    assert plain.final
    assert not plain.edited
    assert plain.original_text is None
    corrected = LINES[0].model_copy(
        update={
            "text": "Let's begin.",
            "edited": True,
            "original_text": "Let's start.",
            "correction_version": 2,
        }
    )
    answer = SegmentOut(**corrected.as_dict())
    assert answer.edited
    assert (answer.text, answer.original_text) == ("Let's begin.", "Let's start.")
    assert answer.correction_version == 2
    assert set(corrected.as_dict()) == set(SegmentOut.model_fields)


def test_meeting_order_and_clock() -> None:
    assert [line.meeting_start for line in LINES] == [1.0, 4.0, 3725.25]
    assert clock(3725.25) == "01:02:05"
    assert clock(3725.25, millis=True) == "01:02:05.250"
    assert (
        local_stamp(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "Asia/Seoul")
        == "2026-11-23 10:00 KST"
    )


def test_srt_parses_and_keeps_speakers_times_and_positive_durations() -> None:
    cues = list(srt.parse(to_srt(LINES)))
    assert [c.index for c in cues] == [1, 2, 3]
    assert cues[0].content == "Ana: Let's start."
    assert cues[1].content == "Ana: Mina, can you write the notes?"
    assert cues[1].end > cues[1].start, "a zero-length segment still gets a visible cue"
    assert cues[2].start == timedelta(hours=1, minutes=2, seconds=5, milliseconds=250)


def test_vtt_parses_and_escapes_markup() -> None:
    document = to_vtt(LINES)
    assert document.startswith("WEBVTT\n")
    captions = webvtt.from_buffer(io.StringIO(document)).captions
    assert [c.start for c in captions] == ["00:00:01.000", "00:00:04.000", "01:02:05.250"]
    assert "-->" not in captions[2].text
    assert captions[2].text == "Bob: Sounds good --&gt; ship it &amp; &lt;celebrate&gt;"
    assert webvtt.from_buffer(io.StringIO(to_vtt([]))).captions == []


def test_text_and_markdown() -> None:
    assert to_txt(LINES).splitlines()[2] == "[01:02:05] Bob: Sounds good --> ship it & <celebrate>"
    markdown = to_markdown("Sync *weekly*", "2026-11-23 10:00 KST", LINES)
    assert markdown.startswith("# Transcript: Sync \\*weekly\\*")
    assert markdown.count("**Ana**") == 1, "consecutive lines of one speaker form one turn"
    assert "\\<celebrate\\>" in markdown
    assert "No speech transcribed yet" in to_markdown("t", "d", [])


def test_minutes_list_decisions_owners_due_dates_cards_and_evidence() -> None:
    header = MinutesHeader("Launch", "2026-11-23 10:00 KST", None, ["Ana", "Bob"], "en")
    summary = SummaryOut(
        meeting_id="m",
        available=True,
        kind="rolling",
        revision=3,
        source="llm",
        overview="Beta ships Friday.",
        decisions=["Ship the beta on Friday"],
        action_items=[
            ActionItemOut(
                task_key="k1",
                title="Write the notes",
                assignee="Mina",
                due_date="2026-11-27",
                evidence=[Evidence(segment_id="s", quote="Mina, can you write", at=4.0)],
                card=CardLink(
                    id="card_1",
                    board_id="b",
                    column="To do",
                    title="Write the notes",
                    assignee="Mina",
                    due_date="2026-11-27",
                    version=1,
                    archived=False,
                ),
            ),
            ActionItemOut(task_key="k2", title="Survey", status="cancelled"),
        ],
    )
    minutes = render_minutes(header, summary)
    assert "(in progress)" in minutes
    assert "draft (meeting in progress), revision 3, by llm" in minutes
    assert "- Ship the beta on Friday" in minutes
    row = "| Write the notes | Mina | 2026-11-27 | To do (`card_1`) |"
    assert f"{row} “Mina, can you write” at 00:00:04 |" in minutes
    assert "| ~~Survey~~ (cancelled) | — | — | — | — |" in minutes
    empty = render_minutes(header, SummaryOut(meeting_id="m", available=False))
    assert "No summary yet" in empty
