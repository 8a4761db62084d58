"""The batch lane's pure parts: decoding and channel split, chunk cuts, progress, segments,
the live load it yields to."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from faster_whisper.transcribe import Segment as WhisperSegment
from faster_whisper.transcribe import Word as WhisperWord

from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate
from transcriber.batch import BatchTranscriber, Model, ProgressThrottle, streams_of
from transcriber.live_load import LiveLoad
from transcriber.upload_audio import (
    DecodedAudio,
    UploadError,
    assemble_upload,
    chunk_spans,
    decode_recording,
)
from vori.events import RecordingUploaded, TranscriberLoad, segment_id_for, upload_stream_id
from vori.objectstore import LocalObjectStore
from vori.settings import Settings


def _upload(**fields: Any) -> RecordingUploaded:
    values: dict[str, Any] = {
        "upload_id": "up1",
        "meeting_id": "m1",
        "prefix": "uploads/m1/up1/",
        "parts": ["uploads/m1/up1/0"],
        "size_bytes": 1,
        "filename": "call.flac",
        "language": "en",
        "uploaded_by": "user-1",
        "uploader_name": "Ann",
    }
    values.update(fields)
    return RecordingUploaded(**values)


def _speech(speech_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Two real voices, each with pauses: LibriSpeech speaker 1089 and a CMU ARCTIC one."""
    one = concatenate(list(clips(speech_dir, "en/librispeech_1089").values())[:2], pause_s=0.5)
    two = concatenate(list(clips(speech_dir, "en/cmu_arctic").values())[:3], pause_s=0.5)
    n = min(len(one.samples), len(two.samples))
    return one.samples[:n], two.samples[:n]


def _resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """Linear interpolation to another rate (only to build a 44.1 kHz test file)."""
    n = int(len(samples) * rate / SAMPLE_RATE)
    positions = np.arange(n) * SAMPLE_RATE / rate
    resampled: np.ndarray = np.interp(positions, np.arange(len(samples)), samples)
    return resampled.astype(np.int16)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n].astype(float), b[:n].astype(float))[0, 1])


def test_a_stereo_recording_becomes_one_16khz_stream_per_channel(
    speech_dir: Path, tmp_path: Path
) -> None:
    one, two = _speech(speech_dir)
    source = tmp_path / "stereo.flac"
    stereo = np.stack([_resample(one, 44100), _resample(two, 44100)], axis=1)
    sf.write(source, stereo, 44100)
    audio = decode_recording(source, tmp_path, max_duration_s=600, max_channels=8)
    assert audio.channels == [0, 1]
    assert audio.source_channels == 2
    assert abs(audio.samples - len(one)) <= SAMPLE_RATE // 100
    left, right = audio.channel(0), audio.channel(1)
    assert _correlation(left, one) > 0.9
    assert _correlation(right, two) > 0.9
    assert abs(_correlation(left, two)) < 0.2


def test_a_mono_recording_saved_as_stereo_is_one_stream(speech_dir: Path, tmp_path: Path) -> None:
    one, _ = _speech(speech_dir)
    source = tmp_path / "dual.ogg"  # lossy (Vorbis), as phones often save calls
    sf.write(source, np.stack([one, one], axis=1), SAMPLE_RATE, format="OGG", subtype="VORBIS")
    audio = decode_recording(source, tmp_path, max_duration_s=600, max_channels=8)
    assert audio.channels == [0]
    assert audio.source_channels == 2
    assert _correlation(audio.channel(0), one) > 0.9


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00garbage" * 1000, "no audio stream|cannot be decoded"),
        (b"hello, this is not a recording\n" * 100, "no audio stream|cannot be decoded"),
        (b"", "cannot be decoded"),
    ],
)
def test_a_file_without_decodable_audio_is_refused_with_a_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    for name in ("upload", "upload.txt", "upload.mp3"):
        source = tmp_path / name
        source.write_bytes(content)
        with pytest.raises(UploadError, match=reason) as refused:
            decode_recording(source, tmp_path, max_duration_s=600, max_channels=8)
        assert str(tmp_path) not in str(refused.value)  # no server paths in the reason


