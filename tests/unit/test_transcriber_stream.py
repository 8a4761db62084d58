"""One stream's transcription state on real speech: expiry of a stream that goes silent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate, frames_of
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import FinalJob, StreamInfo, StreamTranscriber
from vori.events import AudioFrame

CONFIG = SegmenterConfig()
INFO = StreamInfo("m:p:mic", "m", "p", "p", "en")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def feed(stream: StreamTranscriber, frames: list[AudioFrame]) -> list[FinalJob]:
    jobs: list[FinalJob] = []
    for frame in frames:
        jobs += stream.feed(frame, NOW, timestamp_ms=frame.seq * 100)
    return jobs


def spans(jobs: list[FinalJob]) -> list[tuple[int, int]]:
    return [(j.start, j.end) for j in jobs]


def test_a_stream_cut_off_mid_utterance_is_finalised_on_expiry_and_may_continue(
    speech_dir: Path,
) -> None:
    arctic = list(clips(speech_dir, "en/cmu_arctic").values())
    timeline = concatenate(arctic[:3], pause_s=1.0)
    frames = list(
        frames_of(timeline.samples, meeting_id="m", participant_id="p", end_of_stream=False)
    )
    # The sender vanishes 1 s into the second clip: no marker, no more frames.
    cut = (timeline.spans[1][1] + SAMPLE_RATE) // 1600
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    before = feed(stream, frames[:cut])
    assert stream.speaking
    assert stream.last_seen_ms == (cut - 1) * 100
    expired = stream.expire()
    assert len(expired) == 1
    assert not expired[0].retract_only
    assert expired[0].start < timeline.spans[1][1] < expired[0].end <= cut * 1600
    assert stream.expire() == []  # once
    for job in [*before, *expired]:
        stream.on_final(job.seq, "")
    checkpoint = stream.advance()
    assert checkpoint.expired
    assert not checkpoint.ended
    assert stream.expired
    assert checkpoint.segmenter.position == cut * 1600 - (cut * 1600) % CONFIG.frame_samples

    # It comes back later: the rest is segmented exactly as after a restart from the checkpoint.
    later = [f.model_copy(update={"seq": f.seq + 600}) for f in frames[cut + 5 :]]
    resumed = feed(stream, later)
    assert not stream.idle
    restarted = StreamTranscriber(INFO, CONFIG, checkpoint)
    assert spans(feed(restarted, later)) == spans(resumed)
    assert any(s <= timeline.spans[2][1] < e for s, e in spans(resumed))


def test_silence_only_expiry_publishes_nothing() -> None:
    noise = np.random.default_rng(5).normal(0, 20, 3 * SAMPLE_RATE).astype(np.int16)
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    frames = list(frames_of(noise, meeting_id="m", participant_id="p", end_of_stream=False))
    assert feed(stream, frames) == []
    assert stream.expire() == []
    assert stream.advance().expired
