"""Packaged Whisper weights: found, joined once, verified by size and hash."""

from __future__ import annotations

import os
import shutil
import time
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


def _tampered_copy(tmp_path: Path, name: str, offset: int) -> Path:
    """A copy of the packaged tiny.en with one byte of `name` flipped (size unchanged)."""
    source = whisper_models._tiny_en_dir()
    copy = tmp_path / "tampered-tiny.en"
    shutil.copytree(source, copy)
    with (copy / name).open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0x01]))
    return copy


@pytest.mark.parametrize(("name", "offset"), [("model.bin", 40_000_000), ("tokenizer.json", 1_000)])
def test_the_default_model_is_refused_at_load_when_tampered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, offset: int
) -> None:
    tampered = _tampered_copy(tmp_path, name, offset)
    monkeypatch.setattr(whisper_models, "_tiny_en_dir", lambda: tampered)
    with pytest.raises(ModelUnavailableError, match=rf"tiny.en: .*{name} has sha256 [0-9a-f]+"):
        resolve_model("tiny.en", tmp_path / "cache")


def test_a_verified_model_is_hashed_once_until_its_files_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = whisper_models._tiny_en_dir()
    copy = tmp_path / "tiny.en"
    shutil.copytree(source, copy)
    monkeypatch.setattr(whisper_models, "_tiny_en_dir", lambda: copy)
    hashed: list[str] = []
    real_sha256 = whisper_models.sha256_of

    def counting(path: Path) -> str:
        hashed.append(path.name)
        return real_sha256(path)

    monkeypatch.setattr(whisper_models, "sha256_of", counting)
    cache = tmp_path / "cache"
    started = time.perf_counter()
    assert resolve_model("tiny.en", cache) == str(copy)
    first_s = time.perf_counter() - started
    assert sorted(hashed) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    started = time.perf_counter()
    assert resolve_model("tiny.en", cache) == str(copy)
    again_s = time.perf_counter() - started
    assert len(hashed) == 4, "an untouched model is not hashed again"
    assert again_s < first_s / 5
    # Rewriting a file, even with the same bytes and mtime, changes its ctime: re-checked.
    stat = (copy / "model.bin").stat()
    (copy / "model.bin").write_bytes((copy / "model.bin").read_bytes())
    os.utime(copy / "model.bin", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert resolve_model("tiny.en", cache) == str(copy)
    assert len(hashed) == 8
