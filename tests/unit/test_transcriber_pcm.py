"""The energy gate measures how loud an utterance's speech is, not its pauses."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers.transcriber import SAMPLE_RATE, clips
from transcriber.pcm import loudest_dbfs, rms_dbfs
from transcriber.policy import DecodeStats, judge
from vori.settings import DecodingPreset, TranscriberSettings

GATE = TranscriberSettings().energy_gate_dbfs


def _gated(level: float) -> bool:
    stats = DecodeStats("there's gonna be no voiced speech", -0.3, 0.1, 1.2, 0.0, level)
    return judge(stats, DecodingPreset(), "en", gate_dbfs=GATE).reason == "energy gate"


def test_a_whispered_sentence_is_decoded_though_its_pauses_are_under_the_gate(
    speech_dir: Path,
) -> None:
    """en/mfa's whisper2: read over its whole length with its pauses, -55 dBFS; its words
    reach -47. Gated by the whole utterance's RMS, the stream lost all nine words."""
    whisper = clips(speech_dir, "en/mfa")["whisper2"].samples()
    assert rms_dbfs(whisper) < GATE
    assert loudest_dbfs(whisper) > GATE
    assert not _gated(loudest_dbfs(whisper))


def test_steady_hiss_stays_under_the_gate() -> None:
    rng = np.random.default_rng(7)
    level = -57.0  # the line hiss after the Korean phone questions: -56 to -60 dBFS
    hiss = rng.normal(0.0, 32768 * 10 ** (level / 20), 3 * SAMPLE_RATE).astype(np.int16)
    assert abs(loudest_dbfs(hiss) - level) < 1.0
    assert _gated(loudest_dbfs(hiss))


def test_the_loudest_150_ms_is_what_counts() -> None:
    quiet = np.zeros(2 * SAMPLE_RATE, dtype=np.int16)
    burst = quiet.copy()
    burst[SAMPLE_RATE : SAMPLE_RATE + SAMPLE_RATE * 3 // 20] = 1000  # 150 ms at -30.3 dBFS
    assert abs(loudest_dbfs(burst) - 20 * np.log10(1000 / 32768)) < 0.5
    assert loudest_dbfs(quiet) == float("-inf")
    short = np.full(SAMPLE_RATE // 20, 1000, dtype=np.int16)  # 50 ms: the whole of it
    assert loudest_dbfs(short) == rms_dbfs(short)
