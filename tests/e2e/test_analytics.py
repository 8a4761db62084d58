"""The analytics pages and the room's live talk time in real Chromium, over seeded rows of the
analytics tables (what the Spark jobs would have written), at laptop and phone width."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.api import Account, Api
from tests.e2e.browser import LAPTOP, PHONE, axe_violations, open_page, sign_in
from tests.helpers.analytics import (
    analytics_session,
    board_rows,
    live_row,
    meeting_row,
    speaker_row,
)
from tests.helpers.stack import Stack
from vori.db.tables import AnalyticsLiveSpeaker

VIEWPORTS = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])


@dataclass(frozen=True)
class Seeded:
    owner: Account
    guest: Account
    meeting_id: str
    board_id: str


@pytest.fixture(scope="module")
def seeded(stack: Stack, api: Api) -> Seeded:
    """A running meeting on a board, analysed once, with live totals for two people."""
    owner, guest = api.register("Mina"), api.register("Joon")
    board_id = api.json(owner, "POST", "/api/v1/boards", json={"name": "Design team"})["id"]
    meeting = api.create_meeting(owner, "Design review", board_id=board_id)
    api.invite(owner, meeting["id"], guest)
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).date()
    with analytics_session(stack.settings) as session:
        session.add(meeting_row(meeting["id"], now, board_id, efficiency=68.0, gini=0.31))
        session.add_all(
            [
                speaker_row(meeting["id"], owner.user_id, "Mina", 1080.0, 0.72, words=2900),
                speaker_row(meeting["id"], guest.user_id, "Joon", 420.0, 0.28, words=1000),
                live_row(meeting["id"], owner.user_id, "Mina", 90.0, 230),
                live_row(meeting["id"], guest.user_id, "Joon", 30.0, 70),
            ]
        )
        session.add_all(
            board_rows(
                board_id,
                # Two weeks inside any 30-day look-back, two outside it.
                [monday - timedelta(weeks=n) for n in (8, 6, 1, 0)],
                {owner.user_id: "Mina", guest.user_id: "Joon"},
                now,
            )
        )
    return Seeded(owner, guest, meeting["id"], board_id)


def _drawn(page: Page, name: str) -> bool:
    """Whether the chart's canvas has any painted pixel (Chart.js drew it)."""
    canvas = page.get_by_role("img", name=re.compile(re.escape(name)))
    return bool(
        canvas.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
                      return false; }"""
        )
    )


def _check_page(page: Page, viewport: dict[str, int], errors: list[str]) -> None:
    assert axe_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"scrolls sideways by {overflow} px at {viewport}"
    assert errors == []


@VIEWPORTS
def test_meeting_analytics_page_shows_charts_and_figures(
    browser: Browser,
    stack: Stack,
    seeded: Seeded,
    viewport: dict[str, int],
    screenshots_dir: Path,
) -> None:
    context, page, errors = open_page(browser, stack.gateway_url, viewport=viewport)
    sign_in(page, seeded.guest, f"/meetings/{seeded.meeting_id}")
    page.get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", name="Analytics of Design review", level=1)).to_be_visible()
    # Analysed while it still runs: the page says the figures are partial.
    partial = page.get_by_role("status").filter(has_text="while the meeting was still running")
    expect(partial).to_be_visible()
    figures = page.get_by_role("region", name="The meeting in figures")
    expect(figures).to_contain_text("Efficiency")
    expect(figures).to_contain_text("68 / 100")
    expect(figures).to_contain_text("0.31")

    talk = page.get_by_role("img", name=re.compile("Share of talk time"))
    expect(talk).to_have_accessible_name(re.compile("Mina spoke most, 72% of the talk time"))
    for chart in ("Share of talk time", "Words per minute", "Interruptions"):
        expect(page.get_by_role("figure", name=chart)).to_be_visible()
        page.wait_for_function(
            "name => [...document.querySelectorAll('canvas')].some(c => "
            "(c.getAttribute('aria-label') || '').startsWith(name) && c.width > 0)",
            arg=chart,
        )
        assert _drawn(page, chart), f"{chart} was not drawn"
    page.get_by_role("figure", name="Share of talk time").get_by_text("Show the numbers").click()
    numbers = page.get_by_role("region", name="Share of talk time (table)")
    expect(numbers.get_by_role("row", name=re.compile("Mina"))).to_contain_text("72%")

    table = page.get_by_role("region", name="Every figure per speaker")
    expect(table.get_by_role("row", name=re.compile("Joon"))).to_contain_text("7 min")
    expect(table.get_by_role("row", name=re.compile("Mina"))).to_contain_text("161")  # wpm

    live = page.get_by_role("list", name="Talk time so far")
    expect(live.get_by_role("listitem")).to_have_count(2)
    expect(live.get_by_role("listitem").first).to_contain_text("Mina")
    expect(live.get_by_role("listitem").first).to_contain_text("1 min 30 s · 75%")
    _check_page(page, viewport, errors)
    width = viewport["width"]
    page.screenshot(path=str(screenshots_dir / f"analytics-meeting-{width}.png"), full_page=True)
    context.close()


@VIEWPORTS
def test_board_analytics_page_shows_weeks_people_and_topics(
    browser: Browser,
    stack: Stack,
    seeded: Seeded,
    viewport: dict[str, int],
    screenshots_dir: Path,
) -> None:
    context, page, errors = open_page(browser, stack.gateway_url, viewport=viewport)
    sign_in(page, seeded.owner, f"/boards/{seeded.board_id}")
    page.get_by_role("link", name="Board analytics").click()
    expect(page.get_by_role("heading", name="Analytics of Design team", level=1)).to_be_visible()
    for chart in (
        "Meeting hours per week",
        "Action items per week",
        "Median time to done",
        "Share of talk time per person",
        "Recurring topics",
        "Keyword trends",
    ):
        expect(page.get_by_role("figure", name=chart)).to_be_visible()
    expect(page.get_by_role("list").filter(has_text="release, beta, notes")).to_be_visible()
    meetings = page.get_by_role("region", name="Your meetings on this board")
    expect(meetings.get_by_role("link", name="Design review")).to_be_visible()
    figures = page.get_by_role("region", name="The period in figures")
    expect(figures).to_contain_text("15 h")  # 1.5 + 3 + 4.5 + 6 hours over four weeks
    width = viewport["width"]
    page.screenshot(path=str(screenshots_dir / f"analytics-board-{width}.png"), full_page=True)

    # A shorter period drops the older weeks.
    page.get_by_label("Period", exact=True).select_option("30d")
    expect(page).to_have_url(re.compile(r"since=30d"))
    expect(figures).to_contain_text("10.5 h")
    _check_page(page, viewport, errors)

    meetings.get_by_role("link", name="Design review").click()
    expect(page.get_by_role("heading", name="Analytics of Design review")).to_be_visible()
    context.close()


def test_meeting_room_shows_live_talk_time_as_it_changes(
    browser: Browser, stack: Stack, seeded: Seeded, screenshots_dir: Path
) -> None:
    context, page, errors = open_page(browser, stack.gateway_url)
    sign_in(page, seeded.owner, f"/meetings/{seeded.meeting_id}")
    bars = page.get_by_role("list", name="Talk time")
    expect(bars.get_by_role("listitem").first).to_contain_text("Mina")
    expect(bars.get_by_role("listitem").last).to_contain_text("30 s · 25%")

    # The live job adds Joon's next minute: the room shows it without a reload.
    with analytics_session(stack.settings) as session:
        row = session.get(AnalyticsLiveSpeaker, (seeded.meeting_id, seeded.guest.user_id))
        assert row is not None
        row.talk_s = 90.0
        row.updated_at = datetime.now(UTC)
    expect(bars).to_contain_text("1 min 30 s · 50%", timeout=15_000)
    page.screenshot(path=str(screenshots_dir / "analytics-room-talk-time.png"))
    assert axe_violations(page) == []
    assert errors == []
    context.close()
