"""Helpers for transcriber tests and the benchmark: real speech in, segments out.

Audio comes from the shared recorded clips (never synthesised speech); frames are
produced to the real `audio.frames` topic exactly as stream_ingest writes them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile as sf
from confluent_kafka import Consumer, TopicPartition

from tests.helpers.kafka import consumer_at_end
from transcriber.stream import FinalJob, StreamInfo, Timing
from vori.events import (
    AUDIO_FRAMES,
    TRANSCRIPT_SEGMENTS,
    AudioFrame,
    TranscriptSegment,
    decode,
)
from vori.kafka import EventProducer
from vori.settings import KafkaSettings, Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Clip:
    """A recorded clip with its reference transcript."""

    id: str
    path: Path
    text: str
    lang: str
    duration_s: float

    def samples(self) -> np.ndarray:
        audio, rate = sf.read(self.path, dtype="int16")
        assert rate == SAMPLE_RATE, f"{self.path} is {rate} Hz"
        return np.asarray(audio if audio.ndim == 1 else audio[:, 0], dtype=np.int16)


def clips(speech_dir: Path, folder: str) -> dict[str, Clip]:
    """The clips of one folder of the shared speech data, by id."""
    base = speech_dir / folder
    out: dict[str, Clip] = {}
    for line in (base / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        out[row["id"]] = Clip(
            row["id"], base / row["wav"], row["text"], row["lang"], float(row["duration_s"])
        )
    return out


@dataclass(frozen=True)
class Timeline:
    """Clips laid end to end with pauses: samples, and where each clip starts and ends."""

    samples: np.ndarray
    spans: list[tuple[str, int, int]]  # clip id, start sample, end sample


def concatenate(parts: Iterable[Clip], pause_s: float = 1.0, lead_s: float = 0.5) -> Timeline:
    """Clips separated by pauses of low room noise (not digital zeros, like a real mic)."""
    rng = np.random.default_rng(7)
    chunks: list[np.ndarray] = []
    spans: list[tuple[str, int, int]] = []
    position = 0

    def pause(seconds: float) -> None:
        nonlocal position
        n = int(seconds * SAMPLE_RATE)
        chunks.append(rng.normal(0, 20, n).astype(np.int16))
        position += n

    pause(lead_s)
    for clip in parts:
        audio = clip.samples()
        chunks.append(audio)
        spans.append((clip.id, position, position + len(audio)))
        position += len(audio)
        pause(pause_s)
    return Timeline(np.concatenate(chunks), spans)


def closed_utterance(
    info: StreamInfo, samples: np.ndarray, segment_id: str = "m:p:mic:0"
) -> FinalJob:
    """A whole utterance from sample 0, closed, as a stream hands its final to a lane."""
    return FinalJob(
        info=info,
        segment_id=segment_id,
        start=0,
        end=len(samples),
        audio=samples,
        audio_dbfs=-20.0,
        revision=0,
        seq=1,
        retract_only=False,
        had_partials=False,
        timing=Timing(None, None),
    )


def frames_of(
    samples: np.ndarray,
    *,
    meeting_id: str,
    participant_id: str,
    language: str = "en",
    frame_ms: int = 100,
    start_time: datetime | None = None,
    end_of_stream: bool = True,
) -> Iterator[AudioFrame]:
    """The AudioFrames of one stream, as stream_ingest writes them."""
    step = SAMPLE_RATE * frame_ms // 1000
    start_time = start_time or datetime.now(UTC)
    stream_id = f"{meeting_id}:{participant_id}:mic"
    count = (len(samples) + step - 1) // step
    for seq in range(count):
        chunk = samples[seq * step : (seq + 1) * step]
        yield AudioFrame(
            stream_id=stream_id,
            meeting_id=meeting_id,
            participant_id=participant_id,
            speaker=participant_id,
            language=language,
            seq=seq,
            position=seq * step,
            capture_time=start_time + timedelta(seconds=seq * step / SAMPLE_RATE),
            end_of_stream=end_of_stream and seq == count - 1,
            pcm=chunk.astype("<i2").tobytes(),
        )


def produce(kafka: KafkaSettings, frames: Iterable[AudioFrame]) -> None:
    producer = EventProducer(kafka)
    for frame in frames:
        producer.publish(frame)
    assert producer.flush(30) == 0


def start_group_at_end(kafka: KafkaSettings, group: str) -> None:
    """Commit a fresh group at the end of audio.frames, so it skips other tests' frames."""
    consumer = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group})
    try:
        meta = consumer.list_topics(AUDIO_FRAMES, timeout=30)
        offsets = []
        for partition in meta.topics[AUDIO_FRAMES].partitions:
            tp = TopicPartition(AUDIO_FRAMES, partition)
            _low, high = consumer.get_watermark_offsets(tp, timeout=30)
            offsets.append(TopicPartition(AUDIO_FRAMES, partition, high))
        consumer.commit(offsets=offsets, asynchronous=False)
    finally:
        consumer.close()


