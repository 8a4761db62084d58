"""Corrections as live events: what the events WebSocket shows of them, and when."""

from __future__ import annotations

from gateway.live_events import SPEAKER_RENAMED, TRANSCRIPT_CORRECTED, live_events_for
from vori.events import MeetingEvent, TranscriptSegment, Word


def _segment(text: str) -> TranscriptSegment:
    return TranscriptSegment(
        id="seg_1",
        meeting_id="mtg_1",
        stream_id="mtg_1:usr_1:mic",
        speaker="Ana",
        final=True,
        start=1.0,
        end=2.0,
        start_sample=16000,
        end_sample=32000,
        text=text,
        words=[Word(word="Jon", start=1.0, end=1.5)],
    )


def test_a_correction_is_a_durable_live_event_per_version_without_word_timings() -> None:
    event = MeetingEvent(
        type="segment_corrected",
        meeting_id="mtg_1",
        segment=_segment("John said so"),
        original_text="Jon said so",
        correction_version=2,
        editor="Ben",
    )
    [live] = live_events_for(event)
    assert live.type == TRANSCRIPT_CORRECTED
    assert live.meeting_id == "mtg_1"
    assert live.dedup_key == "corrected:seg_1:2"
    segment = live.payload["segment"]
    assert (segment["text"], segment["original_text"], segment["edited"]) == (
        "John said so",
        "Jon said so",
        True,
    )
    assert segment["words"] == []
    assert segment["correction_version"] == 2
    assert live.payload["editor"] == "Ben"


def test_a_speaker_rename_is_a_durable_live_event_and_incomplete_ones_are_dropped() -> None:
    renamed = MeetingEvent(
        type="speaker_renamed",
        meeting_id="mtg_1",
        stream_id="mtg_1:usr_1:mic",
        participant_name="Ana Kim",
        correction_version=3,
    )
    [live] = live_events_for(renamed)
    assert live.type == SPEAKER_RENAMED
    assert live.payload["speaker"] == "Ana Kim"
    assert live.dedup_key == "speaker:mtg_1:usr_1:mic:3"
    assert live_events_for(MeetingEvent(type="segment_corrected", meeting_id="mtg_1")) == []
    assert live_events_for(MeetingEvent(type="speaker_renamed", meeting_id="mtg_1")) == []
