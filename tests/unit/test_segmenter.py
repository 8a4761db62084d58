"""The segmenter on real recorded speech: boundaries, splits, determinism, checkpoints."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate
from transcriber.segmenter import (
    Checkpoint,
    Closed,
    Discarded,
    Reset,
    Segmenter,
    SegmenterConfig,
    SegmentEvent,
    Utterance,
    WouldClose,
)

CONFIG = SegmenterConfig()


def run(
    samples: np.ndarray, chunk: int = 1600, checkpoint: Checkpoint | None = None, start: int = 0
) -> list[SegmentEvent]:
    segmenter = Segmenter(CONFIG, checkpoint or Checkpoint(0))
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


def test_each_clip_is_one_utterance_and_pauses_are_never_speech(three_speakers) -> None:
    found = utterances(run(three_speakers.samples))
    assert len(found) == len(three_speakers.spans)
    for (clip_id, start, end), utt in zip(three_speakers.spans, found, strict=True):
        # The pre-roll and tail reach a little into the pause, never into another clip.
        assert (
            start - CONFIG.samples(CONFIG.preroll_ms + 300)
            <= utt.start
            <= start + 0.3 * SAMPLE_RATE
        ), clip_id
        assert end - 0.4 * SAMPLE_RATE <= utt.end <= end + CONFIG.samples(CONFIG.tail_ms + 300), (
            clip_id
        )


def test_output_does_not_depend_on_how_the_audio_is_chunked(three_speakers) -> None:
    assert run(three_speakers.samples, chunk=320) == run(three_speakers.samples, chunk=2719)


def test_restart_from_any_checkpoint_reproduces_the_rest(three_speakers) -> None:
    samples = three_speakers.samples
    events = run(samples)
    resets = [(i, e.checkpoint) for i, e in enumerate(events) if isinstance(e, Reset)]
    assert len(resets) >= 3
    for index, checkpoint in resets[:-1]:
        resumed = run(samples, checkpoint=checkpoint, start=checkpoint.needed_from)
        assert utterances(resumed) == utterances(events[index + 1 :])


@pytest.fixture(scope="module")
def monologue(speech_dir: Path):
    """About 35 s of one reader with pauses too short to close an utterance."""
    lj = clips(speech_dir, "en/ljspeech")
    chosen = sorted(lj.values(), key=lambda c: c.id)[:6]
    return concatenate(chosen, pause_s=0.3)


def test_monologue_is_split_before_max_length_at_a_quiet_point(monologue) -> None:
    events = run(monologue.samples)
    found = utterances(events)
    max_samples = CONFIG.max_utterance_s * SAMPLE_RATE
    assert any(u.split for u in found)
    assert all(u.end - u.start <= max_samples for u in found)
    samples = monologue.samples.astype(np.float64)
    for before, after in itertools.pairwise(found):
        if not before.split:
            continue
        assert after.start == before.end, "a split loses or repeats no audio"
        # The split is in a pause: much quieter than the speech around it.
        at = before.end
        around = samples[at - 2 * SAMPLE_RATE : at + 2 * SAMPLE_RATE]
        here = samples[at - 240 : at + 240]
        assert np.sqrt(np.mean(here**2)) < 0.25 * np.sqrt(np.mean(around**2))


def test_split_checkpoint_restarts_inside_the_open_utterance(monologue) -> None:
    samples = monologue.samples
    events = run(samples)
    splits = [
        (i, e.checkpoint)
        for i, e in enumerate(events)
        if isinstance(e, Reset) and e.checkpoint.open_start is not None
    ]
    assert splits
    index, checkpoint = splits[0]
    resumed = run(samples, checkpoint=checkpoint, start=checkpoint.needed_from)
    assert utterances(resumed) == utterances(events[index + 1 :])


def test_room_noise_without_speech_opens_nothing() -> None:
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 30, 20 * SAMPLE_RATE).astype(np.int16)
    assert utterances(run(noise)) == []


def test_gap_in_the_stream_is_treated_as_silence(three_speakers) -> None:
    samples = three_speakers.samples
    half = len(samples) // 2
    segmenter = Segmenter(CONFIG, Checkpoint(0))
    events = segmenter.feed(0, samples[:half])
    events += segmenter.feed(half + 8000, samples[half + 8000 :])
    assert segmenter.position == len(samples)
    assert utterances(events + segmenter.finish())


def test_korean_questions_with_room_noise_between_them_stay_apart(speech_dir: Path) -> None:
    """Phone clips whose own silence (-72 dBFS) is quieter than the room noise between them
    (-64 dBFS): webrtcvad calls that noise speech, the energy floor does not."""
    ko = sorted(clips(speech_dir, "ko/naver").values(), key=lambda c: c.id)
    # Track 0 of bench/korean_gap.py's tuning split: four questions joined into one before.
    timeline = concatenate(ko[12:25:4], pause_s=1.0)
    found = utterances(run(timeline.samples))
    for clip_id, start, end in timeline.spans:
        covering = [u for u in found if u.start < end and u.end > start]
        assert len(covering) == 1, clip_id
        others = [s for s in timeline.spans if s[0] != clip_id]
        u = covering[0]
        assert not any(u.start < e - 0.1 * SAMPLE_RATE and u.end > s for _, s, e in others)
    no_floor = Segmenter(SegmenterConfig(floor_dbfs=None, relative_floor_db=None), Checkpoint(0))
    events = no_floor.feed(0, timeline.samples) + no_floor.finish()
    assert len(utterances(events)) < len(timeline.spans)  # what webrtcvad alone does here


def test_line_hiss_after_the_last_word_does_not_hold_the_utterance_open(
    speech_dir: Path,
) -> None:
    """wav_073 ends with 2.5 s of -56 to -60 dBFS hiss that webrtcvad calls speech; it is
    over 30 dB under the question, so the relative floor closes the question a second
    (`relative_floor_close_ms`) after its words, its audio up to the close kept."""
    clip = clips(speech_dir, "ko/naver")["wav_073"]
    samples = np.concatenate([clip.samples(), np.zeros(SAMPLE_RATE, dtype=np.int16)])
    clip_end = len(clip.samples())
    no_relative = Segmenter(SegmenterConfig(relative_floor_db=None), Checkpoint(0))
    without = utterances(no_relative.feed(0, samples) + no_relative.finish())
    assert without[0].end > clip_end - 0.1 * SAMPLE_RATE  # open to the clip's very end
    found = utterances(run(samples))
    assert found[0].end < clip_end - 1.2 * SAMPLE_RATE
    assert found[0].end - found[0].start > 2.5 * SAMPLE_RATE  # the words are all in it


def test_a_keep_cuts_the_hiss_and_announces_the_close_while_the_hiss_goes_on(
    speech_dir: Path,
) -> None:
    """With `relative_floor_keep_ms`, wav_073's question closes as before (a second after
    its words) but keeps only that much of the hiss, so its audio is known, and announced,
    before the close: its final can be decoded in the rest of the pause."""
    clip = clips(speech_dir, "ko/naver")["wav_073"]
    samples = np.concatenate([clip.samples(), np.zeros(SAMPLE_RATE, dtype=np.int16)])
    whole = utterances(run(samples))[0]
    segmenter = Segmenter(replace(CONFIG, relative_floor_keep_ms=700), Checkpoint(0))
    events: list[tuple[int, SegmentEvent]] = []
    for position in range(0, len(samples), 480):
        chunk = samples[position : position + 480]
        events += [(segmenter.position, e) for e in segmenter.feed(position, chunk)]
    closed_at, closed = next((at, e) for at, e in events if isinstance(e, Closed))
    assert closed.utterance.start == whole.start
    assert closed.utterance.end - closed.utterance.start > 2.5 * SAMPLE_RATE  # every word
    assert closed.utterance.end < whole.end - 0.2 * SAMPLE_RATE  # less of the hiss
    said = [at for at, e in events if isinstance(e, WouldClose) and e.utterance == closed.utterance]
    assert said
    assert closed_at - said[0] >= 0.25 * SAMPLE_RATE  # (1000 - 700) ms before
    with pytest.raises(ValueError, match="relative_floor_keep_ms"):
        SegmenterConfig(relative_floor_keep_ms=100)


def test_every_close_by_silence_is_announced_exactly_before_the_silence_has_passed(
    three_speakers, monologue
) -> None:
    for timeline in (three_speakers, monologue):
        events = run(timeline.samples)
        for index, event in enumerate(events):
            if not isinstance(event, Closed) or event.utterance.split:
                continue
            announced = [e for e in events[:index] if isinstance(e, WouldClose)]
            if index == len(events) - 2:
                continue  # closed by the end of the stream (`finish`), not by silence
            assert announced
            assert announced[-1].utterance == event.utterance
        # An announcement the close does not confirm is one the speech went on after (or
        # a monologue split at a quieter point before it).
        for index, event in enumerate(events):
            if isinstance(event, WouldClose):
                closed = next(e for e in events[index:] if isinstance(e, Closed))
                assert closed.utterance.start == event.utterance.start
                assert closed.utterance.split or closed.utterance.end >= event.utterance.end


def test_the_announcement_comes_once_the_tail_is_in_and_as_early_as_the_chunks_allow(
    three_speakers,
) -> None:
    segmenter = Segmenter(CONFIG, Checkpoint(0))
    samples = three_speakers.samples
    heard: dict[Utterance, int] = {}
    for position in range(0, len(samples), 480):
        for event in segmenter.feed(position, samples[position : position + 480]):
            if isinstance(event, WouldClose | Closed):
                heard.setdefault(event.utterance, segmenter.position)
    announced = [u for u in heard if not u.split]
    assert len(announced) >= len(three_speakers.spans)
    for utterance in announced:
        # In the frame that completes the tail, (silence_close - tail) before the close.
        assert 0 <= heard[utterance] - utterance.end < CONFIG.frame_samples


def test_nothing_is_announced_when_the_tail_is_as_long_as_the_closing_silence(
    three_speakers,
) -> None:
    config = SegmenterConfig(tail_ms=500, silence_close_ms=500, relative_floor_close_ms=500)
    segmenter = Segmenter(config, Checkpoint(0))
    samples = three_speakers.samples
    events = segmenter.feed(0, samples) + segmenter.finish()
    assert not any(isinstance(e, WouldClose) for e in events)
    assert len([e for e in events if isinstance(e, Closed)]) == len(three_speakers.spans)


def test_a_burst_of_speech_then_silence_ends_after_its_own_onset(speech_dir: Path) -> None:
    """An utterance whose only voiced frames opened it ends a tail after them, never at a
    point left from the utterance (or checkpoint) before it."""
    clip = clips(speech_dir, "en/ljspeech")["LJ001-0001"].samples()
    silence = np.zeros(2 * SAMPLE_RATE, dtype=np.int16)
    # 150 ms bursts, about what the onset needs: no voiced frame after the one that opens.
    bursts = [clip[offset : offset + 2400] for offset in range(4000, 100000, 7000)]
    samples = np.concatenate([silence, *itertools.chain(*((b, silence) for b in bursts))])
    for config in (CONFIG, SegmenterConfig(relative_floor_db=None)):
        segmenter = Segmenter(config, Checkpoint(0))
        events = segmenter.feed(0, samples) + segmenter.finish()
        closes = [e for e in events if isinstance(e, Closed | Discarded)]
        assert len(closes) >= 5
        for event in closes:
            start, end = (
                (event.utterance.start, event.utterance.end)
                if isinstance(event, Closed)
                else (event.start, event.end)
            )
            assert end - start >= config.samples(config.onset_voiced_ms + config.tail_ms)


def test_a_fragment_cut_off_by_a_short_pause_waits_for_the_rest_of_its_sentence(
    speech_dir: Path,
) -> None:
    """A piece of a sentence with under `fragment_voiced_ms` of voice before a pause closes
    only after `fragment_close_ms`, so the sentence is decoded whole; a full sentence
    before the same pause still closes at `silence_close_ms`."""
    clip = clips(speech_dir, "en/ljspeech")["LJ001-0001"].samples()
    english = SegmenterConfig(tail_ms=400, relative_floor_db=None)  # as English streams have it
    fragment_config = replace(english, fragment_voiced_ms=1000, fragment_close_ms=1000)
    first = utterances(run(clip))[0]
    onset = first.start + CONFIG.samples(CONFIG.preroll_ms)
    rng = np.random.default_rng(5)

    def pause(seconds: float) -> np.ndarray:
        return rng.normal(0, 20, int(seconds * SAMPLE_RATE)).astype(np.int16)

    def closed(config: SegmenterConfig, samples: np.ndarray) -> list[Utterance]:
        segmenter = Segmenter(config, Checkpoint(0))
        return utterances(segmenter.feed(0, samples) + segmenter.finish())

    # Half a second of speech (about a word and a half), 0.7 s of quiet, then the sentence.
    fragment = clip[: onset + SAMPLE_RATE // 2]
    broken = np.concatenate([pause(0.5), fragment, pause(0.7), clip[onset:], pause(1.5)])
    assert len(closed(english, broken)) == 2
    assert len(closed(fragment_config, broken)) == 1
    # The whole sentence before the same pause is no fragment.
    whole = np.concatenate([pause(0.5), clip, pause(0.7), clip[onset:], pause(1.5)])
    assert len(closed(fragment_config, whole)) == 2
    # A fragment followed by a long pause closes after the longer silence, its audio cut a
    # tail after its words as any utterance's.
    alone = np.concatenate([pause(0.5), fragment, pause(2.0)])
    (utterance,) = closed(fragment_config, alone)
    assert utterance.end <= SAMPLE_RATE // 2 + len(fragment) + english.samples(english.tail_ms)
