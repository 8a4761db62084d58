"""End-to-end fixtures: the built web app, the whole stack as processes, real Chromium.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`), driven by Python
Playwright; nothing downloads a browser. Each participant is its own browser process,
because the fake microphone file is per process.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.api import Api
from tests.e2e.browser import Browsers
from tests.helpers.stack import REPO, Stack
from vori.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
# Short meetings: summaries (and the cards they propose) follow a few words of speech
# within seconds instead of the production 150 words or 60 s; rules, never an LLM. The
# speech is two read-out requests, not a meeting: the rules alone decide what is a task
# (the detector, tuned on real meetings, rightly takes them for in-meeting talk).
STACK_SETTINGS = {
    "VORI_SUMMARIZER__LLM": "off",
    "VORI_SUMMARIZER__DETECTOR": "false",
    "VORI_SUMMARIZER__REFRESH_WORDS": "10",
    "VORI_SUMMARIZER__REFRESH_INTERVAL_S": "2",
}


def require_services(stack: Stack, *names: str) -> None:
    """Skip, naming what is missing, when a service this test needs is not in the checkout."""
    missing = [name for name in names if name not in stack.processes]
    if missing:
        pytest.skip(f"needs the {', '.join(missing)} service(s), not built in this checkout yet")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed (`.ci/run` installs it: apt-get install chromium)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """The built web app; `make web` rebuilds it only when its sources changed."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the web app cannot be built")
    result = subprocess.run(
        ["make", "--no-print-directory", "web"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"make web failed:\n{result.stdout}\n{result.stderr}"
    index = REPO / "web" / "dist" / "index.html"
    assert index.is_file(), "make web did not produce web/dist/index.html"
    return index.parent


@pytest.fixture(scope="session")
def stack(
    settings: Settings, web_dist: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Every service of this checkout, started once for the e2e tests."""
    running = Stack(
        settings, tmp_path_factory.mktemp("stack"), uuid.uuid4().hex[:8], overrides=STACK_SETTINGS
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browsers(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browsers]:
    """A Playwright driver that launches Chromium processes, each with its own microphone."""
    with Browsers(chromium, tmp_path_factory.mktemp("browsers")) as launched:
        yield launched


@pytest.fixture(scope="module")
def browser(browsers: Browsers) -> Browser:
    """A module's Chromium with the default fake microphone (a module may define its own)."""
    return browsers.launch()


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    """The REST API as a test client, for modules that need the gateway and kanban (a
    module that needs other services defines its own)."""
    require_services(stack, "gateway", "kanban")
    client = Api(stack.gateway_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where the e2e run saves its screenshots: `bench/results/screenshots/` (ignored by git).

    A test run must leave the checkout clean; copy a good pair to `docs/screenshots/` by hand
    when the README's pictures should change.
    """
    path = REPO / "bench" / "results" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
