"""Packaged Whisper weights: found, joined once, verified by size and hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from vori import whisper_models
from vori.whisper_models import PACKAGED_MODELS, ModelUnavailableError, model_status, resolve_model


def test_tiny_en_ships_verified_in_its_package(tmp_path: Path) -> None:
    status = model_status("tiny.en", tmp_path)
    assert status.verified, status.problem
    assert status.path is not None
    assert (status.path / "model.bin").stat().st_size == 75_537_502


def test_base_is_joined_once_into_the_cache_and_verifies(tmp_path: Path) -> None:
    status = model_status("base", tmp_path)
    assert status.verified, status.problem
    weights = tmp_path / "faster-whisper-base" / "model.bin"
    assert weights.stat().st_size == PACKAGED_MODELS["base"].size
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (weights.parent / name).exists()
    mtime = weights.stat().st_mtime_ns
    assert resolve_model("base", tmp_path) == str(weights.parent)
    assert weights.stat().st_mtime_ns == mtime, "a second resolve must reuse the joined file"


def test_tampered_weights_of_the_right_size_fail_the_hash(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    with bogus.open("wb") as f:
        f.truncate(PACKAGED_MODELS["base"].size)
    with pytest.raises(ModelUnavailableError, match="sha256"):
        whisper_models._verify(PACKAGED_MODELS["base"], bogus)


def test_wrong_size_fails_before_hashing(tmp_path: Path) -> None:
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"\0" * 10)
    with pytest.raises(ModelUnavailableError, match="expected 145217532"):
        whisper_models._verify(PACKAGED_MODELS["base"], bogus)


def test_directory_and_other_names_pass_through(tmp_path: Path) -> None:
    assert resolve_model(str(tmp_path), tmp_path / "cache") == str(tmp_path)
    assert resolve_model("large-v3", tmp_path) == "large-v3"


def test_packaged_model_loads_in_faster_whisper(tmp_path: Path) -> None:
    from faster_whisper import WhisperModel

    model = WhisperModel(resolve_model("tiny.en", tmp_path), device="cpu", compute_type="int8")
    assert not model.model.is_multilingual
