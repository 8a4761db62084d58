"""Where the shared real-speech recordings are (`../shared/data/speech` beside the checkout).

A clean clone may live anywhere (CI clones into a temporary directory), so the data is
looked for beside the checkout, then at the workplace's shared folder; `VORI_SPEECH_DIR`
overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = (
    REPO.parent / "shared" / "data" / "speech",
    Path("/work/shared/data/speech"),
)


def find_speech_dir() -> Path | None:
    """The speech data directory, or None where this machine has none."""
    override = os.environ.get("VORI_SPEECH_DIR")
    for candidate in ([Path(override)] if override else []) + list(CANDIDATES):
        if (candidate / "MANIFEST.md").is_file():
            return candidate
    return None


MEETING_CANDIDATES = (
    REPO.parent / "shared" / "data" / "meetings",
    Path("/work/shared/data/meetings"),
)


def find_meetings_dir() -> Path | None:
    """The real annotated meetings (AMI, ICSI) beside the checkout; `VORI_MEETINGS_DIR`
    overrides."""
    override = os.environ.get("VORI_MEETINGS_DIR")
    for candidate in ([Path(override)] if override else []) + list(MEETING_CANDIDATES):
        if (candidate / "README.md").is_file() and (candidate / "ami").is_dir():
            return candidate
    return None
