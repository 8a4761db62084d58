"""Meetings of automatic language detection: each utterance detected among the languages
vori names, leaning to the one its stream spoke last, and decoded with that language's
preset, on the encoder pass the detection made."""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from tests.helpers.transcriber import clips, closed_utterance
from transcriber.decoder import DecodeRequest, WhisperDecoder
from transcriber.lane import FinalResult, ModelLane, PromptContext, Result, Work
from transcriber.metrics import TranscriberMetrics
from transcriber.policy import choose_language, language_of_text
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import StreamInfo, StreamTranscriber
from vori.settings import Settings
from vori.whisper_models import resolve_model

AUTO = StreamInfo("m:p:mic", "m", "p", "p", "auto")


def test_the_language_of_a_text_is_that_of_its_last_letter() -> None:
    assert language_of_text("안녕하세요.") == "ko"
    assert language_of_text("회의 notes") == "en"
    assert language_of_text("Budget은 내일까지요?") == "ko"
    assert language_of_text("123, 456.") is None
    assert language_of_text("") is None


def test_a_stream_keeps_its_language_unless_another_is_far_likelier() -> None:
    # base on a garbled Korean question (shared clip ko/naver wav_025): Mongolian first,
    # then English at 8.9 times Korean.
    garbled = {"mn": 0.2, "en": 0.0693, "ko": 0.0078}
    assert choose_language(garbled, ["en", "ko"], None, 10.0) == "en"
    assert choose_language(garbled, ["en", "ko"], "ko", 10.0) == "ko"
    assert choose_language(garbled, ["en", "ko"], "ko", 5.0) == "en"
    # English after Korean is switched to when the audio says so.
    assert choose_language({"en": 0.9, "ko": 0.01}, ["en", "ko"], "ko", 10.0) == "en"
    # A last language outside the candidates is no lean.
    assert choose_language({"en": 0.2, "ko": 0.1, "ja": 0.7}, ["en", "ko"], "ja", 10.0) == "en"


@pytest.fixture(scope="module")
def base() -> WhisperDecoder:
    settings = Settings()
    path = resolve_model("base", settings.data_dir / "models")
    return WhisperDecoder(path, "base", cpu_threads=1, workers=1)


def _korean(speech_dir: Path, clip_id: str) -> np.ndarray:
    return clips(speech_dir, "ko/naver")[clip_id].samples()


def test_a_decode_after_a_detection_on_its_window_reuses_the_encoder_pass(
    speech_dir: Path, base: WhisperDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = _korean(speech_dir, "wav_003").astype(np.float32) / 32768
    encoded: list[tuple[int, ...]] = []
    encode = WhisperModel.encode

    def counted(model: WhisperModel, features: np.ndarray) -> object:
        encoded.append(features.shape)
        return encode(model, features)

    monkeypatch.setattr(WhisperModel, "encode", counted)
    preset = Settings().transcriber.preset_ko
    probabilities = base.language_probabilities(audio, preset.encoder_margin_s)
    assert max(probabilities, key=lambda language: probabilities[language]) == "ko"
    request = DecodeRequest(final=True, language="ko", preset=preset)
    decoded = base.decode(audio, request)
    assert decoded.text
    assert len(encoded) == 1
    # The kept pass serves the one decode after its detection; later decodes encode.
    assert base.decode(audio, request).text == decoded.text
    assert len(encoded) == 2


def _final(base: WhisperDecoder, audio: np.ndarray, context: str) -> FinalResult:
    results: queue.SimpleQueue[Result] = queue.SimpleQueue()
    settings = Settings().transcriber.model_copy(update={"decode_workers": 1})
    lane = ModelLane("base", lambda: base, settings, results, TranscriberMetrics())
    assert lane.ready.wait(60)
    job = closed_utterance(AUTO, audio)
    stream = StreamTranscriber.new(AUTO, SegmenterConfig(), 0)  # owns the results only
    lane.submit_final(Work(0, stream, PromptContext(context), job))
    try:
        while True:
            result = results.get(timeout=60)
            if isinstance(result, FinalResult):
                return result
    finally:
        lane.stop()


def test_an_auto_meetings_final_is_decoded_in_the_language_its_stream_speaks(
    speech_dir: Path, base: WhisperDecoder
) -> None:
    garbled = _korean(speech_dir, "wav_025")
    alone = _final(base, garbled, "")
    assert alone.segment is not None
    assert alone.segment.language == "en"
    after_korean = _final(base, garbled, "스테이크 종류는 어떤게 있나요?")
    assert after_korean.segment is not None
    assert after_korean.segment.language == "ko"
    assert language_of_text(after_korean.segment.text) == "ko"
    # Clear Korean after English is Korean.
    clear = _final(base, _korean(speech_dir, "wav_003"), "See you at the meeting.")
    assert clear.segment is not None
    assert clear.segment.language == "ko"
