"""The web app's pure modules (audio framing and resume, resampler, transcript state, board
moves) pass their Vitest suite under Node."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.stack import REPO


def test_web_unit_tests_pass(web_dist: Path) -> None:
    if shutil.which("npx") is None:
        pytest.skip("Node's npx is not installed")
    result = subprocess.run(
        ["npx", "--no-install", "vitest", "run", "--reporter=dot"],
        cwd=REPO / "web",
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
