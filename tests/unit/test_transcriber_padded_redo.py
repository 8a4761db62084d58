"""Which finals are decoded a second time on the padded 30 s window (`padded_redo`)."""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from tests.helpers.scripted_decoder import ScriptedDecoder
from transcriber.decoder import DecodeRequest, WhisperDecoder
from transcriber.lane import decode_final
from vori.settings import DecodingPreset, PaddedRedo

LOOP = "words, words, words, words, words, words, words"
DOUBTED = "Montreal, forced."  # fluent, but at an average log-probability under -1
CLEAN = "Montreal forced aligner."


def _final(redo: PaddedRedo, script: list[tuple[str, float]]) -> tuple[str, list[bool]]:
    decoder = ScriptedDecoder(script)
    request = DecodeRequest(final=True, language="en", preset=DecodingPreset(padded_redo=redo))
    decoded = decode_final(cast(WhisperDecoder, decoder), np.zeros(16000, np.float32), request)
    return decoded.text, [r.full_window for r in decoder.requests]


@pytest.mark.parametrize("redo", ["suspicious", "loops", "off"])
def test_a_clean_final_is_decoded_once(redo: PaddedRedo) -> None:
    assert _final(redo, [(CLEAN, -0.3)]) == (CLEAN, [False])


def test_suspicious_redoes_a_doubted_final_and_a_loop() -> None:
    assert _final("suspicious", [(DOUBTED, -1.2), (CLEAN, -0.4)]) == (CLEAN, [False, True])
    assert _final("suspicious", [(LOOP, -0.4), (CLEAN, -0.4)]) == (CLEAN, [False, True])


def test_loops_redoes_a_loop_and_keeps_a_doubted_final() -> None:
    assert _final("loops", [(DOUBTED, -1.2)]) == (DOUBTED, [False])
    assert _final("loops", [(LOOP, -0.4), (CLEAN, -0.4)]) == (CLEAN, [False, True])


def test_off_decodes_every_final_once() -> None:
    assert _final("off", [(LOOP, -0.4)]) == (LOOP, [False])
    assert _final("off", [(DOUBTED, -1.2)]) == (DOUBTED, [False])
