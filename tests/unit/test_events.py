"""Event models: round trips through the codec, deterministic ids, poison detection."""

from __future__ import annotations

import pytest

from vori.events import (
    AUDIO_FRAMES,
    EVENT_TYPES,
    META_HEADER,
    RECORDINGS_UPLOADED,
    TOPICS,
    ActionItem,
    AudioFrame,
    DeadLetter,
    DecodeError,
    Evidence,
    MeetingEvent,
    MeetingSummary,
    RecordingUploaded,
    TaskProposal,
    TranscriptSegment,
    Word,
    dead_letter_topic,
    decode,
    encode,
    segment_id_for,
    stream_id_for,
    task_key_for,
    upload_stream_id,
)


def _segment() -> TranscriptSegment:
    stream = stream_id_for("m1", "u1")
    return TranscriptSegment(
        id=segment_id_for(stream, 16000),
        meeting_id="m1",
        stream_id=stream,
        speaker="Ana",
        final=True,
        start=1.0,
        end=2.5,
        start_sample=16000,
        end_sample=40000,
        text="hello there",
        words=[Word(word="hello", start=1.0, end=1.4, probability=0.9)],
        language="en",
    )


def test_every_topic_has_a_model_and_a_version() -> None:
    assert set(TOPICS) == {
        "audio.frames",
        "transcript.segments",
        "meeting.events",
        "meeting.summaries",
        "tasks.proposed",
        "kanban.changes",
        "transcriber.load",
        "recordings.uploaded",
        "retranscriptions.requested",
    }
    for topic, model in EVENT_TYPES.items():
        assert model.topic == topic
        assert "version" in model.model_fields


def test_audio_frame_carries_raw_pcm_and_metadata_in_a_header() -> None:
    pcm = bytes(range(256)) * 4
    frame = AudioFrame(
        stream_id="m:u:mic", meeting_id="m", participant_id="u", seq=3, position=480, pcm=pcm
    )
    message = encode(frame)
    assert message.topic == AUDIO_FRAMES
    assert message.key == b"m:u:mic"
    assert message.value == pcm
    assert dict(message.headers)[META_HEADER].startswith(b"{")
    decoded = decode(AUDIO_FRAMES, message.value, message.headers)
    assert decoded == frame
    assert isinstance(decoded, AudioFrame)
    assert decoded.end_position == 480 + len(pcm) // 2


@pytest.mark.parametrize(
    "event",
    [
        _segment(),
        MeetingEvent(type="participant_joined", meeting_id="m1", participant_id="u1"),
        MeetingSummary(meeting_id="m1", kind="rolling", source="rules", overview="x"),
        TaskProposal(
            meeting_id="m1",
            source="llm",
            items=[
                ActionItem(
                    task_key="t",
                    title="Send the deck",
                    evidence=[Evidence(segment_id="s", quote="q")],
                )
            ],
        ),
    ],
)
def test_json_events_round_trip(event) -> None:
    message = encode(event)
    assert message.key == b"m1"
    assert decode(message.topic, message.value, message.headers) == event


def test_ids_are_deterministic_and_distinct() -> None:
    assert segment_id_for("s", 100) == segment_id_for("s", 100)
    assert segment_id_for("s", 100) != segment_id_for("s", 101)
    assert segment_id_for("s", 100) != segment_id_for("t", 100)
    assert task_key_for("m", "send the deck") == task_key_for("m", "send the deck")
    assert task_key_for("m", "send the deck") != task_key_for("n", "send the deck")


@pytest.mark.parametrize(
    ("topic", "value", "headers"),
    [
        ("transcript.segments", b"not json", None),
        ("transcript.segments", b'{"id": "x"}', None),
        ("meeting.events", None, None),
        ("meeting.events", b'{"type": "exploded", "meeting_id": "m"}', None),
        ("audio.frames", b"\x00\x00", None),
        (
            "audio.frames",
            b"\x00\x00\x00",
            [
                (
                    META_HEADER,
                    b'{"stream_id":"s","meeting_id":"m","participant_id":"u","seq":0,"position":0}',
                )
            ],
        ),
        ("no.such.topic", b"{}", None),
    ],
)
def test_malformed_messages_raise_decode_error(topic, value, headers) -> None:
    with pytest.raises(DecodeError):
        decode(topic, value, headers)


def test_dead_letter_topics_decode_as_dead_letters() -> None:
    letter = DeadLetter(
        source_topic="meeting.events",
        partition=0,
        offset=7,
        error="bad",
        attempts=1,
        consumer_group="g",
    )
    message = encode(letter)
    assert decode(dead_letter_topic("meeting.events"), message.value) == letter


def test_an_upload_event_round_trips_and_names_its_channel_streams() -> None:
    event = RecordingUploaded(
        upload_id="up1",
        meeting_id="m",
        prefix="uploads/m/up1/",
        parts=["uploads/m/up1/part-000000000000", "uploads/m/up1/part-000004194304"],
        size_bytes=5_000_000,
        filename="standup.m4a",
        uploaded_by="u",
    )
    message = encode(event)
    assert message.topic == RECORDINGS_UPLOADED
    assert message.key == b"m"
    assert decode(RECORDINGS_UPLOADED, message.value, message.headers) == event
    assert upload_stream_id("up1", 0) != upload_stream_id("up1", 1)