def test_too_long_or_too_many_channels_is_refused(speech_dir: Path, tmp_path: Path) -> None:
    one, two = _speech(speech_dir)
    source = tmp_path / "long.wav"
    sf.write(source, one, SAMPLE_RATE)
    with pytest.raises(UploadError, match="longer than"):
        decode_recording(source, tmp_path, max_duration_s=60 * 0.05, max_channels=8)
    wide = tmp_path / "wide.wav"
    sf.write(wide, np.stack([one, two, one // 2], axis=1), SAMPLE_RATE)
    with pytest.raises(UploadError, match="3 channels; at most 2"):
        decode_recording(wide, tmp_path, max_duration_s=600, max_channels=2)


def test_an_upload_is_its_parts_in_order_and_a_missing_part_is_refused(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    keys = [f"uploads/m1/up1/part-{i:05d}" for i in range(3)]
    for key, data in zip(keys, (b"abc", b"defg", b"h"), strict=True):
        store.put(key, data, "application/octet-stream")
    whole = assemble_upload(store, _upload(parts=keys, size_bytes=8), tmp_path / "whole")
    assert whole.read_bytes() == b"abcdefgh"
    with pytest.raises(UploadError, match="part-00009' of the upload is missing"):
        assemble_upload(
            store,
            _upload(parts=[keys[0], "uploads/m1/up1/part-00009"], size_bytes=8),
            tmp_path / "x",
        )
    with pytest.raises(UploadError, match="hold 8 bytes, the upload 9"):
        assemble_upload(store, _upload(parts=keys, size_bytes=9), tmp_path / "x")
    with pytest.raises(UploadError, match="not in the recordings store"):
        assemble_upload(store, _upload(parts=["../../etc/passwd"], size_bytes=1), tmp_path / "x")


def test_chunks_are_cut_at_the_quietest_point_before_their_limit() -> None:
    rng = np.random.default_rng(1)
    samples = rng.normal(0, 3000, 100 * SAMPLE_RATE).astype(np.int16)
    quiet = 55 * SAMPLE_RATE
    samples[quiet : quiet + SAMPLE_RATE // 10] = 3  # a pause 5 s before the 60 s limit
    spans = chunk_spans(samples, 60 * SAMPLE_RATE, 10 * SAMPLE_RATE)
    assert spans[0][0] == 0
    assert spans[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert quiet <= spans[0][1] < quiet + SAMPLE_RATE // 10
    assert all(end - start <= 60 * SAMPLE_RATE for start, end in spans)
    assert chunk_spans(samples[: 30 * SAMPLE_RATE], 60 * SAMPLE_RATE, SAMPLE_RATE) == [
        (0, 30 * SAMPLE_RATE)
    ]


def test_progress_is_reported_per_step_or_after_the_interval_and_only_growing() -> None:
    throttle = ProgressThrottle(step=0.05, interval_s=10.0)
    assert throttle.due(0.0, now=0.0)
    assert not throttle.due(0.01, now=1.0)
    assert not throttle.due(0.049, now=2.0)
    assert throttle.due(0.05, now=3.0)
    assert not throttle.due(0.06, now=12.0)  # 9 s after the last report
    assert throttle.due(0.06, now=13.5)  # 10 s: reported although short of a step
    assert not throttle.due(0.04, now=100.0)  # never backwards
    assert throttle.due(1.0, now=101.0)
    assert not throttle.due(1.0, now=200.0)


def test_mono_uploads_are_the_uploader_and_channels_are_named() -> None:
    mono = DecodedAudio([Path("a")], [0], 16000, source_channels=2)
    (stream,) = streams_of(_upload(), mono)
    assert stream.stream_id == upload_stream_id("up1", 0)
    assert (stream.speaker, stream.participant_id) == ("Ann", "user-1")
    stereo = DecodedAudio([Path("a"), Path("b")], [0, 1], 16000, source_channels=2)
    streams = streams_of(_upload(), stereo)
    assert [s.speaker for s in streams] == ["Ann (channel 1)", "Ann (channel 2)"]
    assert [s.participant_id for s in streams] == [None, None]
    assert [s.stream_id for s in streams] == ["upload:up1:ch0", "upload:up1:ch1"]


# -- the transcription core over a scripted model ------------------------------------------


def _segment(start: float, end: float, text: str, **stats: float) -> WhisperSegment:
    words = text.split()
    step = (end - start) / max(len(words), 1)
    return WhisperSegment(
        id=0,
        seek=0,
        start=start,
        end=end,
        text=" " + text,
        tokens=[1] * len(words),
        avg_logprob=stats.get("avg_logprob", -0.2),
        compression_ratio=1.2,
        no_speech_prob=stats.get("no_speech_prob", 0.01),
        words=[
            WhisperWord(start + i * step, start + (i + 1) * step, " " + w, 0.9)
            for i, w in enumerate(words)
        ],
        temperature=0.0,
    )


class ScriptedModel:
    """Whisper's answer per chunk, scripted: the core's own logic is what is under test."""

    def __init__(self, answers: list[list[WhisperSegment]]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def transcribe(self, audio: np.ndarray, **options: Any) -> tuple[Iterator[Any], Any]:
        self.calls.append({"samples": len(audio), **options})
        answer = self.answers[len(self.calls) - 1]
        return iter(answer), SimpleNamespace(language="en")


def _decoded(tmp_path: Path, channels: list[np.ndarray]) -> DecodedAudio:
    paths = []
    for index, samples in enumerate(channels):
        path = tmp_path / f"c{index}.s16"
        path.write_bytes(samples.astype("<i2").tobytes())
        paths.append(path)
    return DecodedAudio(paths, list(range(len(channels))), len(channels[0]), len(channels))


def _core(model: ScriptedModel, **batch: Any) -> BatchTranscriber:
    settings = Settings()
    clock = datetime(2026, 1, 1, tzinfo=UTC)
    return BatchTranscriber(
        settings.transcriber,
        settings.transcriber_batch.model_copy(update=batch),
        lambda _language, _accuracy: Model("tiny.en", model.transcribe, multilingual=False),
        clock=lambda: clock,
    )


def test_whisper_segments_become_finals_with_ids_words_and_progress(
    speech_dir: Path, tmp_path: Path
) -> None:
    one, _ = _speech(speech_dir)
    chunk = len(one) - SAMPLE_RATE  # two chunks: the cut leaves less than a chunk
    model = ScriptedModel(
        [
            [_segment(0.5, 2.0, "He hoped there would be stew"), _segment(2.5, 3.5, "for dinner")],
            [_segment(0.2, 0.8, "stuff it")],
        ]
    )
    core = _core(model, chunk_s=chunk / SAMPLE_RATE)
    steps = list(core.transcribe(_upload(), _decoded(tmp_path, [one])))
    finals = [s.segment for s in steps if s.segment is not None]
    assert [f.text for f in finals] == [
        "He hoped there would be stew",
        "for dinner",
        "stuff it",
    ]
    second_chunk = model.calls[0]["samples"]
    assert finals[2].start_sample == second_chunk + round(0.2 * SAMPLE_RATE)
    assert finals[2].words[0].start == pytest.approx(second_chunk / SAMPLE_RATE + 0.2, abs=1e-3)
    stream = upload_stream_id("up1", 0)
    assert [f.id for f in finals] == [segment_id_for(stream, f.start_sample) for f in finals]
    first = finals[0]
    assert (first.final, first.meeting_id, first.stream_id) == (True, "m1", stream)
    assert (first.speaker, first.participant_id, first.language) == ("Ann", "user-1", "en")
    assert first.model == "tiny.en"
    assert first.confidence == pytest.approx(0.9)
    assert first.start == 0.5
    assert first.end == 2.0
    assert {s.model for s in steps} == {"tiny.en"}
    progress = [s.progress for s in steps]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert all(call["temperature"] == [0.0] and call["word_timestamps"] for call in model.calls)
    assert model.calls[0]["language"] == "en"


def test_invented_text_on_a_quiet_stretch_is_dropped(speech_dir: Path, tmp_path: Path) -> None:
    one, _ = _speech(speech_dir)
    audio = np.concatenate([one, np.random.default_rng(3).normal(0, 20, 5 * SAMPLE_RATE)])
    end = len(one) / SAMPLE_RATE
    model = ScriptedModel(
        [
            [
                _segment(0.5, 2.0, "He hoped there would be stew"),
                _segment(end + 1, end + 3, "Thank you.", no_speech_prob=0.7, avg_logprob=-0.8),
            ]
        ]
    )
    steps = list(_core(model).transcribe(_upload(), _decoded(tmp_path, [audio.astype(np.int16)])))
    assert [s.segment.text for s in steps if s.segment] == ["He hoped there would be stew"]
    assert steps[-1].progress == 1.0


def test_channels_are_interleaved_so_the_stream_furthest_behind_goes_next(
    speech_dir: Path, tmp_path: Path
) -> None:
    one, two = _speech(speech_dir)
    model = ScriptedModel(
        [
            [_segment(0.5, 1.5, "first of one"), _segment(3.0, 4.0, "second of one")],
            [_segment(1.0, 2.0, "first of two"), _segment(5.0, 6.0, "second of two")],
        ]
    )
    steps = list(_core(model).transcribe(_upload(), _decoded(tmp_path, [one, two])))
    texts = [s.segment.text for s in steps if s.segment]
    assert texts == ["first of one", "first of two", "second of one", "second of two"]
    streams = {s.segment.stream_id for s in steps if s.segment}
    assert streams == {"upload:up1:ch0", "upload:up1:ch1"}
    assert steps[-1].progress == 1.0


def _auto_core(model: ScriptedModel, probabilities: dict[str, float], **transcriber: Any) -> Any:
    """A batch core whose model is multilingual and detects `probabilities`."""
    settings = Settings()
    detected: list[int] = []

    def detect(audio: np.ndarray) -> dict[str, float]:
        detected.append(len(audio))
        return probabilities

    core = BatchTranscriber(
        settings.transcriber.model_copy(update=transcriber),
        settings.transcriber_batch,
        lambda _language, _accuracy: Model("base", model.transcribe, True, detect=detect),
    )
    return core, detected


def test_an_auto_upload_is_detected_among_the_auto_languages_with_their_preset(
    speech_dir: Path, tmp_path: Path
) -> None:
    # base's likeliest language for a garbled Korean question can be Japanese or Mongolian.
    one, _ = _speech(speech_dir)
    model = ScriptedModel([[_segment(0.5, 2.0, "수유실이 따로 있나요")]])
    core, detected = _auto_core(model, {"ja": 0.5, "ko": 0.3, "en": 0.2})
    steps = list(core.transcribe(_upload(language="auto"), _decoded(tmp_path, [one])))
    assert detected == [len(one)]  # once, on the stream's first chunk
    assert model.calls[0]["language"] == "ko"
    ko, auto = Settings().transcriber.preset_ko, Settings().transcriber.preset_auto
    assert ko.patience != auto.patience  # the presets tell apart
    assert model.calls[0]["patience"] == ko.patience
    assert [s.segment.language for s in steps if s.segment] == ["ko"]


def test_without_auto_languages_an_upload_is_detected_by_whisper_among_all(
    speech_dir: Path, tmp_path: Path
) -> None:
    one, _ = _speech(speech_dir)
    model = ScriptedModel([[_segment(0.5, 2.0, "He hoped")]])
    core, detected = _auto_core(model, {"ko": 1.0}, auto_languages=[])
    steps = list(core.transcribe(_upload(language="auto"), _decoded(tmp_path, [one])))
    assert detected == []
    assert model.calls[0]["language"] is None
    assert [s.segment.language for s in steps if s.segment] == ["en"]  # Whisper's answer


def test_the_same_recording_gives_the_same_finals_again(speech_dir: Path, tmp_path: Path) -> None:
    one, _ = _speech(speech_dir)
    answers = [[_segment(0.5, 2.0, "He hoped"), _segment(2.0, 2.0, "there would be")]]
    runs = [
        [
            (s.segment.id, s.segment.text)
            for s in _core(ScriptedModel(answers)).transcribe(_upload(), _decoded(tmp_path, [one]))
            if s.segment
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len({segment_id for segment_id, _ in runs[0]}) == 2  # equal starts: distinct ids


def test_the_batch_lane_yields_while_a_fresh_report_is_not_normal() -> None:
    live = LiveLoad(ttl_s=10.0)
    assert not live.busy(now=0.0)
    live.observe(TranscriberLoad(instance="a", level="normal", lag_s=0.0), now=0.0)
    assert not live.busy(now=1.0)
    live.observe(TranscriberLoad(instance="b", level="shedding", lag_s=1.2), now=1.0)
    assert live.busy(now=2.0)
    live.observe(TranscriberLoad(instance="b", level="normal", lag_s=0.1), now=3.0)
    assert not live.busy(now=3.5)
    live.observe(
        TranscriberLoad(instance="a", level="normal", lag_s=0.0, over_capacity=True), now=4.0
    )
    assert live.busy(now=5.0)
    assert not live.busy(now=14.5)  # a report older than its ttl holds nothing back
