"""The torch-free voice encoder: its weights reader, and embeddings of real recorded voices."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from transcriber.pcm import SAMPLE_RATE
from transcriber.voice import (
    EMBEDDING_SIZE,
    MIN_VOICE_S,
    VoiceEncoder,
    VoiceModelUnavailableError,
    load_voice_encoder,
    partial_starts,
    read_legacy_state,
    weights_path,
)


def voices(speech_dir: Path, folder: str) -> list[tuple[str, np.ndarray]]:
    """(speaker, samples) of each clip of a folder of the shared speech data."""
    out = []
    for line in (speech_dir / folder / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        audio, rate = sf.read(speech_dir / folder / row["wav"], dtype="int16")
        assert rate == SAMPLE_RATE
        out.append((row["speaker"], np.asarray(audio, dtype=np.int16)))
    return out


@pytest.fixture(scope="module")
def encoder() -> VoiceEncoder:
    return load_voice_encoder()


def test_reader_loads_every_tensor_of_the_encoder_with_its_shape() -> None:
    state = read_legacy_state(weights_path().read_bytes())
    for layer in range(3):
        inputs = 40 if layer == 0 else 256
        assert state[f"lstm.weight_ih_l{layer}"].shape == (1024, inputs)
        assert state[f"lstm.weight_hh_l{layer}"].shape == (1024, 256)
        assert state[f"lstm.bias_ih_l{layer}"].shape == (1024,)
        assert state[f"lstm.bias_hh_l{layer}"].shape == (1024,)
    assert state["linear.weight"].shape == (256, 256)
    assert state["linear.bias"].shape == (256,)
    assert all(t.dtype == np.float32 and np.isfinite(t).all() for t in state.values())


def test_a_missing_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceModelUnavailableError, match="cannot read"):
        VoiceEncoder(tmp_path / "pretrained.pt")


def test_a_corrupted_weights_file_is_refused_by_its_hash(tmp_path: Path) -> None:
    data = bytearray(weights_path().read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted = tmp_path / "pretrained.pt"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(VoiceModelUnavailableError, match="not the pinned one"):
        VoiceEncoder(corrupted)


def test_a_pickle_calling_anything_but_tensor_builders_is_refused() -> None:
    hostile = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2) + pickle.dumps(print, protocol=2)
    with pytest.raises(VoiceModelUnavailableError, match=r"refusing .*\.print"):
        read_legacy_state(hostile)


def test_same_speaker_clips_are_closer_than_different_speakers(
    encoder: VoiceEncoder, speech_dir: Path
) -> None:
    clips = voices(speech_dir, "en/cmu_arctic") + voices(speech_dir, "en/pocketsphinx")
    speakers = [speaker for speaker, _ in clips]
    vectors = np.stack([encoder.embed_any_length(audio) for _, audio in clips])
    similarity = vectors @ vectors.T
    same = [
        similarity[i, j] for i in range(len(clips)) for j in range(i) if speakers[i] == speakers[j]
    ]
    different = [
        similarity[i, j] for i in range(len(clips)) for j in range(i) if speakers[i] != speakers[j]
    ]
    assert np.mean(same) > np.mean(different) + 0.15
    for speaker in set(speakers):  # each voice's mean is nearest its own clips
        mine = [k for k, s in enumerate(speakers) if s == speaker]
        others = [k for k, s in enumerate(speakers) if s != speaker]
        if len(mine) > 1:
            own = similarity[np.ix_(mine, mine)][~np.eye(len(mine), dtype=bool)].mean()
            assert own > similarity[np.ix_(mine, others)].mean()


def test_embeddings_are_unit_vectors_and_deterministic(
    encoder: VoiceEncoder, speech_dir: Path
) -> None:
    _, audio = voices(speech_dir, "en/cmu_arctic")[0]
    first = encoder.embed(audio)
    again = encoder.embed(audio.copy())
    assert first is not None
    assert again is not None
    assert first.shape == (EMBEDDING_SIZE,)
    assert first.dtype == np.float32
    assert abs(float(np.linalg.norm(first)) - 1.0) < 1e-5
    assert first.tobytes() == again.tobytes()


def test_audio_shorter_than_the_minimum_has_no_embedding(
    encoder: VoiceEncoder, speech_dir: Path
) -> None:
    _, audio = voices(speech_dir, "en/cmu_arctic")[0]
    short = audio[: int(MIN_VOICE_S * SAMPLE_RATE) - 1]
    assert encoder.embed(short) is None
    assert encoder.embed(audio[: int(MIN_VOICE_S * SAMPLE_RATE)]) is not None


def test_partial_windows_follow_resemblyzer() -> None:
    # 1.3 windows a second (every 77 frames), the last kept at 75 % coverage or more.
    assert partial_starts(8000) == [0]
    assert partial_starts(16000 * 3) == [0, 77, 154]
    assert partial_starts(16000 * 4) == [0, 77, 154, 231]
