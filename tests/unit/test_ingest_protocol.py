"""The audio WebSocket protocol core: every message answered or refused with its code."""

from __future__ import annotations

import json

import pytest

from stream_ingest.protocol import (
    MAX_FRAME_BYTES,
    MIN_FRAME_BYTES,
    AudioProtocol,
    CloseCode,
    ProtocolError,
    StartMessage,
    StopMessage,
    short_reason,
)

START = {
    "type": "start",
    "token": "t",
    "sample_rate": 16000,
    "encoding": "pcm_s16le",
    "channels": 1,
}


def started(**fields: object) -> AudioProtocol:
    protocol = AudioProtocol()
    protocol.on_text(json.dumps({**START, **fields}))
    protocol.ready()
    return protocol


def refusal(call: object, *args: object) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        call(*args)  # type: ignore[operator]
    return info.value


def test_start_is_parsed_with_resume_fields() -> None:
    message = AudioProtocol().on_text(
        json.dumps({**START, "stream_id": "m:u:mic", "position": 320})
    )
    assert message == StartMessage(token="t", stream_id="m:u:mic", position=320)


def test_start_marks_a_room_microphone_only_when_asked() -> None:
    assert AudioProtocol().on_text(json.dumps({**START, "room": True})).room is True  # type: ignore[union-attr]
    assert AudioProtocol().on_text(json.dumps({**START, "room": False})).room is False  # type: ignore[union-attr]
    assert AudioProtocol().on_text(json.dumps(START)).room is False  # type: ignore[union-attr]


def test_start_without_token_parses_and_leaves_the_refusal_to_auth() -> None:
    fields = {k: v for k, v in START.items() if k != "token"}
    assert AudioProtocol().on_text(json.dumps(fields)) == StartMessage(token=None)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"sample_rate": 44100}, "sample_rate must be 16000, got 44100"),
        ({"encoding": "opus"}, "encoding must be pcm_s16le, got 'opus'"),
        ({"channels": 2}, "channels must be 1, got 2"),
        ({"position": -1}, "position must be a sample index >= 0"),
        ({"position": True}, "position must be a sample index >= 0"),
        ({"stream_id": 7}, "stream_id must be a string of 200 chars at most"),
        ({"room": "yes"}, "room must be true or false"),
        ({"room": 1}, "room must be true or false"),
        ({"room": None}, "room must be true or false"),
    ],
)
def test_bad_audio_format_in_start_is_4400(fields: dict[str, object], reason: str) -> None:
    error = refusal(AudioProtocol().on_text, json.dumps({**START, **fields}))
    assert (error.code, error.reason) == (CloseCode.BAD_MESSAGE, reason)


def test_token_of_the_wrong_type_is_4401() -> None:
    error = refusal(AudioProtocol().on_text, json.dumps({**START, "token": 12}))
    assert error.code == CloseCode.BAD_TOKEN


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", '"start"'])
def test_malformed_control_messages_are_4400(text: str) -> None:
    error = refusal(AudioProtocol().on_text, text)
    assert error.code == CloseCode.BAD_MESSAGE
    assert "JSON" in error.reason


def test_first_message_must_be_start() -> None:
    error = refusal(AudioProtocol().on_text, '{"type": "stop"}')
    assert error.reason == "stop before the stream was ready"
    error = refusal(AudioProtocol().on_text, '{"type": "hello"}')
    assert error.reason == "the first message must be a start message"


def test_audio_before_start_is_refused() -> None:
    error = refusal(AudioProtocol().on_audio, b"\x00" * MIN_FRAME_BYTES)
    assert (error.code, error.reason) == (CloseCode.BAD_MESSAGE, "audio before start")


def test_audio_between_start_and_ready_is_refused() -> None:
    protocol = AudioProtocol()
    protocol.on_text(json.dumps(START))
    assert refusal(protocol.on_audio, b"\x00" * MIN_FRAME_BYTES).reason == "audio before start"


def test_frames_of_20_to_200_ms_are_accepted() -> None:
    protocol = started()
    assert protocol.on_audio(b"\x00" * MIN_FRAME_BYTES) == 320
    assert protocol.on_audio(b"\x00" * MAX_FRAME_BYTES) == 3200


def test_odd_length_frame_is_refused() -> None:
    error = refusal(started().on_audio, b"\x00" * 641)
    assert error.code == CloseCode.BAD_MESSAGE
    assert error.reason.startswith("odd frame length 641")


def test_frame_over_200_ms_is_refused() -> None:
    error = refusal(started().on_audio, b"\x00" * (10 * 1024 * 1024))
    assert error.code == CloseCode.BAD_MESSAGE
    assert "longer than 200 ms" in error.reason


def test_only_the_last_frame_may_be_short() -> None:
    protocol = started()
    assert protocol.on_audio(b"\x00" * 100) == 50
    error = refusal(protocol.on_audio, b"\x00" * MIN_FRAME_BYTES)
    assert "only the last frame before stop" in error.reason


def test_short_last_frame_then_stop_is_fine() -> None:
    protocol = started()
    protocol.on_audio(b"\x00" * 100)
    assert protocol.on_text('{"type": "stop"}') == StopMessage()


def test_empty_frame_is_refused() -> None:
    assert refusal(started().on_audio, b"").reason == "empty audio frame"


def test_audio_after_stop_and_a_second_start_are_refused() -> None:
    protocol = started()
    assert refusal(protocol.on_text, json.dumps(START)).reason == "start sent twice"
    protocol.on_text('{"type": "stop"}')
    assert refusal(protocol.on_audio, b"\x00" * MIN_FRAME_BYTES).reason == "audio after stop"


def test_unknown_message_type_is_named() -> None:
    assert refusal(started().on_text, '{"type": "pause"}').reason == "unknown message type 'pause'"


def test_huge_text_message_is_refused() -> None:
    error = refusal(AudioProtocol().on_text, json.dumps({**START, "pad": "x" * 20000}))
    assert error.reason == "text message over 16384 bytes"


def test_close_reasons_fit_a_close_frame() -> None:
    long = "é" * 200
    assert len(short_reason(long).encode()) <= 123
    assert short_reason("short") == "short"
