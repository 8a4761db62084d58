"""Which finals are decoded a second time on the padded 30 s window (`padded_redo`)."""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
import pytest

from transcriber.decoder import Decoded, DecodeRequest, WhisperDecoder
from transcriber.lane import decode_final
from vori.settings import DecodingPreset

LOOP = "words, words, words, words, words, words, words"
DOUBTED = "Montreal, forced."  # fluent, but at an average log-probability under -1
CLEAN = "Montreal forced aligner."


class _Scripted:
    """Answers each decode with the next (text, avg_logprob) of its script."""

    encoder_margin_s = 8.0

    def __init__(self, script: list[tuple[str, float]]) -> None:
        self.script = script
        self.requests: list[DecodeRequest] = []

    def decode(self, audio: object, request: DecodeRequest) -> Decoded:
        self.requests.append(request)
        text, logprob = self.script[len(self.requests) - 1]
        return Decoded(text, [], logprob, 0.01, 1.2, 0.0, "en", 0.9, 0.1)


def _final(
    redo: Literal["suspicious", "loops", "off"], script: list[tuple[str, float]]
) -> tuple[str, list[bool]]:
    decoder = _Scripted(script)
    request = DecodeRequest(final=True, language="en", preset=DecodingPreset(padded_redo=redo))
    decoded = decode_final(cast(WhisperDecoder, decoder), np.zeros(16000, np.float32), request)
    return decoded.text, [r.full_window for r in decoder.requests]


@pytest.mark.parametrize("redo", ["suspicious", "loops", "off"])
def test_a_clean_final_is_decoded_once(redo: Literal["suspicious", "loops", "off"]) -> None:
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
