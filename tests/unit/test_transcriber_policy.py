"""Decoding policy, scheduling and offset bookkeeping of the transcriber (pure cores)."""

from __future__ import annotations

from typing import Any

import pytest

from transcriber.offsets import (
    MetadataTooLargeError,
    PartitionProgress,
    decode_checkpoints,
    encode_checkpoints,
)
from transcriber.policy import (
    DecodeStats,
    collapse_repetitions,
    judge,
    next_context,
)
from transcriber.scheduler import DecodeScheduler
from transcriber.segmenter import Checkpoint
from transcriber.segments import words_kept
from transcriber.stream import StreamCheckpoint
from vori.events import Word
from vori.settings import DecodingPreset

PRESET = DecodingPreset()


def stats(text: str, **kw: Any) -> DecodeStats:
    base: dict[str, Any] = {
        "avg_logprob": -0.3,
        "no_speech_prob": 0.05,
        "compression_ratio": 1.2,
        "temperature": 0.0,
        "audio_dbfs": -25.0,
    }
    base.update(kw)
    return DecodeStats(text=text, **base)


def test_repetition_loop_is_collapsed_and_never_becomes_context() -> None:
    looping = "we will we will " + "go on and on " * 8
    assert (
        collapse_repetitions("thank you thank you very much", "en")
        == "thank you thank you very much"
    )
    assert collapse_repetitions("no no no no no no no no", "en") == "no no no"
    loop = "we will be ever forget it will we ever forget it will we ever forget"
    assert collapse_repetitions(loop, "en") == "we will be ever forget it will we"
    verdict = judge(stats(looping, compression_ratio=3.1), PRESET, "en", gate_dbfs=-50)
    assert "go on and on go on" not in verdict.text
    assert not verdict.usable_as_context
    assert next_context("earlier text", verdict, max_chars=200, language="en") in (
        "",
        "earlier text",
    )


