"""Transcript files (VTT, SRT, JSON) read into attributed cues and final segments."""

from __future__ import annotations

import json

import pytest

from gateway.exports import to_srt, to_vtt
from gateway.schemas import SegmentOut
from gateway.transcript_import import (
    ImportedCue,
    TranscriptFormatError,
    detect_format,
    imported_segments,
    parse_transcript,
    speaker_slug,
    split_speaker,
)

TEAMS_VTT = """WEBVTT

a1b2/11-0
00:00:01.000 --> 00:00:04.500
<v Mina Park>Let's go through the launch checklist.</v>

a1b2/12-0
00:00:05.000 --> 00:00:08.250
<v 김민아>제가 금요일까지 보고서를 보낼게요.</v>

a1b2/13-0
00:00:09.000 --> 00:00:11.000
<v Bob Chen>Fish &amp; chips &lt;later&gt;</v>
"""

ZOOM_SRT = """1
00:00:01,000 --> 00:00:03,000
Mina Park: Good morning everyone.

2
00:00:03,500 --> 00:00:06,000
Bob Chen: I'll update the pricing page
by Thursday.

3
00:00:06,500 --> 00:00:07,000
Mina Park: Thanks.
Bob Chen: Sure.
"""


def test_vtt_voice_tags_name_the_speakers_and_entities_are_unescaped() -> None:
    cues = parse_transcript(TEAMS_VTT, "vtt")
    assert cues == [
        ImportedCue("Mina Park", 1.0, 4.5, "Let's go through the launch checklist."),
        ImportedCue("김민아", 5.0, 8.25, "제가 금요일까지 보고서를 보낼게요."),
        ImportedCue("Bob Chen", 9.0, 11.0, "Fish & chips <later>"),
    ]


def test_srt_name_prefixes_name_the_speakers_and_a_cue_of_two_people_splits() -> None:
    cues = parse_transcript(ZOOM_SRT, "srt")
    assert [(c.speaker, c.start, c.end, c.text) for c in cues] == [
        ("Mina Park", 1.0, 3.0, "Good morning everyone."),
        ("Bob Chen", 3.5, 6.0, "I'll update the pricing page by Thursday."),
        ("Mina Park", 6.5, 7.0, "Thanks."),
        ("Bob Chen", 6.5, 7.0, "Sure."),
    ]


def test_a_lead_in_is_not_a_speaker_in_a_file_without_names() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nAgenda: the budget.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nWe start with the numbers.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nThen the hiring plan.\n"
    )
    cues = parse_transcript(text, "srt")
    assert [c.speaker for c in cues] == [None, None, None]
    assert cues[0].text == "Agenda: the budget."


def _line(
    id: str,
    stream_id: str,
    participant_id: str,
    speaker: str,
    start: float,
    end: float,
    meeting_start: float,
    meeting_end: float,
    text: str,
) -> SegmentOut:
    return SegmentOut(
        id=id,
        stream_id=stream_id,
        participant_id=participant_id,
        speaker=speaker,
        start=start,
        end=end,
        meeting_start=meeting_start,
        meeting_end=meeting_end,
        text=text,
        words=[],
        language=None,
        confidence=None,
    )


def test_vori_exports_read_back_with_speakers_and_times() -> None:
    lines = [
        _line("s1", "m:u1:mic", "u1", "Mina Park", 0.0, 2.0, 10.0, 12.0, "Hello <all>"),
        _line("s2", "m:u2:mic", "u2", "박지훈", 1.0, 3.5, 13.0, 15.5, "네, 좋습니다."),
    ]
    expected = [
        ImportedCue("Mina Park", 10.0, 12.0, "Hello <all>"),
        ImportedCue("박지훈", 13.0, 15.5, "네, 좋습니다."),
    ]
    assert parse_transcript(to_vtt(lines), "vtt") == expected
    assert parse_transcript(to_srt(lines), "srt") == expected
    exported = {"meeting_id": "m", "segments": [line.as_dict() for line in lines]}
    assert parse_transcript(json.dumps(exported, ensure_ascii=False), "json") == expected


