"""A stand-in for WhisperDecoder in unit tests of what is done with its decodes."""

from __future__ import annotations

from transcriber.decoder import Decoded, DecodeRequest


class ScriptedDecoder:
    """Answers each decode with the next (text, average log-probability) of its script and
    records the requests it was given."""

    encoder_margin_s = 8.0

    def __init__(self, script: list[tuple[str, float]], language: str = "en") -> None:
        self.script = script
        self.language = language
        self.requests: list[DecodeRequest] = []

    def decode(self, audio: object, request: DecodeRequest) -> Decoded:
        self.requests.append(request)
        text, logprob = self.script[len(self.requests) - 1]
        return Decoded(text, [], logprob, 0.01, 1.2, 0.0, self.language, 0.9, 0.1)
