"""A meeting's vocabulary: validation, merge, the prompt within its token budget, and the
stream that carries the terms from its frames to its finals."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from pydantic import ValidationError

from gateway.meeting_schemas import MeetingCreate, MeetingRename
from tests.helpers.scripted_decoder import ScriptedDecoder
from tests.helpers.transcriber import clips, concatenate, frames_of
from transcriber.decoder import DecodeRequest, WhisperDecoder
from transcriber.lane import decode_final
from transcriber.segmenter import SegmenterConfig
from transcriber.stream import FinalJob, StreamInfo, StreamTranscriber
from vori.settings import Settings, TranscriberSettings
from vori.vocabulary import (
    MAX_TERM_CHARS,
    MAX_TERMS,
    PROMPT_TOKENS,
    VOCABULARY_TOKENS,
    Prompt,
    build_prompt,
    clean_terms,
    merge_terms,
)
from vori.whisper_models import resolve_model


def words(text: str) -> int:
    """A stand-in tokenizer: one token per word and per comma."""
    return len(text.replace(",", " ,").split())


def test_terms_are_tidied_and_duplicates_dropped_in_order() -> None:
    assert clean_terms(["  Anya   Petrova ", "kubectl", "ANYA petrova", "Kubectl", "네이버"]) == [
        "Anya Petrova",
        "kubectl",
        "네이버",
    ]
    assert clean_terms([]) == []


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        (["ok", "   "], "term 2 is blank"),
        (["x" * (MAX_TERM_CHARS + 1)], f"longer than {MAX_TERM_CHARS} characters"),
        (["bell\x07"], "term 1 contains control characters"),
        ([f"term {i}" for i in range(MAX_TERMS + 1)], f"at most {MAX_TERMS}"),
    ],
)
def test_a_bad_vocabulary_is_refused_with_a_message(terms: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clean_terms(terms)


def test_duplicates_do_not_count_against_the_limit() -> None:
    assert len(clean_terms(["same"] * (MAX_TERMS + 5) + ["other"])) == 2


NOTHING_TO_CHANGE = "give a title, a vocabulary, a selection of tasks, or several"


def test_the_api_bodies_validate_the_vocabulary() -> None:
    body = MeetingCreate(title="Standup", vocabulary=[" Kafka ", "kafka", "Jiwoo"])
    assert body.vocabulary == ["Kafka", "Jiwoo"]
    assert MeetingCreate(title="Standup").vocabulary == []
    with pytest.raises(ValidationError, match="term 1 is blank"):
        MeetingCreate(title="Standup", vocabulary=[""])
    assert MeetingRename(vocabulary=[]).vocabulary == []
    assert MeetingRename(vocabulary=["Jiwoo"]).title is None
    with pytest.raises(ValidationError, match=NOTHING_TO_CHANGE):
        MeetingRename()
    # An explicit null title is no new title (schemathesis found it answered 500).
    assert MeetingRename.model_validate({"title": None, "vocabulary": ["Jiwoo"]}).title is None
    with pytest.raises(ValidationError, match=NOTHING_TO_CHANGE):
        MeetingRename.model_validate({"title": None})
    with pytest.raises(ValidationError, match="at most 100"):
        MeetingRename(vocabulary=[f"t{i}" for i in range(MAX_TERMS + 1)])


def test_meeting_terms_come_before_the_boards_without_duplicates() -> None:
    assert merge_terms(["Jiwoo", "Kafka"], ["kafka", "Grafana", "JIWOO"]) == [
        "Jiwoo",
        "Kafka",
        "Grafana",
    ]
    assert merge_terms([], ["Grafana"]) == ["Grafana"]


def test_the_prompt_puts_whole_terms_first_then_the_tail_of_the_context() -> None:
    assert build_prompt([], None, words) == Prompt(None, None)
    assert build_prompt([], "we met", words) == Prompt(None, "we met")
    assert build_prompt(["Jiwoo", "Kafka"], None, words) == Prompt("Jiwoo, Kafka", None)
    both = build_prompt(["Jiwoo", "Kafka"], "we met", words)
    assert both == Prompt("Jiwoo, Kafka", "we met")
    assert both.joined() == "Jiwoo, Kafka we met"
    assert Prompt(None, None).joined() is None
    # Only whole terms within the vocabulary's share; the context's newest words in the rest.
    prompt = build_prompt(
        ["one two", "three four", "five six"],
        "a b c d e f g h",
        words,
        prompt_tokens=10,
        vocabulary_tokens=5,
    )
    assert prompt.glossary == "one two, three four"
    assert prompt.context is not None
    assert prompt.context.endswith("g h")
    joined = prompt.joined()
    assert joined is not None
    assert words(" " + joined) <= 10


def test_the_largest_vocabulary_and_context_fit_whispers_prompt() -> None:
    import tokenizers

    path = Path(resolve_model("tiny.en", Settings().data_dir / "models"))
    tokenizer = tokenizers.Tokenizer.from_file(str(path / "tokenizer.json"))

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    terms = clean_terms([f"Term{i:03d} " + "x" * (MAX_TERM_CHARS - 8) for i in range(MAX_TERMS)])
    context = "and then we talked about the release plan for a long while " * 40
    prompt = build_prompt(terms, context, count)
    assert prompt.glossary is not None
    assert prompt.glossary.startswith("Term000 ")
    assert count(" " + prompt.glossary) <= VOCABULARY_TOKENS
    assert prompt.context is not None
    assert prompt.context.endswith("for a long while")
    joined = prompt.joined()
    assert joined is not None
    assert count(" " + joined) <= PROMPT_TOKENS


def test_a_stream_takes_its_vocabulary_from_its_frames_into_its_finals(
    speech_dir: Path,
) -> None:
    arctic = sorted(clips(speech_dir, "en/cmu_arctic").values(), key=lambda c: c.id)
    timeline = concatenate(arctic[:2], pause_s=3.0)
    frames = list(frames_of(timeline.samples, meeting_id="m", participant_id="p"))
    # The stream reconnects after the first clip with a changed vocabulary.
    switch = (timeline.spans[0][2] + 2 * 16000) // 1600
    stamped = [
        f.model_copy(update={"vocabulary": ["Philip Steels"] if f.seq < switch else ["Tom"]})
        for f in frames
    ]
    info = StreamInfo("m:p:mic", "m", "p", "p", "en", ("Philip Steels",))
    stream = StreamTranscriber.new(info, SegmenterConfig(), 0)
    jobs: list[FinalJob] = []
    for frame in stamped:
        jobs += stream.feed(frame, datetime.now(UTC), timestamp_ms=frame.seq * 100)
    assert len(jobs) >= 2
    assert jobs[0].info.vocabulary == ("Philip Steels",)
    assert jobs[-1].info.vocabulary == ("Tom",)
    assert stream.info.vocabulary == ("Tom",)


def test_a_final_that_loops_with_the_vocabulary_is_redone_without_it() -> None:
    preset = TranscriberSettings().preset_ko
    request = DecodeRequest(final=True, language="ko", preset=preset, vocabulary=("핸드폰",))
    loop = "핸드폰, 핸드폰, 핸드폰, 핸드폰, 핸드폰, 핸드폰"
    answer = "학생 할인은 몇 살부터예요"
    decoder = ScriptedDecoder([(loop, -0.3), (loop, -0.3), (answer, -0.3)], "ko")
    decoded = decode_final(cast(WhisperDecoder, decoder), np.zeros(16000, np.float32), request)
    assert decoded.text == "학생 할인은 몇 살부터예요"
    assert [r.vocabulary for r in decoder.requests] == [("핸드폰",), ("핸드폰",), ()]
    assert [r.full_window for r in decoder.requests] == [False, True, True]
    # A clean decode is kept as it is, terms and all.
    clean = ScriptedDecoder([("Pannartz began printing", -0.3)], "ko")
    assert decode_final(cast(WhisperDecoder, clean), np.zeros(16000, np.float32), request).text
    assert len(clean.requests) == 1
