"""requirements.lock: every dependency of pyproject.toml pinned with hashes, within its
declared range (so above the CVE floors), naming no registry host; the image installs it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _dependencies() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(spec) for spec in project["dependencies"]]


def test_every_dependency_is_pinned_within_its_declared_range() -> None:
    pins = _pins()
    missing = [str(r) for r in _dependencies() if canonicalize_name(r.name) not in pins]
    assert not missing, f"regenerate requirements.lock (README): {missing}"
    outside = {
        str(r): pins[canonicalize_name(r.name)]
        for r in _dependencies()
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    }
    assert not outside, outside


def test_every_pin_carries_a_hash() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text())
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert not unhashed, unhashed
    assert len(_pins()) > len(_dependencies())  # the transitive ones too


def test_the_lock_names_no_registry_host_or_local_path() -> None:
    text = LOCK.read_text()
    for needle in ("://", "--index-url", "--extra-index-url", "--find-links", "--trusted-host"):
        assert needle not in text, needle
    assert not re.search(r"(^|\s)-[if]\s", text)
    assert not re.search(r"\s(/[\w.-]+){2,}", text), "a local path (a constraints file?)"


def test_the_image_installs_the_lock_with_hashes_checked() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