def test_repeats_the_aligner_timed_were_spoken_and_stay() -> None:
    # Decoded by tiny.en from en/mfa, each word's aligned duration beside it.
    said = "and here are some more words, words, words, words."
    timed = (0.2, 0.3, 0.22, 0.14, 0.26, 0.74, 0.34, 0.0, 0.22)
    assert collapse_repetitions(said, "en", word_seconds=timed) == said
    assert collapse_repetitions(said, "en") == "and here are some more words,"  # untimed
    # A sentence written twice, its second copy aligned to no audio: a loop.
    twice = "the reporting environment is also quite different. " * 2
    seconds = (0.2, 0.4, 0.5, 0.1, 0.3, 0.3, 0.12) + (0.0,) * 6 + (0.2,)
    assert collapse_repetitions(twice, "en", word_seconds=seconds) == (
        "the reporting environment is also quite different."
    )
    # "five five" read from a card list, written nine times; the aligner gave two of the
    # eight copies time (cards-004).
    five = "5 5 5 5 5 5 5 5 5"
    five_s = (1.08, 0.52, 0.0, 0.52, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert collapse_repetitions(five, "en", word_seconds=five_s) == "5 5 5"
    loop = "A L L E E E E E E E E E E"
    assert collapse_repetitions(loop, "en", word_seconds=(0.1, 0.1, 0.1) + (0.0,) * 10) == (
        "A L L E E E"
    )
    # Word times that do not match the text's words are no evidence.
    assert collapse_repetitions(said, "en", word_seconds=(0.5,) * 3) == (
        "and here are some more words,"
    )
    verdict = judge(stats(said, word_seconds=timed), PRESET, "en", gate_dbfs=-50)
    assert verdict.text == said
    assert verdict.usable_as_context


def test_the_words_of_a_cut_loop_are_cut_with_its_text() -> None:
    decoded = "Here's some more, no, no, no, no, no, no, fine."
    words = [Word(word=f" {w}", start=i, end=i + 0.5) for i, w in enumerate(decoded.split())]
    text = collapse_repetitions(decoded, "en")
    assert text == "Here's some more, no, fine."
    kept = words_kept(words, text)
    assert [(w.word, w.start) for w in kept] == [
        (" Here's", 0),
        (" some", 1),
        (" more,", 2),
        (" no,", 3),
        (" fine.", 9),
    ]
    assert words_kept(words, decoded) == words
    # Words that do not pair with the text's words are kept as decoded.
    assert words_kept(words[:3], text) == words[:3]


def test_confident_short_answers_survive_and_unsure_credits_do_not() -> None:
    assert judge(stats("Thanks."), PRESET, "en", gate_dbfs=-50).keep
    assert judge(stats("OK."), PRESET, "en", gate_dbfs=-50).keep
    unsure = stats("Thank you for watching!", avg_logprob=-0.9, no_speech_prob=0.4)
    assert not judge(unsure, PRESET, "en", gate_dbfs=-50).keep


def test_silence_and_quiet_audio_are_dropped() -> None:
    assert (
        judge(stats("hello", audio_dbfs=-70), PRESET, "en", gate_dbfs=-50).reason == "energy gate"
    )
    no_speech = stats("you know what", no_speech_prob=0.9, avg_logprob=-1.5)
    assert judge(no_speech, PRESET, "en", gate_dbfs=-50).reason == "no speech"


def test_context_keeps_recent_whole_words() -> None:
    verdict = judge(stats("the third quarter numbers are in"), PRESET, "en", gate_dbfs=-50)
    context = next_context("x" * 10 + " alpha beta", verdict, max_chars=30, language="en")
    assert len(context) <= 30
    assert context.endswith("numbers are in")
    assert not context.startswith("x")


def test_scheduler_runs_finals_first_and_drops_stale_partials() -> None:
    s: DecodeScheduler[str] = DecodeScheduler(base_interval_s=0.5, max_age_s=3.0, budget=0.5)
    s.submit_partial("a", "a-partial-1", now=10.0, audio_time=10.0)
    s.submit_partial("a", "a-partial-2", now=10.5, audio_time=10.5)  # replaces the first
    s.submit_partial("b", "b-partial", now=10.6, audio_time=5.0)  # audio too old
    s.submit_final("c", "c-final", 2.0, now=0.0)
    assert s.next_job(11.0) == ("c", "c-final")
    assert s.next_job(11.0) == ("a", "a-partial-2")
    assert s.next_job(11.0) is None
    assert s.stats.partials_replaced == 1
    assert s.stats.partials_dropped == 1
    s.submit_partial("d", "d-partial", now=12.0, audio_time=12.0)
    s.submit_final("d", "d-final", 1.0, now=0.0)  # the utterance closed: its partial is stale
    assert s.next_job(12.0) == ("d", "d-final")
    assert s.next_job(12.0) is None


def test_partial_cadence_stretches_with_load() -> None:
    s: DecodeScheduler[str] = DecodeScheduler(base_interval_s=0.5, budget=0.5)
    s.observe("partial", 0.25)
    s.speaking("a", True)
    assert s.partial_interval() == 0.5
    for stream in "bcdefgh":
        s.speaking(stream, True)
    assert s.partial_interval() == pytest.approx(8 * 0.25 / 0.5)


def cp(position: int, open_start: int | None = None, context: str = "", ended: bool = False):
    return StreamCheckpoint(Checkpoint(position, open_start), context, ended)


def test_checkpoints_round_trip_through_commit_metadata() -> None:
    checkpoints = {
        "m:a:mic": cp(48000, None, "hello there"),
        "m:b:mic": cp(96000, 90000, "안녕하세요"),
    }
    assert decode_checkpoints(encode_checkpoints(checkpoints)) == checkpoints
    assert decode_checkpoints(None) == {}


def test_metadata_shrinks_contexts_to_fit_and_refuses_what_cannot() -> None:
    many = {f"m:{i}:mic": cp(i * 480, None, f"context {i} " * 40) for i in range(40)}
    text = encode_checkpoints(many, max_bytes=4000)
    assert len(text) <= 4000
    restored = decode_checkpoints(text)
    assert {k: v.segmenter for k, v in restored.items()} == {
        k: v.segmenter for k, v in many.items()
    }
    with pytest.raises(MetadataTooLargeError):
        encode_checkpoints({f"s{i}": cp(i) for i in range(2000)}, max_bytes=400)


def test_commit_point_waits_for_the_slowest_stream_of_the_partition() -> None:
    progress = PartitionProgress(committed_offset=100, high_watermark=100)
    progress.track(100, "a", 1600)
    progress.track(101, "b", 1600)
    progress.track(102, "a", 3200)
    progress.track(103, "b", 3200)
    # a's checkpoint is past both of its frames; b has no checkpoint past sample 0 yet.
    checkpoints = {"a": cp(3360), "b": cp(0)}
    assert progress.commit_point(checkpoints) == 101
    checkpoints["b"] = cp(2400, 1000)  # needs samples from 1000 again: frame 101 ends at 1600
    assert progress.commit_point(checkpoints) == 101
    checkpoints["b"] = cp(2400, 1600)  # frame 101 done, frame 103 (to 3200) still needed
    assert progress.commit_point(checkpoints) == 103
    checkpoints["b"] = cp(3360)
    assert progress.commit_point(checkpoints) == 104
    assert not progress.has_messages_of("a")


def test_ended_streams_leave_the_metadata_once_their_frames_are_behind_the_commit() -> None:
    progress = PartitionProgress(committed_offset=0, high_watermark=0)
    progress.track(0, "a", 1600)
    ended = cp(1440, ended=True)
    assert progress.keeps("a", ended)
    assert progress.commit_point({"a": ended}) == 1
    assert not progress.keeps("a", ended)
    assert progress.keeps("b", cp(0))


def test_a_stream_never_has_two_finals_in_flight_but_others_go_ahead() -> None:
    s: DecodeScheduler[str] = DecodeScheduler(workers=2)
    s.submit_final("a", "a-1", 3.0, now=0.0)
    s.submit_final("a", "a-2", 3.0, now=0.0)
    s.submit_final("b", "b-1", 3.0, now=0.0)
    assert s.next_job(0.0) == ("a", "a-1")
    assert s.next_job(0.0) == ("b", "b-1")  # a-2 waits for a-1: finals of a stream stay in order
    assert s.next_job(0.0) is None
    s.final_done("a")
    assert s.next_job(0.0) == ("a", "a-2")


def test_early_finals_come_after_finals_before_partials_and_hold_their_stream() -> None:
    s: DecodeScheduler[str] = DecodeScheduler(workers=2)
    s.submit_partial("a", "a-partial", now=0.0, audio_time=0.0)
    s.submit_early("b", "b-early")
    s.submit_final("c", "c-final", 2.0, now=0.0)
    assert s.next_job(0.0) == ("c", "c-final")
    assert s.next_job(0.0) == ("b", "b-early")
    s.submit_final("b", "b-final", 2.0, now=0.0)
    assert s.busy("b")
    # b's final waits for its early decode (whose result it will take); a's partial goes.
    assert s.next_job(0.0) == ("a", "a-partial")
    assert s.next_job(0.0) is None
    s.final_done("b")
    assert s.next_job(0.0) == ("b", "b-final")
    s.final_done("b")
    assert not s.busy("b")


def test_an_early_final_not_started_is_dropped_by_its_final_and_by_shedding() -> None:
    s: DecodeScheduler[str] = DecodeScheduler()
    s.submit_early("a", "a-early-1")
    s.submit_early("a", "a-early-2")  # the pause ended and another began: only the newest
    s.submit_final("a", "a-final", 2.0, now=0.0)  # closed before it was decoded: decodes itself
    assert s.next_job(0.0) == ("a", "a-final")
    s.final_done("a")
    assert s.next_job(0.0) is None
    s.submit_early("b", "b-early")
    s.shed(True)
    s.submit_early("c", "c-early")
    assert s.next_job(0.0) is None
    assert s.stats.early_dropped == 4


def test_expired_and_idle_checkpoints_round_trip_and_leave_the_metadata() -> None:
    expired = StreamCheckpoint(Checkpoint(3360), "", expired=True, last_seen_ms=1_700_000_000_123)
    checkpoints = {"m:a:mic": expired, "m:b:mic": cp(480)}
    assert decode_checkpoints(encode_checkpoints(checkpoints)) == checkpoints
    progress = PartitionProgress(committed_offset=0, high_watermark=0)
    progress.track(0, "a", 1600, 0)
    progress.track(1, "a", 3400, 1600)  # 40 samples past the frame edge were dropped at expiry
    assert progress.commit_point({"a": expired}) == 2
    assert not progress.keeps("a", expired)
    # The stream speaks again: its new frames wait for a newer checkpoint.
    progress.track(2, "a", 5000, 3400)
    assert progress.commit_point({"a": expired}) == 2


def test_korean_questions_with_the_same_ending_are_not_a_loop() -> None:
    # Decoded by base from three ko/naver clips streamed as one utterance.
    text = (
        "몇 달부터 몇 살까지가 학생할인을 받을 수 있나요? "
        "크리스마스 잘 영업하나요? 크리스마스 당일에 오픈하나요?"
    )
    assert collapse_repetitions(text, "ko") == text
    assert collapse_repetitions("영업하나요? 오픈하나요?", "ko") == "영업하나요? 오픈하나요?"
    verdict = judge(stats(text), PRESET, "ko", gate_dbfs=-50)
    assert verdict.text == text
    assert verdict.usable_as_context


def test_korean_loops_are_still_cut() -> None:
    assert collapse_repetitions("네 네 네 네 네 네 네", "ko") == "네 네 네"
    loop = "주차 가능한가요 몇 시간 주차 가능한가요 몇 시간 주차 가능한가요 몇 시간 주차"
    assert collapse_repetitions(loop, "ko") == "주차 가능한가요 몇 시간"
