"""Partition bookkeeping (transcriber/partitions.py) and the segment builder, without Kafka."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.transcriber import clips, concatenate, frames_of
from transcriber.decoder import Decoded
from transcriber.offsets import encode_checkpoints
from transcriber.partitions import OFFSET_INVALID, Partitions
from transcriber.segmenter import Checkpoint, SegmenterConfig
from transcriber.segments import final_segment, partial_segment, stamped
from transcriber.stabilizer import StableView
from transcriber.stream import (
    FinalJob,
    PartialJob,
    StreamCheckpoint,
    StreamInfo,
    Timing,
)
from vori.events import Word
from vori.settings import TranscriberSettings

CONFIG = SegmenterConfig()
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BIG = 30_000


def checkpoint(
    position: int, *, ended: bool = False, last_seen_ms: int | None = None, context: str = ""
) -> StreamCheckpoint:
    return StreamCheckpoint(Checkpoint(position), context, ended, False, last_seen_ms)


def test_a_partition_without_a_committed_offset_starts_where_the_reset_policy_says() -> None:
    book = Partitions(CONFIG, BIG)
    assert book.restore(3, -1001, None, high=42) == OFFSET_INVALID
    state = book.get(3)
    assert state is not None
    assert state.committed is None
    assert state.restored == {}
    assert state.progress.last_offset == -1
    assert not state.progress.caught_up  # 42 messages existed at assignment


def test_restored_checkpoints_split_into_open_and_ended_streams() -> None:
    metadata = encode_checkpoints(
        {"a": checkpoint(3200, last_seen_ms=5), "b": checkpoint(6400, ended=True)}, BIG
    )
    book = Partitions(CONFIG, BIG)
    assert book.restore(0, 17, metadata, high=17) == 17
    state = book.get(0)
    assert state is not None
    assert set(state.restored) == {"a"}
    assert set(state.finished) == {"b"}
    assert state.committed == (17, metadata)
    assert state.progress.caught_up


def test_a_stream_seen_again_resumes_from_its_restored_checkpoint() -> None:
    metadata = encode_checkpoints({"m:p:mic": checkpoint(4800, context="Hello there.")}, BIG)
    book = Partitions(CONFIG, BIG)
    book.restore(0, 5, metadata, high=5)
    state = book.get(0)
    assert state is not None
    frame = next(frames_of(np.zeros(1600, np.int16), meeting_id="m", participant_id="p"))
    frame = frame.model_copy(update={"position": 4800, "language": None})
    stream = book.open_stream(state, frame, "EN")
    assert stream.info.language == "en"  # the default, lower-cased
    assert stream.durable.segmenter.position == 4800
    assert state.restored == {}
    assert state.contexts["m:p:mic"].text == "Hello there."
    assert book.open_streams() == 1


def test_only_streams_in_the_relative_floor_languages_segment_with_it() -> None:
    off = TranscriberSettings(vad_relative_floor_languages=[])
    assert Partitions.from_settings(off, BIG).config_for("ko").relative_floor_db is None
    book = Partitions.from_settings(TranscriberSettings(), BIG)  # Korean by default
    book.restore(0, -1001, None, high=0)
    state = book.get(0)
    assert state is not None
    floors = {}
    for language in ("ko", "en", "auto"):
        frame = next(
            frames_of(
                np.zeros(1600, np.int16), meeting_id=language, participant_id="p", language=language
            )
        )
        stream = book.open_stream(state, frame, "en")
        floors[language] = stream.segmenter.config.relative_floor_db
    assert floors == {"ko": 30.0, "en": None, "auto": None}


def test_a_partition_past_its_metadata_is_held_once_and_released_when_it_fits() -> None:
    book = Partitions(CONFIG, 10)
    book.restore(0, 0, None, high=0)
    state = book.get(0)
    assert state is not None
    state.restored = {f"s{i}": checkpoint(1600 * i, last_seen_ms=1) for i in range(5)}
    (first,) = book.plan()
    assert first.plan.held
    assert first.now_held
    assert not first.due  # neither the offset nor the finals of a held partition go out
    assert book.held == {0}
    (again,) = book.plan()
    assert again.plan.held
    assert not again.now_held  # held once, not again on every commit
    book.metadata_max_bytes = BIG
    (fits,) = book.plan()
    assert fits.released
    assert fits.due
    assert book.held == set()
    assert 0 < book.fill() < 1
    assert fits.plan.metadata is not None
    book.committed(0, fits.plan.offset, fits.plan.metadata)
    (same,) = book.plan()
    assert not same.due  # committed already


def test_dropping_a_partition_forgets_its_hold_and_plan() -> None:
    book = Partitions(CONFIG, 10)
    book.restore(1, 0, None, high=0)
    state = book.get(1)
    assert state is not None
    state.restored = {f"s{i}": checkpoint(1600 * i, last_seen_ms=1) for i in range(5)}
    book.plan()
    assert book.held == {1}
    assert book.fullest() is not None
    dropped = book.drop(1)
    assert dropped is state
    assert book.held == set()
    assert book.fullest() is None
    assert 1 not in book
    assert book.drop(1) is None


def test_idle_expiry_finalises_quiet_streams_and_restored_ones_never_seen_again() -> None:
    book = Partitions(CONFIG, BIG)
    book.restore(0, 0, None, high=0)
    state = book.get(0)
    assert state is not None
    state.restored = {"gone": checkpoint(0, last_seen_ms=1_000), "new": checkpoint(0)}
    frames = list(frames_of(np.zeros(3200, np.int16), meeting_id="m", participant_id="p"))
    frames = [f.model_copy(update={"end_of_stream": False}) for f in frames]
    stream = book.open_stream(state, frames[0], "en")
    for frame in frames:
        stream.feed(frame, NOW, timestamp_ms=2_000)

    nothing, changed = book.expire_idle(0, state, 5_000, idle_ms=10_000)
    assert (nothing, changed) == ([], False)
    assert state.swept_ms == 5_000

    expired, changed = book.expire_idle(0, state, 12_500, idle_ms=10_000)
    assert changed
    assert [e.stream for e in expired] == [stream]
    assert expired[0].idle_s == 10.5
    assert expired[0].context is state.contexts["m:p:mic"]
    assert stream.idle
    assert state.restored["gone"].expired
    assert not state.restored["new"].expired  # never seen: no clock to expire it by
    assert book.expire_idle(0, state, 20_000, idle_ms=10_000) == ([], False)  # once


def test_a_streams_queued_lag_leaves_out_the_final_a_worker_has_begun(speech_dir: Path) -> None:
    """The lag counts every final still to come; the queued lag, which the overload levels
    follow, only those whose decode has not begun (transcriber/overload.py)."""
    book = Partitions(CONFIG, BIG)
    book.restore(0, 0, None, high=0)
    state = book.get(0)
    assert state is not None
    timeline = concatenate(list(clips(speech_dir, "en/cmu_arctic").values())[:3], pause_s=1.0)
    frames = list(frames_of(timeline.samples, meeting_id="m", participant_id="p", start_time=NOW))
    stream = book.open_stream(state, frames[0], "en")
    jobs: list[FinalJob] = []
    for frame in frames:
        jobs += stream.feed(frame, NOW, timestamp_ms=0)
    assert len(jobs) == 3
    ends = [NOW.timestamp() + job.end / 16_000 for job in jobs]
    now = ends[-1] + 5.0
    unknown = lambda partition: -1  # noqa: E731
    context = state.contexts["m:p:mic"]

    def lags() -> tuple[float, float]:
        [lag] = book.lags(now, unknown)
        return lag.lag_s, lag.queued_s

    assert lags() == pytest.approx((now - ends[0], now - ends[0]), abs=0.11)
    context.final_started = 1  # a worker decodes the first
    assert lags() == pytest.approx((now - ends[0], now - ends[1]), abs=0.11)
    stream.on_final(1, "")
    context.final_started = 3  # the other two begun as well
    assert lags() == pytest.approx((now - ends[1], 0.0), abs=0.11)


INFO = StreamInfo("m:p:mic", "m", "p", "Pat", "auto")
TIMING = Timing(NOW, NOW)


def test_a_final_is_placed_by_its_samples_and_its_words_by_the_utterance() -> None:
    job = FinalJob(
        INFO, "seg-1", 32000, 48000, np.zeros(0, np.int16), -20.0, 2, 1, False, True, TIMING
    )
    empty = final_segment(
        job, None, "", model="tiny", decode_started_at=NOW, decode_finished_at=NOW
    )
    assert (empty.start, empty.end, empty.start_sample, empty.end_sample) == (
        2.0,
        3.0,
        32000,
        48000,
    )
    assert empty.final
    assert empty.revision == 2
    assert empty.words == []
    assert empty.language is None  # automatic detection, nothing decoded
    assert empty.speaker == "Pat"

    decoded = Decoded(
        "hi",
        [Word(word=" hi", start=0.1234, end=0.5, probability=0.9)],
        -0.2,
        0.1,
        1.0,
        0.0,
        "de",
        0.8,
        0.1,
    )
    said = final_segment(
        job,
        decoded,
        "hi",
        model="tiny",
        decode_started_at=NOW,
        decode_finished_at=NOW,
    )
    assert said.words[0].start == 2.123
    assert said.words[0].end == 2.5
    assert (said.language, said.confidence, said.text, said.stable_text) == ("de", 0.8, "hi", "hi")
    assert said.timing.produced_at is None
    (out,) = stamped([said], NOW)
    assert out.timing.produced_at == NOW
    assert said.timing.produced_at is None  # a copy


def test_a_partial_shows_its_stable_prefix() -> None:
    job = PartialJob(INFO, "seg-1", 0, 8000, np.zeros(0, np.int16), -20.0, "hello", TIMING)
    partial = partial_segment(
        job,
        4,
        StableView("hello wor", "hello"),
        model="tiny",
        decode_started_at=NOW,
        decode_finished_at=NOW,
        produced_at=NOW,
    )
    assert not partial.final
    assert (partial.revision, partial.text, partial.stable_text) == (4, "hello wor", "hello")
    assert (partial.end, partial.language) == (0.5, None)
    assert partial.timing.produced_at == NOW