class SegmentReader:
    """Reads transcript.segments (committed transactions only) from the current end on."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer, _ends = consumer_at_end(kafka, [TRANSCRIPT_SEGMENTS], "test-segments")
        self.segments: list[tuple[float, TranscriptSegment]] = []

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.consumer.poll(0.1)
            if message is None or message.error() is not None:
                continue
            event = decode(TRANSCRIPT_SEGMENTS, message.value(), message.headers())
            assert isinstance(event, TranscriptSegment)
            self.segments.append((time.time(), event))

    def finals(self, meeting_prefix: str = "") -> list[TranscriptSegment]:
        return [s for _, s in self.segments if s.final and s.meeting_id.startswith(meeting_prefix)]

    def wait_for_finals(
        self, predicate: object, timeout_s: float, meeting_prefix: str = ""
    ) -> list[TranscriptSegment]:
        """Poll until `predicate(finals)` holds or time runs out; returns the finals."""
        assert callable(predicate)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.poll(0.5)
            if predicate(self.finals(meeting_prefix)):
                break
        return self.finals(meeting_prefix)

    def close(self) -> None:
        self.consumer.close()


def transcriber_env(settings: Settings, group: str, **extra: str) -> dict[str, str]:
    """Environment of a `vori transcriber` child process on the session's engines."""
    from tests.conftest import subprocess_env

    env = subprocess_env(settings)
    env.update(
        {
            "VORI_TRANSCRIBER__GROUP_ID": group,
            "VORI_TRANSCRIBER__METRICS_PORT": "0",
            "VORI_LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def start_vori(command: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`vori <command>` (a service) as a child process, its output in `log_path`."""
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "vori", command],
        cwd=REPO,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_transcriber(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`vori transcriber` as a child process, its output in `log_path`."""
    return start_vori("transcriber", env, log_path)


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30) -> int | None:
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


def env_for_kafka(kafka: KafkaSettings) -> dict[str, str]:
    return {**os.environ, "VORI_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers}


FRAME_MS = 100
# Exact text is compared, so finals are never decoded with the cheaper preset that a
# lagging transcriber switches to (docs/overload.md): the clean run reads a backlog and a
# restarted process catches up, and either would change punctuation, as designed.
FULL_DECODING = {
    f"VORI_TRANSCRIBER__OVERLOAD__{name}": "600"
    for name in ("SHED_PARTIALS_S", "DEGRADE_S", "REFUSE_S")
}


def paced(settings: Settings, streams: list[list[AudioFrame]], speed: float) -> threading.Thread:
    """Produce the streams' frames side by side at `speed` times real time."""

    def run() -> None:
        producer = EventProducer(settings.kafka)
        started = time.monotonic()
        for index in range(max(len(s) for s in streams)):
            due = started + index * FRAME_MS / 1000 / speed
            time.sleep(max(0.0, due - time.monotonic()))
            for frames in streams:
                if index < len(frames):
                    producer.publish(frames[index])
        assert producer.flush(30) == 0

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def finals_in(reader: SegmentReader, meeting: str) -> list[TranscriptSegment]:
    return [s for _, s in reader.segments if s.final and s.meeting_id == meeting]


def wait_until_done(
    reader: SegmentReader, meeting: str, last: dict[str, int], timeout_s: float
) -> None:
    """Until each stream has a final reaching its last clip."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        reader.poll(1.0)
        finals = finals_in(reader, meeting)
        if all(
            any(f.stream_id == sid and f.end_sample >= end for f in finals)
            for sid, end in last.items()
        ):
            reader.poll(3.0)  # anything duplicated would come right behind
            return
    raise AssertionError(f"finals of {meeting} incomplete after {timeout_s} s")
