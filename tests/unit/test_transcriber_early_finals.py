"""Early finals: a final decoded during the pause that closes it is the final's own text,
published without waiting for a decoder; one the speech went on after is not used."""

from __future__ import annotations

import queue
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers.transcriber import clips, closed_utterance, concatenate, frames_of
from transcriber.decoder import WhisperDecoder
from transcriber.lane import FinalResult, ModelLane, PromptContext, Result, Work
from transcriber.metrics import TranscriberMetrics
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import EarlyFinalJob, FinalJob, StreamInfo, StreamTranscriber
from vori.events import TranscriptSegment
from vori.settings import Settings
from vori.whisper_models import resolve_model

INFO = StreamInfo("m:p:mic", "m", "p", "p", "en")


@pytest.fixture(scope="module")
def decoder() -> WhisperDecoder:
    settings = Settings()
    path = resolve_model("tiny.en", settings.data_dir / "models")
    return WhisperDecoder(path, "tiny.en", cpu_threads=1, workers=2)


def lane_of(decoder: WhisperDecoder) -> tuple[ModelLane, queue.SimpleQueue[Result]]:
    results: queue.SimpleQueue[Result] = queue.SimpleQueue()
    lane = ModelLane(
        "tiny.en", lambda: decoder, Settings().transcriber, results, TranscriberMetrics()
    )
    assert lane.ready.wait(60)
    return lane, results


def settle(lane: ModelLane, stream_id: str) -> None:
    """Wait until the lane has nothing of the stream's queued or running."""
    deadline = time.monotonic() + 60
    while lane.depth() or lane.scheduler.busy(stream_id):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def finals(results: queue.SimpleQueue[Result], count: int) -> list[TranscriptSegment]:
    out: list[TranscriptSegment] = []
    while len(out) < count:
        result = results.get(timeout=60)
        if isinstance(result, FinalResult):
            assert result.segment is not None
            out.append(result.segment)
    return out


def test_a_final_decoded_during_its_pause_is_the_finals_text_and_is_not_decoded_again(
    speech_dir: Path, decoder: WhisperDecoder
) -> None:
    arctic = list(clips(speech_dir, "en/cmu_arctic").values())
    timeline = concatenate(arctic[:3], pause_s=1.0)
    config = SegmenterConfig.from_settings(Settings().transcriber)
    lane, results = lane_of(decoder)
    stream = StreamTranscriber.new(INFO, config, 0)
    context = PromptContext("")
    jobs: list[FinalJob] = []
    offered: list[EarlyFinalJob] = []
    submitted_at: dict[str, datetime] = {}
    for frame in frames_of(timeline.samples, meeting_id="m", participant_id="p"):
        closed = stream.feed(frame, datetime.now(UTC))
        early = stream.early_final_job()
        if early is not None:
            offered.append(early)
            lane.submit_early(Work(0, stream, context, early))
            settle(lane, INFO.stream_id)  # as if the rest of the pause took its time
        for job in closed:
            submitted_at[job.segment_id] = datetime.now(UTC)
            lane.submit_final(Work(0, stream, context, job))
            jobs.append(job)
    published = finals(results, len(jobs))
    lane.stop()
    assert len(jobs) == 3
    assert context.final_started == 3  # begun, or taken in decoded early: the queued lag
    # A pause closes an utterance 3 frames after its tail is in: in a 100 ms frame that
    # holds both, the close comes first and the final is decoded the ordinary way.
    early_ones = [j for j in jobs if any(e.matches(j) for e in offered)]
    assert early_ones
    assert lane.metrics.early_finals.labels("used")._value.get() == len(early_ones)
    for segment in published:
        decoded_at = segment.timing.decode_finished_at
        assert decoded_at is not None
        if any(j.segment_id == segment.id for j in early_ones):
            assert decoded_at <= submitted_at[segment.id]  # before its close was known
        else:
            assert decoded_at > submitted_at[segment.id]

    # The same finals decoded the ordinary way: the same text, words and times.
    plain, plain_results = lane_of(decoder)
    for job in jobs:
        plain.submit_final(Work(0, stream, PromptContext(""), job))
    again = finals(plain_results, len(jobs))
    plain.stop()
    assert [s.text for s in published] == [s.text for s in again]
    assert all(s.text for s in published)
    assert [s.words for s in published] == [s.words for s in again]
    assert [(s.start_sample, s.end_sample) for s in published] == [
        (s.start_sample, s.end_sample) for s in again
    ]


def test_an_early_final_the_speech_went_on_after_is_not_the_final(
    speech_dir: Path, decoder: WhisperDecoder
) -> None:
    libri = list(clips(speech_dir, "en/librispeech_1089").values())
    samples = libri[0].samples()
    half = len(samples) // 2
    stream = StreamTranscriber.new(INFO, SegmenterConfig(), 0)  # owns the results only
    context = PromptContext("")
    lane, results = lane_of(decoder)
    # The utterance as it stood at a pause halfway, and as it closed, whole.
    whole = closed_utterance(INFO, samples)
    paused = EarlyFinalJob(INFO, whole.segment_id, 0, half, samples[:half], -20.0)
    lane.submit_early(Work(0, stream, context, paused))
    settle(lane, INFO.stream_id)
    lane.submit_final(Work(0, stream, context, whole))
    [segment] = finals(results, 1)
    lane.stop()
    assert lane.metrics.early_finals.labels("unused")._value.get() == 1
    assert segment.end_sample == len(samples)
    plain, plain_results = lane_of(decoder)
    plain.submit_final(Work(0, stream, PromptContext(""), replace(whole)))
    [again] = finals(plain_results, 1)
    plain.stop()
    assert segment.text == again.text
    assert len(segment.text.split()) > len(paused.audio) / 16000  # the whole, not the half
