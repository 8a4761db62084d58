"""A room recording in the batch lane: its finals are told apart by voice, the same way on
every run. Real speech (CMU ARCTIC's two speakers taking turns) and the real voice
encoder; Whisper is scripted with the clips' own spans and texts, since the voices, not
the words, are under test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from faster_whisper.transcribe import Segment as WhisperSegment

from tests.helpers.transcriber import SAMPLE_RATE, Timeline, clips, concatenate
from transcriber.batch import BatchTranscriber, Model, streams_of
from transcriber.upload_audio import DecodedAudio
from vori.events import RecordingUploaded, TranscriptSegment, room_speaker_id, upload_stream_id
from vori.settings import Settings

# aew, axb, aew, axb, ...: every turn changes the speaker.
TURNS = ["aew_a0001", "axb_a0004", "aew_a0002", "axb_a0005", "aew_a0003", "axb_a0006"]


def _upload(room: bool) -> RecordingUploaded:
    return RecordingUploaded(
        upload_id="up-room",
        meeting_id="m1",
        prefix="uploads/m1/up-room/",
        parts=["uploads/m1/up-room/0"],
        size_bytes=1,
        filename="table.flac",
        language="en",
        uploaded_by="user-1",
        uploader_name="Ann",
        room=room,
    )


@pytest.fixture(scope="module")
def turns(speech_dir: Path) -> tuple[Timeline, dict[str, str]]:
    """The two speakers' clips in turns, with each clip's text."""
    arctic = clips(speech_dir, "en/cmu_arctic")
    return concatenate([arctic[clip] for clip in TURNS], pause_s=0.8), {
        clip: arctic[clip].text for clip in TURNS
    }


class ClipSpans:
    """Whisper scripted to hear each clip as one segment with its text."""

    def __init__(self, timeline: Timeline, texts: dict[str, str]) -> None:
        self.timeline = timeline
        self.texts = texts

    def transcribe(self, audio: np.ndarray, **_options: Any) -> tuple[Iterator[Any], Any]:
        assert len(audio) == len(self.timeline.samples), "one chunk: the recording is short"
        segments = [
            WhisperSegment(
                id=index,
                seek=0,
                start=start / SAMPLE_RATE,
                end=end / SAMPLE_RATE,
                text=" " + self.texts[clip],
                tokens=[1],
                avg_logprob=-0.2,
                compression_ratio=1.2,
                no_speech_prob=0.01,
                words=None,
                temperature=0.0,
            )
            for index, (clip, start, end) in enumerate(self.timeline.spans)
        ]
        return iter(segments), SimpleNamespace(language="en")


def _finals(
    timeline: Timeline, texts: dict[str, str], tmp_path: Path, *, room: bool
) -> list[TranscriptSegment]:
    path = tmp_path / "room.s16"
    path.write_bytes(timeline.samples.astype("<i2").tobytes())
    audio = DecodedAudio([path], [0], len(timeline.samples), 1)
    settings = Settings()
    model = ClipSpans(timeline, texts)
    core = BatchTranscriber(
        settings.transcriber,
        settings.transcriber_batch,
        lambda _language, _accuracy: Model("tiny.en", model.transcribe, multilingual=False),
        clock=lambda: datetime(2026, 1, 1, tzinfo=UTC),
    )
    return [s.segment for s in core.transcribe(_upload(room), audio) if s.segment is not None]


def test_a_room_upload_tells_its_two_speakers_apart(
    turns: tuple[Timeline, dict[str, str]], tmp_path: Path
) -> None:
    timeline, texts = turns
    finals = _finals(timeline, texts, tmp_path, room=True)
    assert [f.text for f in finals] == [texts[clip] for clip in TURNS]
    stream = upload_stream_id("up-room", 0)
    speakers_of_voice: dict[str, set[str]] = {}
    for final, clip in zip(finals, TURNS, strict=True):
        assert final.speaker_id is not None
        number = int(final.speaker_id.rpartition("-")[2])
        assert final.speaker_id == room_speaker_id(stream, number)
        assert final.speaker == f"Room {number}"
        assert final.participant_id == "user-1"  # the uploader's laptop, as a live room stream
        speakers_of_voice.setdefault(final.speaker_id, set()).add(clip.split("_")[0])
    assert len(speakers_of_voice) >= 2
    # A short clip may open a voice of its own; no voice may hold both speakers.
    assert all(len(speakers) == 1 for speakers in speakers_of_voice.values()), speakers_of_voice


def test_a_room_upload_transcribed_again_gives_the_same_voices(
    turns: tuple[Timeline, dict[str, str]], tmp_path: Path
) -> None:
    """A crashed upload is transcribed again from its first sample: with no state kept
    between the runs, the replay names every final's voice as the first run did."""
    timeline, texts = turns
    runs = [
        [(f.id, f.speaker_id) for f in _finals(timeline, texts, tmp_path, room=True)]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len({speaker_id for _id, speaker_id in runs[0]}) >= 2


def test_an_upload_not_marked_room_is_the_uploaders(
    turns: tuple[Timeline, dict[str, str]], tmp_path: Path
) -> None:
    timeline, texts = turns
    finals = _finals(timeline, texts, tmp_path, room=False)
    assert {(f.speaker, f.speaker_id, f.participant_id) for f in finals} == {
        ("Ann", None, "user-1")
    }


def test_each_channel_of_a_room_upload_is_a_room_of_its_own() -> None:
    stereo = DecodedAudio([Path("a"), Path("b")], [0, 1], 16000, source_channels=2)
    assert [s.room for s in streams_of(_upload(True), stereo)] == [True, True]
    assert [s.room for s in streams_of(_upload(False), stereo)] == [False, False]
