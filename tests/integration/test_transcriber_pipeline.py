"""The transcriber against the real Kafka broker and the real Whisper models."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jiwer
import numpy as np
import pytest
from confluent_kafka import Consumer, Producer
from faster_whisper import WhisperModel
from whisper_normalizer.english import EnglishTextNormalizer

from tests.helpers.kafka import consumer_at_end, read_all
from tests.helpers.transcriber import (
    SAMPLE_RATE,
    SegmentReader,
    Timeline,
    clips,
    concatenate,
    frames_of,
    produce,
    start_group_at_end,
)
from transcriber.worker import TranscriberWorker
from vori.events import (
    AUDIO_FRAMES,
    MEETING_EVENTS,
    DeadLetter,
    MeetingEvent,
    dead_letter_topic,
    decode,
)
from vori.settings import Settings
from vori.whisper_models import resolve_model

normalise = EnglishTextNormalizer()


@pytest.fixture(scope="module")
def worker(settings: Settings) -> Iterator[tuple[Settings, SegmentReader]]:
    """One transcriber (in this process) on a fresh group that starts at the end of the topic.

    The tests produce minutes of audio at once, so the transcriber is behind live audio from
    the start; its overload presets (cheaper finals) are tested apart (docs/overload.md), and
    would make the accuracy compared here depend on how fast the machine is that day."""
    group = f"transcriber-it-{time.monotonic_ns()}"
    patient = settings.transcriber.overload.model_copy(
        update={"shed_partials_s": 600.0, "degrade_s": 600.0, "refuse_s": 600.0}
    )
    ours = settings.model_copy(
        update={
            "transcriber": settings.transcriber.model_copy(
                update={"group_id": group, "metrics_port": 0, "overload": patient}
            )
        }
    )
    start_group_at_end(ours.kafka, group)
    reader = SegmentReader(ours.kafka)
    transcriber = TranscriberWorker(ours)
    thread = threading.Thread(target=transcriber.run, daemon=True)
    thread.start()
    yield ours, reader
    transcriber.loop.stop()
    thread.join(60)
    reader.close()


@pytest.fixture(scope="module")
def english(speech_dir: Path):
    return concatenate(_english_pool(speech_dir), pause_s=1.2)


def _english_pool(speech_dir: Path) -> list:
    """About 130 s of several English speakers (read and spoken; 5 sources), one recording
    (35 s of Harvard sentences) long enough to be split at the maximum utterance length."""
    lj = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
    return [
        *clips(speech_dir, "en/librispeech_1089").values(),
        clips(speech_dir, "en/whispercpp_jfk")["jfk"],
        *clips(speech_dir, "en/cmu_arctic").values(),
        *lj[:4],
        *clips(speech_dir, "en/osr_harvard").values(),
    ]


def test_streamed_finals_are_as_accurate_as_offline_faster_whisper(
    worker, english, speech_dir: Path, unique: str, tmp_path: Path
) -> None:
    settings, reader = worker
    meeting = f"m-wer-{unique}"
    produce(settings.kafka, frames_of(english.samples, meeting_id=meeting, participant_id="p1"))
    # Complete once the utterance that holds the last sample of speech is final.
    last_speech = english.spans[-1][2]
    finals = reader.wait_for_finals(
        lambda f: any(s.end_sample >= last_speech - SAMPLE_RATE for s in f), 180, meeting
    )
    assert finals, "no final segment arrived"
    assert len({s.id for s in finals}) == len(finals), "a final was published twice"
    streamed = " ".join(s.text for s in sorted(finals, key=lambda s: s.start_sample))

    by_id = {clip.id: clip for clip in _english_pool(speech_dir)}
    reference = " ".join(by_id[clip_id].text for clip_id, _, _ in english.spans)
    wav = tmp_path / "stream.wav"
    import soundfile as sf

    # Offline faster-whisper on exactly the samples that were streamed.
    sf.write(wav, english.samples, SAMPLE_RATE)
    model = WhisperModel(
        resolve_model("tiny.en", settings.data_dir / "models"), compute_type="int8", cpu_threads=2
    )
    segments, _ = model.transcribe(str(wav), language="en", beam_size=5)
    offline = " ".join(s.text for s in segments)

    wer_streamed = jiwer.wer(normalise(reference), normalise(streamed))
    wer_offline = jiwer.wer(normalise(reference), normalise(offline))
    print(f"WER streamed {wer_streamed:.3f} offline {wer_offline:.3f}")
    (tmp_path / "texts.txt").write_text(f"{reference}\n{streamed}\n{offline}\n")
    print(tmp_path / "texts.txt")
    assert wer_streamed <= wer_offline + 0.01, (streamed, offline)

    final = finals[0]
    assert final.words
    assert final.confidence is not None
    assert final.model == "tiny.en"
    assert final.language == "en"
    assert final.timing.decode_finished_at
    assert final.timing.produced_at
    assert final.timing.audio_end_capture_time is not None


def test_korean_utterance_yields_hangul(worker, speech_dir: Path, unique: str) -> None:
    settings, reader = worker
    meeting = f"m-ko-{unique}"
    clip = clips(speech_dir, "ko/naver")["wav_001"]
    timeline = concatenate([clip], pause_s=1.0)
    produce(
        settings.kafka,
        frames_of(timeline.samples, meeting_id=meeting, participant_id="k1", language="ko"),
    )
    finals = reader.wait_for_finals(lambda f: len(f) >= 1, 120, meeting)
    assert finals, "no Korean final arrived"
    text = " ".join(s.text for s in finals)
    assert sum("\uac00" <= c <= "\ud7a3" for c in text) >= 5, text
    assert finals[0].language == "ko"
    assert finals[0].model == "base"


def test_a_meeting_at_high_accuracy_has_its_english_decoded_by_the_larger_model(
    worker, speech_dir: Path, unique: str
) -> None:
    settings, reader = worker
    jfk = clips(speech_dir, "en/whispercpp_jfk")["jfk"]
    timeline = concatenate([jfk], pause_s=1.0)
    meeting = f"m-high-{unique}"
    produce(
        settings.kafka,
        (
            f.model_copy(update={"accuracy": "high"})
            for f in frames_of(timeline.samples, meeting_id=meeting, participant_id="p1")
        ),
    )
    last_speech = timeline.spans[-1][2]
    finals = reader.wait_for_finals(
        lambda f: any(s.end_sample >= last_speech - SAMPLE_RATE for s in f), 120, meeting
    )
    assert finals, "no final arrived"
    assert {s.model for s in finals} == {"base"}  # the multilingual model, English forced
    assert {s.language for s in finals} == {"en"}
    text = " ".join(s.text for s in sorted(finals, key=lambda s: s.start_sample))
    assert jiwer.wer(normalise(jfk.text), normalise(text)) <= 0.1, text


def test_a_meetings_vocabulary_on_its_frames_brings_rare_names_out_right(
    worker, speech_dir: Path, unique: str
) -> None:
    """LJ001-0031 names two early printers and a monastery; tiny.en spells them wrong
    unless the meeting's vocabulary (stamped on the frames by stream_ingest) names them
    (found by bench/vocabulary.py). The same audio is streamed with and without it."""
    settings, reader = worker
    printers = clips(speech_dir, "en/ljspeech")["LJ001-0031"]
    timeline = concatenate([printers], pause_s=1.0)
    names = ["Pannartz", "Subiaco"]
    vocabulary = ["Gutenberg", "Pannartz", "Whittemore", "Subiaco", "Sweynheim", "Jiwoo Park"]
    plain, steered = f"m-vocab-off-{unique}", f"m-vocab-on-{unique}"
    for meeting, terms in ((plain, []), (steered, vocabulary)):
        produce(
            settings.kafka,
            (
                f.model_copy(update={"vocabulary": terms})
                for f in frames_of(timeline.samples, meeting_id=meeting, participant_id="p1")
            ),
        )
    last_speech = timeline.spans[-1][2]

    def text_of(meeting: str) -> str:
        finals = reader.wait_for_finals(
            lambda f: any(s.end_sample >= last_speech - SAMPLE_RATE for s in f), 120, meeting
        )
        assert finals, f"no final of {meeting}"
        return " ".join(s.text for s in sorted(finals, key=lambda s: s.start_sample))

    with_terms, without = text_of(steered), text_of(plain)
    assert all(name in with_terms for name in names), with_terms
    assert ". ." not in with_terms, with_terms  # no punctuation-only tail after the words
    assert not any(name in without for name in names), without
    assert "Rome" in with_terms  # the rest of the sentence is unharmed
    assert "Rome" in without


def test_a_streams_end_is_announced_once_after_its_last_final(
    worker, speech_dir: Path, unique: str
) -> None:
    """`stream_transcribed` tells the summarizer that a stream's transcript is whole: it
    comes once, after every final of the stream, and never for a stream whose end has not
    been read (its client may still send more)."""
    settings, reader = worker
    events, _ = consumer_at_end(settings.kafka, [MEETING_EVENTS], "test-stream-ends")
    ended, open_ = f"m-end-{unique}", f"m-open-{unique}"
    timeline = concatenate([clips(speech_dir, "en/ljspeech")["LJ001-0031"]], pause_s=1.0)
    frame = SAMPLE_RATE // 10
    samples = np.pad(timeline.samples, (0, -len(timeline.samples) % frame))  # whole frames
    for meeting, marker in ((ended, True), (open_, False)):
        frames = frames_of(samples, meeting_id=meeting, participant_id="p1", end_of_stream=marker)
        produce(settings.kafka, frames)
    try:
        _check_stream_ends(reader, events, timeline, ended, open_)
    finally:
        # The open stream ends with one more frame: left open, it would hold its
        # partition's commit until it idles out (a minute) and slow the tests after.
        closing = list(
            frames_of(np.pad(samples, (0, frame)), meeting_id=open_, participant_id="p1")
        )[-1]
        produce(settings.kafka, [closing])
        events.close()


def _check_stream_ends(
    reader: SegmentReader,
    events: Consumer,
    timeline: Timeline,
    ended: str,
    open_: str,
) -> None:
    announced: list[tuple[MeetingEvent, int]] = []  # with the finals read by then
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not announced:
        message = events.poll(0.5)
        if message is not None and message.error() is None:
            event = decode(MEETING_EVENTS, message.value(), message.headers())
            if isinstance(event, MeetingEvent) and event.meeting_id in (ended, open_):
                reader.poll(1.0)  # the final's topic is fetched apart from this one
                announced.append((event, len(reader.finals(ended))))
        reader.poll(0.1)
    assert announced, "no stream_transcribed within 120 s"
    last_speech = timeline.spans[-1][2]
    reader.wait_for_finals(
        lambda f: any(s.end_sample >= last_speech - SAMPLE_RATE for s in f), 60, open_
    )
    deadline = time.monotonic() + 10  # a duplicate, or one of the open stream, would come now
    while time.monotonic() < deadline:
        message = events.poll(0.5)
        if message is not None and message.error() is None:
            event = decode(MEETING_EVENTS, message.value(), message.headers())
            if isinstance(event, MeetingEvent) and event.meeting_id in (ended, open_):
                announced.append((event, len(reader.finals(ended))))
    (event, finals_before), *more = announced
    assert more == [], [e for e, _ in more]
    assert (event.type, event.meeting_id) == ("stream_transcribed", ended)
    assert event.stream_id == f"{ended}:p1:mic"
    assert event.participant_id == "p1"
    finals = reader.finals(ended)
    assert finals
    assert finals_before == len(finals), (finals_before, [f.text for f in finals])
    assert finals[-1].end_sample >= last_speech - SAMPLE_RATE


def test_two_minutes_of_silence_and_noise_produce_no_segment(worker, unique: str) -> None:
    settings, reader = worker
    meeting = f"m-noise-{unique}"
    rng = np.random.default_rng(11)
    quarter = 30 * SAMPLE_RATE
    silence = np.zeros(quarter, dtype=np.int16)
    hiss = rng.normal(0, 30, quarter)
    fan = np.convolve(rng.normal(0, 900, quarter), np.ones(8) / 8, mode="same")  # low rumble
    typing = np.zeros(quarter)
    for start in rng.integers(0, quarter - 400, 120):  # key clicks, about 4 a second
        typing[start : start + 300] += rng.normal(0, 3000, 300) * np.exp(-np.arange(300) / 60)
    audio = np.clip(np.concatenate([silence, hiss, fan, typing]), -32768, 32767).astype(np.int16)
    produce(settings.kafka, frames_of(audio, meeting_id=meeting, participant_id="n1"))
    # All the transcriber makes of the noise is out once its committed offsets pass the
    # stream's last frame: finals commit with their offsets, partials come before them.
    deadline = time.monotonic() + 80
    while time.monotonic() < deadline:
        reader.poll(2)
        if _commit_passed(settings, meeting):
            break
    else:
        raise AssertionError("the transcriber did not read past the noise in 80 s")
    reader.poll(2)
    produced = [s for _, s in reader.segments if s.meeting_id == meeting]
    assert produced == [], [(s.final, s.start, s.end, s.text, s.confidence) for s in produced]


def _commit_passed(settings: Settings, meeting: str) -> bool:
    """Whether the transcriber's committed offsets are past every frame of `meeting`."""
    from confluent_kafka import Consumer, TopicPartition

    group = settings.transcriber.group_id
    consumer = Consumer({"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": group})
    try:
        partitions = consumer.list_topics(AUDIO_FRAMES, timeout=10).topics[AUDIO_FRAMES].partitions
        committed = consumer.committed([TopicPartition(AUDIO_FRAMES, p) for p in partitions], 10)
        for tp in committed:
            _low, high = consumer.get_watermark_offsets(tp, timeout=10)
            if tp.offset < high:
                return False
        return True
    finally:
        consumer.close()


def test_undecodable_frame_is_dead_lettered_and_the_stream_goes_on(
    worker, speech_dir: Path, unique: str
) -> None:
    settings, reader = worker
    meeting = f"m-dlq-{unique}"
    clip = clips(speech_dir, "en/cmu_arctic")
    timeline = concatenate(list(clip.values())[3:5], pause_s=1.0)
    frames = list(frames_of(timeline.samples, meeting_id=meeting, participant_id="d1"))
    produce(settings.kafka, frames[:20])
    raw = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    raw.produce(AUDIO_FRAMES, key=frames[0].stream_id.encode(), value=b"\x01\x02\x03")
    assert raw.flush(30) == 0
    produce(settings.kafka, frames[20:])
    finals = reader.wait_for_finals(lambda f: len(f) >= 2, 120, meeting)
    assert len(finals) >= 2
    topic = dead_letter_topic(AUDIO_FRAMES)
    letters = [
        decode(topic, m.value(), m.headers()) for m in read_all(settings.kafka, topic, 10**6, 8)
    ]
    mine = [
        x
        for x in letters
        if isinstance(x, DeadLetter) and x.consumer_group == settings.transcriber.group_id
    ]
    assert len(mine) == 1
    assert mine[0].error.startswith("undecodable")
