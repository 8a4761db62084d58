"""LocalAgreement stabilisation on real partial hypotheses of real speech."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.helpers.transcriber import SAMPLE_RATE, clips
from transcriber.decoder import DecodeRequest, WhisperDecoder
from transcriber.pcm import to_float
from transcriber.stabilizer import Stabilizer, units_of
from vori.settings import Settings
from vori.whisper_models import resolve_model


def growing_hypotheses(
    decoder: WhisperDecoder, samples, language: str, step_s: float, preset
) -> list[str]:
    """Re-decode the audio so far every `step_s`, as partials are produced."""
    out: list[str] = []
    stabilizer = Stabilizer(language)
    step = int(step_s * SAMPLE_RATE)
    for end in range(step, len(samples) + step, step):
        decoded = decoder.decode(
            to_float(samples[:end]),
            DecodeRequest(
                final=False, language=language, preset=preset, prefix=stabilizer.stable_text or None
            ),
        )
        stabilizer.update(decoded.text)
        out.append(decoded.text)
    return out


@pytest.fixture(scope="module")
def settings() -> Settings:
    # The joined multilingual model is cached under the default data dir, as at run time.
    return Settings()


def test_stable_prefix_is_never_rewritten_on_english_speech(
    settings: Settings, speech_dir: Path
) -> None:
    clip = clips(speech_dir, "en/librispeech_1089")["1089-134686-0000"]
    decoder = WhisperDecoder(resolve_model("tiny.en", settings.data_dir / "models"), "tiny.en")
    hypotheses = growing_hypotheses(
        decoder, clip.samples(), "en", 1.0, settings.transcriber.preset_en
    )
    stabilizer = Stabilizer("en")
    shown = [stabilizer.update(h) for h in hypotheses]
    for before, after in itertools.pairwise(shown):
        assert after.stable_text.startswith(before.stable_text)
        assert after.text.startswith(after.stable_text)
    # Most of the sentence becomes stable before the speaker finishes.
    final_words = len(hypotheses[-1].split())
    assert len(shown[-1].stable_text.split()) >= final_words // 2
    assert len(shown[-3].stable_text.split()) >= 3


def test_korean_partials_stabilise_per_syllable(settings: Settings, speech_dir: Path) -> None:
    ko = clips(speech_dir, "ko/naver")
    clip = ko["wav_003"]
    decoder = WhisperDecoder(resolve_model("base", settings.data_dir / "models"), "base")
    hypotheses = growing_hypotheses(
        decoder, clip.samples(), "ko", 1.25, settings.transcriber.preset_ko
    )
    stabilizer = Stabilizer("ko")
    shown = [stabilizer.update(h) for h in hypotheses]
    assert any("\uac00" <= c <= "\ud7a3" for c in shown[-1].stable_text), shown
    for before, after in itertools.pairwise(shown):
        assert after.stable_text.startswith(before.stable_text)


def test_hypothesis_contradicting_the_stable_prefix_cannot_change_it() -> None:
    stabilizer = Stabilizer("en")
    stabilizer.update("ask not what your")
    view = stabilizer.update("ask not what your country")
    assert view.stable_text == "ask not what your"  # the newest last word is held back
    view = stabilizer.update("task knot wot your country can")
    assert view.stable_text.startswith("ask not what your")
    assert view.text.startswith("ask not what your")


def test_case_and_punctuation_do_not_block_agreement() -> None:
    stabilizer = Stabilizer("en")
    stabilizer.update("Hello, world and")
    assert stabilizer.update("hello world. And then").stable_text == "hello world. And"


def test_korean_units_ignore_spacing() -> None:
    assert [u.key for u in units_of("지하철 타고", "ko")] == [
        u.key for u in units_of("지하철타고", "ko")
    ]
    stabilizer = Stabilizer("ko")
    stabilizer.update("지하철 타고 갈")
    assert stabilizer.update("지하철타고 갈 수").stable_text == "지하철타고 갈"
