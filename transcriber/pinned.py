"""Model files that installed packages ship, read only when they are the pinned ones."""

from __future__ import annotations

import hashlib
from pathlib import Path


def read_pinned(path: Path, sha256: str, error: type[Exception]) -> bytes:
    """The file's bytes; `error` saying why when it cannot be read or is another file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise error(f"{path}: sha256 {digest} is not the pinned one")
    return data
