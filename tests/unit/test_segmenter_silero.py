"""The segmenter with Silero VAD as its frame classifier, on real recorded speech."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate, frames_of
from transcriber.segmenter import (
    Checkpoint,
    Closed,
    Reset,
    Segmenter,
    SegmenterConfig,
    SegmentEvent,
    Utterance,
)
from transcriber.stream import StreamCheckpoint, StreamInfo, StreamTranscriber
from transcriber.vad import (
    SILERO_WINDOW,
    SileroClassifier,
    SileroModel,
    VadUnavailableError,
    classifier_factory,
    silero_path,
)
from vori.settings import TranscriberSettings

CONFIG = SegmenterConfig(vad_engine="silero", frame_ms=32)


@pytest.fixture(scope="module")
def model() -> SileroModel:
    return SileroModel()


def run(
    model: SileroModel,
    samples: np.ndarray,
    chunk: int = 1600,
    checkpoint: Checkpoint | None = None,
    start: int = 0,
) -> list[SegmentEvent]:
    segmenter = Segmenter(CONFIG, checkpoint or Checkpoint(0), SileroClassifier(model))
    events: list[SegmentEvent] = []
    for i in range(start, len(samples), chunk):
        events += segmenter.feed(i, samples[i : i + chunk])
    return events + segmenter.finish()


def utterances(events: list[SegmentEvent]) -> list[Utterance]:
    return [e.utterance for e in events if isinstance(e, Closed)]


@pytest.fixture(scope="module")
def three_speakers(speech_dir: Path):
    arctic = clips(speech_dir, "en/cmu_arctic")
    libri = clips(speech_dir, "en/librispeech_1089")
    return concatenate([libri["1089-134686-0000"], *list(arctic.values())[:2]], pause_s=1.5)


def test_streamed_probabilities_are_faster_whispers_batched_ones(
    model: SileroModel, speech_dir: Path
) -> None:
    from faster_whisper.vad import SileroVADModel

    samples = clips(speech_dir, "en/whispercpp_jfk")["jfk"].samples()
    samples = samples[: len(samples) - len(samples) % SILERO_WINDOW]
    # faster-whisper's loader zeroes the tail of the last window in place: give it a copy,
    # and compare every window but that one.
    batched = np.asarray(SileroVADModel(str(silero_path()))(samples.astype(np.float32) / 32768))
    classifier = SileroClassifier(model)
    streamed = [
        classifier.probability(samples[i : i + SILERO_WINDOW])
        for i in range(0, len(samples), SILERO_WINDOW)
    ]
    expected = batched.reshape(len(streamed), -1)[:, 0]
    assert np.allclose(streamed[:-1], expected[:-1], atol=1e-4)
    assert max(streamed) > 0.9  # speech and pauses, told apart
    assert min(streamed) < 0.1


def test_each_clip_is_one_utterance_and_pauses_are_never_speech(
    model: SileroModel, three_speakers
) -> None:
    found = utterances(run(model, three_speakers.samples))
    assert len(found) == len(three_speakers.spans)
    for (clip_id, start, end), utt in zip(three_speakers.spans, found, strict=True):
        assert (
            start - CONFIG.samples(CONFIG.preroll_ms + 300)
            <= utt.start
            <= start + 0.3 * SAMPLE_RATE
        ), clip_id
        assert end - 0.4 * SAMPLE_RATE <= utt.end <= end + CONFIG.samples(CONFIG.tail_ms + 300), (
            clip_id
        )


def test_an_utterance_closes_on_trailing_silence_before_the_stream_ends(
    model: SileroModel, speech_dir: Path
) -> None:
    arctic = sorted(clips(speech_dir, "en/cmu_arctic").values(), key=lambda c: c.id)
    timeline = concatenate(arctic[:1], pause_s=2.0)
    segmenter = Segmenter(CONFIG, Checkpoint(0), SileroClassifier(model))
    closed = utterances(segmenter.feed(0, timeline.samples))  # no finish(): silence closes it
    assert len(closed) == 1
    _, start, end = timeline.spans[0]
    assert closed[0].start <= start + 0.3 * SAMPLE_RATE
    assert end - 0.4 * SAMPLE_RATE <= closed[0].end <= end + CONFIG.samples(CONFIG.tail_ms + 300)
    assert segmenter.open_start is None


def test_output_does_not_depend_on_how_the_audio_is_chunked(
    model: SileroModel, three_speakers
) -> None:
    samples = three_speakers.samples
    assert run(model, samples, chunk=320) == run(model, samples, chunk=2719)


def test_restart_from_any_checkpoint_reproduces_the_rest(
    model: SileroModel, three_speakers
) -> None:
    samples = three_speakers.samples
    events = run(model, samples)
    resets = [(i, e.checkpoint) for i, e in enumerate(events) if isinstance(e, Reset)]
    assert len(resets) >= 3
    for index, checkpoint in resets[:-1]:
        assert checkpoint.position % SILERO_WINDOW == 0
        resumed = run(model, samples, checkpoint=checkpoint, start=checkpoint.needed_from)
        assert utterances(resumed) == utterances(events[index + 1 :])


def test_split_checkpoint_restarts_inside_the_open_utterance(
    model: SileroModel, speech_dir: Path
) -> None:
    lj = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
    samples = concatenate(lj[:6], pause_s=0.3).samples  # ~35 s of one reader
    events = run(model, samples)
    splits = [
        (i, e.checkpoint)
        for i, e in enumerate(events)
        if isinstance(e, Reset) and e.checkpoint.open_start is not None
    ]
    assert splits
    assert all(u.end - u.start <= CONFIG.max_utterance_s * SAMPLE_RATE for u in utterances(events))
    index, checkpoint = splits[0]
    resumed = run(model, samples, checkpoint=checkpoint, start=checkpoint.needed_from)
    assert utterances(resumed) == utterances(events[index + 1 :])


def test_room_noise_without_speech_opens_nothing(model: SileroModel) -> None:
    noise = np.random.default_rng(3).normal(0, 30, 20 * SAMPLE_RATE).astype(np.int16)
    assert utterances(run(model, noise)) == []


def test_a_checkpoint_written_under_webrtc_frames_resumes_on_silero_frames(
    model: SileroModel, speech_dir: Path
) -> None:
    """The engine changed across a restart: a 30 ms grid checkpoint moves to the next
    32 ms boundary instead of failing the partition."""
    timeline = concatenate(list(clips(speech_dir, "en/cmu_arctic").values())[:2], pause_s=1.0)
    resume = StreamCheckpoint(Checkpoint(position=480 * 7))  # 3360: not a multiple of 512
    info = StreamInfo("m:p:mic", "m", "p", "p", "en")
    stream = StreamTranscriber(info, CONFIG, resume, classifier=SileroClassifier(model))
    assert stream.segmenter.position == 3584
    now = datetime(2026, 1, 1, tzinfo=UTC)
    jobs = []
    for frame in frames_of(timeline.samples, meeting_id="m", participant_id="p"):
        jobs += stream.feed(frame, now)
    assert len([j for j in jobs if not j.retract_only]) == len(timeline.spans)


def test_silero_is_chosen_by_the_setting_and_needs_its_32_ms_frames() -> None:
    config = SegmenterConfig.from_settings(TranscriberSettings(vad_engine="silero"))
    assert (config.vad_engine, config.frame_samples) == ("silero", SILERO_WINDOW)
    assert isinstance(classifier_factory(config)(), SileroClassifier)
    with pytest.raises(ValueError, match="32 ms"):
        SegmenterConfig(vad_engine="silero")
    with pytest.raises(ValueError, match="10, 20 or 30"):
        SegmenterConfig(frame_ms=32)
    with pytest.raises(ValueError, match="classifier"):
        Segmenter(config, Checkpoint(0))


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "silero_vad_v6.onnx"
    shutil.copyfile(silero_path(), tampered)
    data = bytearray(tampered.read_bytes())
    data[-1] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(VadUnavailableError, match="sha256"):
        SileroModel(tampered)
