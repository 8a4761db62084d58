"""Stored user input is shown as text on every page, never run as markup (real Chromium).

A meeting title, a participant's name, a transcript line, the summary, a board name and
a card carry HTML and script payloads. The pages are opened with the CSP bypassed, so
what is tested is the escaping itself, not the CSP behind it: no payload may run
(`window.__xss` stays undefined), none may become an element, and each must be shown
literally.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.api import PASSWORD, Account, Api
from tests.e2e.browser import sign_in
from tests.helpers.gateway import produce
from tests.helpers.stack import Stack
from vori.events import MeetingSummary, TranscriptSegment, segment_id_for
from vori.settings import Settings

TITLE = "<img src=x onerror=window.__xss=1>"
NAME = "<img src=y onerror=window.__xss=2>"
SCRIPT = "<script>window.__xss=3</script>"
BOARD = '<svg onload="window.__xss=4"></svg>'
INJECTED = """() => ({
  xss: window.__xss === undefined ? null : window.__xss,
  elements: document.querySelectorAll('img[src="x"], img[src="y"], svg[onload]').length,
  scripts: [...document.scripts].filter(s => s.text.includes("__xss")).length,
})"""


def _register_named(api: Api, display_name: str) -> Account:
    """An account whose display name is `display_name` (Api.register puts it in the e-mail)."""
    email = f"named-{uuid.uuid4().hex[:8]}@example.com"
    created = api.http.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": display_name},
    )
    assert created.status_code == 201, created.text
    token = api.http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    user_id = created.json()["id"]
    return Account(user_id, display_name, email, PASSWORD, token.json()["access_token"])


@pytest.fixture(scope="module")
def seeded(api: Api, settings: Settings) -> dict[str, Any]:
    """A meeting, its board, a card, a transcript line and a summary, all with payloads."""
    owner, speaker = api.register("Owner"), _register_named(api, NAME)
    board = api.json(owner, "POST", "/api/v1/boards", json={"name": BOARD})
    meeting = api.create_meeting(owner, TITLE, board_id=board["id"])
    api.invite(owner, meeting["id"], speaker)
    api.json(
        owner,
        "POST",
        "/api/v1/cards",
        json={"board_id": board["id"], "title": SCRIPT, "description": TITLE, "assignee": NAME},
    )
    stream_id = f"{meeting['id']}:{speaker.user_id}:mic"
    line = TranscriptSegment(
        id=segment_id_for(stream_id, 0),
        meeting_id=meeting["id"],
        stream_id=stream_id,
        participant_id=speaker.user_id,
        speaker=NAME,
        final=True,
        start=0.0,
        end=2.0,
        start_sample=0,
        end_sample=32_000,
        text=f"I said {SCRIPT} out loud",
        language="en",
        confidence=0.9,
        model="tiny.en",
    )
    summary = MeetingSummary(
        meeting_id=meeting["id"],
        kind="final",
        revision=1_000,  # later than anything the stack's own summarizer writes
        overview=f"Overview {SCRIPT}",
        key_points=[TITLE],
        decisions=[NAME],
        source="rules",
    )
    produce(settings, line, summary)
    return {"owner": owner, "meeting": meeting, "board": board}


def _open(browser: Browser, stack: Stack, owner: Account, path: str) -> Page:
    # The CSP bypassed: the escaping alone must stop the payloads.
    context = browser.new_context(base_url=stack.gateway_url, bypass_csp=True)
    page = context.new_page()
    sign_in(page, owner, path)
    return page


def _assert_inert(page: Page) -> None:
    assert page.evaluate(INJECTED) == {"xss": None, "elements": 0, "scripts": 0}


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/", [TITLE]),
        ("/meetings/{meeting}", [TITLE, NAME, f"I said {SCRIPT} out loud"]),
        ("/meetings/{meeting}/summary", [TITLE, f"Overview {SCRIPT}"]),
        ("/boards", [BOARD]),
        ("/boards/{board}", [BOARD, SCRIPT]),
    ],
    ids=["meetings", "meeting", "summary", "boards", "board"],
)
def test_stored_payloads_are_shown_as_text_and_never_run(
    browser: Browser, stack: Stack, seeded: dict[str, Any], path: str, shown: list[str]
) -> None:
    url = path.format(meeting=seeded["meeting"]["id"], board=seeded["board"]["id"])
    page = _open(browser, stack, seeded["owner"], url)
    try:
        for text in shown:
            expect(page.get_by_text(text).first).to_be_visible(timeout=30_000)
        _assert_inert(page)
    finally:
        page.context.close()


def test_the_probe_sees_a_payload_that_is_rendered_as_html(
    browser: Browser, stack: Stack, seeded: dict[str, Any]
) -> None:
    """The checks above can fail: the same payload inserted as HTML runs and is found."""
    page = _open(browser, stack, seeded["owner"], "/")
    try:
        expect(page.get_by_text(TITLE).first).to_be_visible(timeout=30_000)
        page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", TITLE)
        page.wait_for_function("() => window.__xss !== undefined", timeout=10_000)
        found = page.evaluate(INJECTED)
        assert found["xss"] == 1
        assert found["elements"] == 1
    finally:
        page.context.close()
