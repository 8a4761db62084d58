"""Chromium processes with a fake microphone, signed-in pages, and page checks (axe, console).

The fake microphone plays a WAV file once (`%noloop`) from the moment getUserMedia opens
it; the flag is per browser process, so each participant gets a browser of their own.
A recorder wraps WebSocket in every page so that tests can time what went over the wire.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)

from tests.e2e.api import Account
from tests.helpers.stack import REPO

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}
# Without the background-networking flags Chromium keeps dialling Google's hosts, which
# this machine's closed network refuses (machine notes).
BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--autoplay-policy=no-user-gesture-required",
]

# Every WebSocket message, in and out, with its wall-clock time in ms (for latency).
WIRE_RECORDER = """
(() => {
  const log = [];
  window.__voriWire = log;
  const Native = window.WebSocket;
  class RecordedSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.__channel = String(url).includes("/audio") ? "audio" : "events";
      this.__socket = ++RecordedSocket.count;
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string") {
          log.push({ t: performance.timeOrigin + performance.now(), dir: "in",
                     channel: this.__channel, socket: this.__socket, data: event.data });
        }
      });
    }
    send(data) {
      const entry = { t: performance.timeOrigin + performance.now(), dir: "out",
                      channel: this.__channel, socket: this.__socket };
      if (typeof data === "string") entry.data = data; else entry.bytes = data.byteLength;
      log.push(entry);
      return super.send(data);
    }
  }
  RecordedSocket.count = 0;
  window.WebSocket = RecordedSocket;
})();
"""


@dataclass
class Participant:
    """One person in one browser: their account, page and what the page reported."""

    name: str
    email: str
    password: str
    token: str
    user_id: str
    context: BrowserContext
    page: Page
    console_errors: list[str] = field(default_factory=list)

    def wire(self) -> list[dict[str, Any]]:
        """The page's recorded WebSocket traffic (since its last load)."""
        return list(self.page.evaluate("window.__voriWire || []"))


class Browsers:
    """Launches Chromium processes through one Playwright driver and closes them all."""

    def __init__(self, chromium: Path, workdir: Path) -> None:
        self.chromium = chromium
        self.workdir = workdir
        self._playwright: Playwright | None = None
        self._browsers: list[Browser] = []

    def __enter__(self) -> Browsers:
        self._playwright = sync_playwright().start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for browser in self._browsers:
            browser.close()
        assert self._playwright is not None
        self._playwright.stop()

    def launch(self, microphone: Path | None = None, *, allow_microphone: bool = True) -> Browser:
        """A browser whose fake microphone plays `microphone` once (silence when None)."""
        args = [*BASE_ARGS, "--use-fake-device-for-media-stream"]
        if allow_microphone:
            args.append("--use-fake-ui-for-media-stream")
        else:
            args.append("--deny-permission-prompts")
        if microphone is not None:
            args.append(f"--use-file-for-fake-audio-capture={microphone.resolve()}%noloop")
        assert self._playwright is not None
        browser = self._playwright.chromium.launch(
            executable_path=str(self.chromium), headless=True, args=args
        )
        self._browsers.append(browser)
        return browser


def open_page(
    browser: Browser,
    base_url: str,
    *,
    viewport: dict[str, int] | None = None,
    microphone: bool = True,
    locale: str | None = None,
) -> tuple[BrowserContext, Page, list[str]]:
    """A new context and page with the wire recorder; console errors are collected.
    `locale` sets the browser's language (navigator.languages); Playwright's default is en-US."""
    context = browser.new_context(base_url=base_url, viewport=viewport or LAPTOP, locale=locale)  # type: ignore[arg-type]
    if microphone:
        context.grant_permissions(["microphone"], origin=base_url)
    context.add_init_script(WIRE_RECORDER)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return context, page, errors


def sign_in(page: Page, account: Account, path: str = "/") -> None:
    """Log in as the app does, so this browser context holds the refresh cookie (the token
    lives in the page's memory only), then open `path`: the page signs in from the cookie."""
    answer = page.context.request.post(
        "/api/v1/auth/token", form={"username": account.email, "password": account.password}
    )
    assert answer.ok, answer.text()
    page.goto(path)


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts on the page as it is now, one line each."""
    # Evaluated over the DevTools protocol, which the page's CSP (script-src 'self', no
    # inline scripts) does not govern: a <script> tag would be refused, rightly.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ["violations"] });
          return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")) }));
        }"""
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {json.dumps(v['nodes'])}"
        for v in result
        if v["impact"] in impacts
    ]
