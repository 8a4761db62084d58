"""Secrets that `vori up` generates once and keeps under the data directory.

Each secret is one file, mode 0600, in a 0700 directory: created on first use with
`secrets.token_urlsafe`, read back on every later start, so the database password and
the token signing key survive restarts without anyone choosing them.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

SECRETS_DIR = "secrets"


def secret_path(data_dir: Path, name: str) -> Path:
    """Where the secret called `name` lives under a data directory."""
    return data_dir / SECRETS_DIR / name


def read_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """The secret kept in `path`, generated (`nbytes` random bytes, URL-safe) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # a copy that others could read: tighten it
        value = path.read_text().strip()
        if not value:
            raise ValueError(f"{path} is empty: delete it to generate a new secret") from None
        return value
    value = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w") as out:
        out.write(value + "\n")
    return value
