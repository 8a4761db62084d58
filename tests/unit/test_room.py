"""Online clustering of a room microphone's voices, and its checkpoint text."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.unit.test_voice import voices
from transcriber.room import (
    EMPTY_VOICES,
    RoomVoices,
    VoicePolicy,
    assign,
    decode_voices,
    dequantise,
    encode_voices,
)
from transcriber.voice import load_voice_encoder


def deflate(raw: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(raw) + packer.flush()


def direction(*components: float) -> np.ndarray:
    vector = np.zeros(256, dtype=np.float32)
    vector[: len(components)] = components
    return vector / np.linalg.norm(vector)


@pytest.fixture(scope="module")
def recorded(speech_dir: Path) -> list[tuple[str, np.ndarray | None]]:
    """(speaker, embedding) of each clip of two recordings, in manifest order: 5 voices."""
    encoder = load_voice_encoder()
    clips = voices(speech_dir, "en/pocketsphinx") + voices(speech_dir, "en/cmu_arctic")
    return [(speaker, encoder.embed(audio)) for speaker, audio in clips]


def run(
    state: RoomVoices, embeddings: Sequence[np.ndarray | None], **options: float
) -> tuple[list[int], RoomVoices]:
    labels = []
    for embedding in embeddings:
        voice, state = assign(state, embedding, **options)  # type: ignore[arg-type]
        labels.append(voice)
    return labels, state


def test_a_close_voice_joins_and_a_far_one_starts_a_new_voice() -> None:
    labels, state = run(
        EMPTY_VOICES, [direction(1, 0), direction(1, 0.1), direction(0, 1), direction(0.1, 1)]
    )
    assert labels == [1, 1, 2, 2]
    assert state.counts == (2, 2)
    assert state.last == 2
    # The centroid moved towards the second embedding, and stays a quantised direction.
    assert 0 < dequantise(state.centroids[0])[1] < 0.1
    assert max(abs(v) for v in state.centroids[0]) == 127


def test_no_more_voices_than_max_voices() -> None:
    far_apart = [direction(*([0.0] * n), 1.0) for n in range(5)]
    labels, state = run(EMPTY_VOICES, far_apart, max_voices=3)
    assert labels[:3] == [1, 2, 3]
    assert all(1 <= v <= 3 for v in labels[3:])
    assert len(state.centroids) == 3
    assert state.counts == (1, 1, 1)  # the outliers did not drag any voice


def test_an_utterance_too_short_to_embed_is_the_last_voice() -> None:
    voice, state = assign(EMPTY_VOICES, None)
    assert voice == 1
    assert state.counts == (0,)
    assert state.last == 1
    labels, state = run(state, [direction(1, 0), None, direction(0, 1), None])
    assert labels == [1, 1, 2, 2]
    assert state.counts == (1, 1)  # short utterances move no centroid


def test_checkpoint_text_round_trips_exactly(
    recorded: list[tuple[str, np.ndarray | None]],
) -> None:
    _, state = run(EMPTY_VOICES, [e for _, e in recorded])
    text = encode_voices(state)
    assert decode_voices(text) == state
    assert len(text) < 300 * len(state.centroids)
    assert decode_voices(encode_voices(EMPTY_VOICES)) == EMPTY_VOICES
    _, unseeded = assign(EMPTY_VOICES, None)
    assert decode_voices(encode_voices(unseeded)) == unseeded


def test_a_restart_from_a_checkpoint_continues_as_the_uninterrupted_run(
    recorded: list[tuple[str, np.ndarray | None]],
) -> None:
    embeddings = [e for _, e in recorded]
    labels, final = run(EMPTY_VOICES, embeddings)
    for cut in range(len(embeddings) + 1):
        before, checkpoint = run(EMPTY_VOICES, embeddings[:cut])
        after, resumed = run(decode_voices(encode_voices(checkpoint)), embeddings[cut:])
        assert before + after == labels
        assert resumed == final


def test_the_real_voices_of_two_recordings_are_told_apart(
    recorded: list[tuple[str, np.ndarray | None]],
) -> None:
    labels, _ = run(EMPTY_VOICES, [e for _, e in recorded])
    speakers = [s for s, _ in recorded]
    # Different speakers never share a voice number where both had an embedding.
    by_voice: dict[int, set[str]] = {}
    for (speaker, embedding), voice in zip(recorded, labels, strict=True):
        if embedding is not None:
            by_voice.setdefault(voice, set()).add(speaker)
    assert all(len(s) == 1 for s in by_voice.values()), by_voice
    assert len(by_voice) >= len(set(speakers)) - 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not v1"),
        ("v2:0::", "not v1"),
        ("v1:1:1:!!!!", "not v1"),
        ("v1:0:1:AAAA", "cut short"),
        ("v1:0:1:////", "unreadable"),
        ("v1:3:1:" + base64.b64encode(deflate(bytes(256 * [1]))).decode(), "last voice"),
        ("v1:0:1,1:" + base64.b64encode(deflate(bytes(255 * [1]))).decode(), "split"),
        ("v1:0:1:" + base64.b64encode(deflate(bytes(256 * [128]))).decode(), "-128"),
        ("v1:0:1:" + base64.b64encode(deflate(bytes(256))).decode(), "count 1"),
        ("v1:0:::", "not v1"),
        ("v1:0::" + base64.b64encode(deflate(bytes(9))).decode(), "without counts"),
        ("v1:0:1:" + base64.b64encode(deflate(bytes(1 << 20))).decode(), "too large"),
    ],
)
def test_bad_checkpoint_text_is_a_value_error(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode_voices(text)


def test_a_stricter_policy_hears_more_voices_in_the_same_embeddings() -> None:
    rng = np.random.default_rng(11)
    base = rng.normal(size=256)
    # Two utterances of one voice that differ a little: cosine ~0.8 between them.
    near = [base + rng.normal(scale=0.5 * np.linalg.norm(base) / 16, size=256) for _ in range(2)]
    loose, strict = VoicePolicy(threshold=0.5), VoicePolicy(threshold=0.99)
    state_loose = state_strict = EMPTY_VOICES
    heard_loose, heard_strict = [], []
    for embedding in near:
        voice, state_loose = loose.assign(state_loose, embedding)
        heard_loose.append(voice)
        voice, state_strict = strict.assign(state_strict, embedding)
        heard_strict.append(voice)
    assert heard_loose == [1, 1]
    assert heard_strict == [1, 2]
    # With one voice allowed, even an opposite voice is that one.
    assert VoicePolicy(max_voices=1).assign(state_loose, -base)[0] == 1
