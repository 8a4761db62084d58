"""A partition whose checkpoints outgrow the commit metadata is held, not crashed: its finals
wait, with its offset, and come once each, also when the partition changes owner while
held (real broker, real tiny.en)."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

from tests.helpers.transcriber import (
    SegmentReader,
    clips,
    concatenate,
    frames_of,
    produce,
    start_group_at_end,
)
from transcriber.offsets import encode_metadata
from transcriber.segmenter import Checkpoint
from transcriber.stream import StreamCheckpoint
from transcriber.worker import TranscriberWorker
from vori.events import TranscriptSegment
from vori.settings import Settings

STREAMS = 6  # on the 4 partitions of the test settings: at least two share one
normalise = EnglishTextNormalizer()


def _one_stream_budget(meeting: str) -> int:
    """Metadata room for one stream of the test, never for two (even without contexts)."""

    def size(count: int, position: int, open_start: int | None) -> int:
        checkpoints = {
            f"{meeting}:p{i}:mic": StreamCheckpoint(
                Checkpoint(position + 7919 * i, open_start), "", last_seen_ms=1_796_102_428_286
            )
            for i in range(count)
        }
        return len(encode_metadata(checkpoints, 10_000).text)

    one = max(size(1, 999_999, 999_999), size(1, 0, None))
    two = min(size(2, 0, None), size(2, 999_999, 999_999))
    assert one + 4 < two, (one, two)
    return one + 4


class _Running:
    """A TranscriberWorker in a thread of this process, its metadata room set by the test."""

    def __init__(self, settings: Settings, budget: int) -> None:
        self.worker = TranscriberWorker(settings)
        # As if the broker allowed room for one stream per partition (the worker read 32767).
        self.worker.metadata_max_bytes = budget
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def holding_finals(self) -> bool:
        held = set(self.worker.held)
        return any(partition in held for partition, _ in list(self.worker.outbox))

    def stop(self) -> None:
        self.worker.loop.stop()
        self.thread.join(60)


def test_a_partition_past_its_metadata_limit_is_held_and_loses_nothing(
    settings: Settings, speech_dir: Path, unique: str
) -> None:
    group = f"transcriber-hold-{unique}"
    ours = settings.model_copy(
        update={
            "transcriber": settings.transcriber.model_copy(
                update={"group_id": group, "metrics_port": 0}
            )
        }
    )
    start_group_at_end(ours.kafka, group)
    reader = SegmentReader(ours.kafka)
    meeting = f"m-hold-{unique}"
    budget = _one_stream_budget(meeting)
    first = _Running(ours, budget)
    second: _Running | None = None
    try:
        pool = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
        tracks = [concatenate(pool[2 * i : 2 * i + 2], pause_s=1.0) for i in range(STREAMS)]
        frames = [
            frames_of(track.samples, meeting_id=meeting, participant_id=f"p{i}")
            for i, track in enumerate(tracks)
        ]
        # Interleaved, as live streams are: every stream is open at once.
        produce(
            ours.kafka,
            (f for group_ in itertools.zip_longest(*frames) for f in group_ if f is not None),
        )
        # The first transcriber holds a partition with finals waiting, then leaves: the
        # partition's new owner must publish those finals, once.
        deadline = time.monotonic() + 120
        while not first.holding_finals():
            assert time.monotonic() < deadline, "no partition was held with finals waiting"
            assert first.thread.is_alive(), "the transcriber stopped"
            time.sleep(0.05)
        first.stop()
        holds = first.worker.metrics.registry.get_sample_value(
            "vori_transcriber_commit_metadata_holds_total"
        )
        assert holds is not None
        assert holds >= 1
        second = _Running(ours, budget)

        last = {f"{meeting}:p{i}:mic": track.spans[-1][2] for i, track in enumerate(tracks)}

        def complete(finals: list[TranscriptSegment]) -> bool:
            reached = {s.stream_id: s.end_sample for s in finals}
            return all(reached.get(sid, -1) >= end - 8000 for sid, end in last.items())

        reader.wait_for_finals(complete, timeout_s=180, meeting_prefix=meeting)
        reader.poll(3)  # anything published twice would be here by now
        finals = reader.finals(meeting)
        assert second.thread.is_alive()
        assert not second.worker.held
    finally:
        first.stop()
        if second is not None:
            second.stop()
        reader.close()
    ids = [s.id for s in finals]
    assert len(ids) == len(set(ids)), "a final was published twice"
    for i in range(STREAMS):
        mine = sorted(
            (s for s in finals if s.participant_id == f"p{i}"), key=lambda s: s.start_sample
        )
        reference = normalise(" ".join(pool[2 * i + k].text for k in range(2)))
        hypothesis = normalise(" ".join(s.text for s in mine))
        error = jiwer.wer(reference, hypothesis)
        assert error < 0.35, f"stream p{i}: WER {error:.2f}: {hypothesis!r} vs {reference!r}"