def test_json_plain_list_of_segments() -> None:
    body = json.dumps([{"speaker": "Ana", "start": 0.5, "end": 1.5, "text": " Hi  there "}])
    assert parse_transcript(body, "json") == [ImportedCue("Ana", 0.5, 1.5, "Hi there")]


@pytest.mark.parametrize(
    ("text", "content_type", "expected"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", None, "vtt"),
        ("\ufeff1\n00:00:01,000 --> 00:00:02,000\nhi\n", None, "srt"),
        ('[{"start": 0}]', None, "json"),
        ("anything", "text/vtt; charset=utf-8", "vtt"),
        ("anything", "application/x-subrip", "srt"),
    ],
)
def test_format_from_media_type_or_content(
    text: str, content_type: str | None, expected: str
) -> None:
    assert detect_format(text, content_type) == expected


def test_malformed_srt_names_the_line() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:0x,000 --> 00:00:03,000\nbroken times\n"
    )
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript(text, "srt")
    assert caught.value.line == 5


def test_malformed_vtt_names_the_line() -> None:
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nfine\n\n00:00:03.000 --> 00:0x:04.000\nbad\n"
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript(text, "vtt")
    assert caught.value.line == 6


def test_vtt_without_its_header_is_refused_at_line_one() -> None:
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript("00:00:01.000 --> 00:00:02.000\nhi\n", "vtt")
    assert caught.value.line == 1


def test_bad_json_names_the_line_and_the_segment() -> None:
    with pytest.raises(TranscriptFormatError) as caught:
        parse_transcript('[\n {"start": 0, "end": 1, "text": "a"},\n {"start": 2}\n]', "json")
    assert caught.value.line == 3
    assert "segment 1" in caught.value.message
    with pytest.raises(TranscriptFormatError) as syntax:
        parse_transcript('[\n {"start": 0,\n "end": }\n]', "json")
    assert syntax.value.line == 3


def test_a_cue_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="ends before it starts"):
        parse_transcript('[{"start": 5, "end": 1, "text": "a"}]', "json")


def test_a_file_without_text_is_refused() -> None:
    with pytest.raises(TranscriptFormatError, match="no cues"):
        parse_transcript("WEBVTT\n\nNOTE just a comment\n", "vtt")


def test_split_speaker_takes_names_not_sentences() -> None:
    assert split_speaker("김민아: 좋아요") == ("김민아", "좋아요")
    assert split_speaker("Dr. J. Lee: ok") == ("Dr. J. Lee", "ok")
    assert split_speaker("We said three things: a, b and c")[0] is None
    assert split_speaker("See https://example.com: here")[0] is None
    assert split_speaker("12:30 works") == (None, "12:30 works")


def test_segments_are_deterministic_one_stream_per_speaker() -> None:
    cues = parse_transcript(ZOOM_SRT, "srt")
    members = {"mina park": "usr_mina"}
    first = imported_segments("mtg_1", cues, language="en", members=members, fmt="srt")
    again = imported_segments("mtg_1", cues, language="en", members=members, fmt="srt")
    assert [s.id for s in first] == [s.id for s in again]
    assert len({s.id for s in first}) == len(first)
    assert all(s.final for s in first)
    mina = [s for s in first if s.speaker == "Mina Park"]
    bob = [s for s in first if s.speaker == "Bob Chen"]
    assert {s.stream_id for s in mina} == {f"mtg_1:import-{speaker_slug('Mina Park')}:file"}
    assert len({s.stream_id for s in bob}) == 1
    assert {s.participant_id for s in mina} == {"usr_mina"}  # a member's name: their id
    assert (bob[0].participant_id or "").startswith("imp_")
    assert first[1].start == 3.5
    assert first[1].start_sample == 56000


def test_auto_language_follows_the_script_and_korean_names_get_a_slug() -> None:
    cues = [ImportedCue("김민아", 0, 1, "안녕하세요"), ImportedCue(None, 1, 2, "hello")]
    segments = imported_segments("m", cues, language="auto", members={}, fmt="json")
    assert [s.language for s in segments] == ["ko", "en"]
    assert speaker_slug("김민아") != speaker_slug("박지훈")
    assert segments[1].participant_id is None
    assert segments[1].stream_id == "m:import-unknown:file"
