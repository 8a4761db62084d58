"""A team's board and its people in real Chromium against the real stack: Ada makes a team
board and a meeting on it, invites Bea, who sees the meeting's card on the board; Ada removes
Bea (whose open page says so, and who then gets the not-found page), renames and deletes the
meeting, and the card stays on the board."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.api import Account, Api, wait_for
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.helpers.kanban import item, publish
from tests.helpers.stack import Stack
from vori.events import TaskProposal
from vori.settings import Settings

CARD_TITLE = "Book the launch venue"


def _accept(page: Page) -> None:
    """Say yes to the next confirm dialog."""

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.once("dialog", accept)


def _cards(api: Api, account: Account, board_id: str) -> list[dict[str, Any]]:
    return [c for column in api.board(account, board_id)["columns"] for c in column["cards"]]


def _no_axe_violations(page: Page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], where


def test_a_team_board_its_meeting_and_its_people(
    browser: Browser, stack: Stack, api: Api, settings: Settings
) -> None:
    ada, bea = api.register("Ada"), api.register("Bea")
    ada_context, ada_page, ada_errors = open_page(browser, stack.gateway_url)
    bea_context, bea_page, bea_errors = open_page(browser, stack.gateway_url)

    # Ada makes a team board and gives it a column, placed with buttons.
    sign_in(ada_page, ada, "/boards")
    ada_page.get_by_label("Board name").fill("Launch team")
    ada_page.get_by_role("button", name="Create board").click()
    expect(ada_page.get_by_role("heading", name="Launch team", level=1)).to_be_visible()
    board_id = ada_page.url.rsplit("/", 1)[-1]
    ada_page.get_by_role("button", name="Board settings").click()
    ada_page.get_by_label("New column").fill("Review")
    ada_page.get_by_role("button", name="Add column").click()
    expect(ada_page.locator(".board-settings").get_by_role("status")).to_contain_text(
        "Added the column “Review”"
    )
    ada_page.get_by_role("button", name="Move the column Review left").click()
    expect(ada_page.locator("section.column h2")).to_have_text(
        [re.compile(f"^{name}") for name in ("To do", "In progress", "Review", "Done")]
    )
    _no_axe_violations(ada_page, "board settings")

    # A meeting on that board, with Bea invited by e-mail.
    ada_page.get_by_role("link", name="Meetings").click()
    ada_page.get_by_label("Title").fill("Launch sync")
    ada_page.get_by_label("Tasks go to").select_option(label="Launch team")
    ada_page.get_by_role("button", name="Create meeting").click()
    expect(ada_page.get_by_role("heading", name="Launch sync", level=1)).to_be_visible()
    meeting_id = ada_page.url.rsplit("/", 1)[-1]
    ada_page.get_by_label("Invite by e-mail").fill(bea.email)
    ada_page.get_by_role("button", name="Invite", exact=True).click()
    expect(ada_page.locator(".people")).to_contain_text("Bea")

    # The meeting proposes a card; Bea, a member of the meeting only, sees it on the board.
    publish(
        settings,
        TaskProposal(
            meeting_id=meeting_id,
            board_id=board_id,
            items=[item(f"tk_{uuid.uuid4().hex[:12]}", CARD_TITLE, assignee="Bea")],
            source="rules",
        ),
    )
    card = wait_for(
        lambda: next((c for c in _cards(api, ada, board_id) if c["title"] == CARD_TITLE), None),
        30,
        "the proposed card on the board",
    )
    sign_in(bea_page, bea, f"/boards/{board_id}")
    expect(bea_page.locator(f"[data-card-id='{card['id']}']")).to_contain_text(CARD_TITLE)
    expect(bea_page.get_by_role("button", name="Board settings")).to_have_count(0)

    # Bea has the meeting open when Ada removes her.
    bea_page.goto(f"/meetings/{meeting_id}")
    expect(bea_page.locator(".live-badge")).to_have_attribute("data-state", "live")
    _no_axe_violations(ada_page, "meeting room, owner")
    _accept(ada_page)
    ada_page.get_by_role("button", name="Remove Bea from this meeting").click()
    expect(ada_page.locator(".people")).not_to_contain_text("Bea")
    expect(bea_page.get_by_role("alert")).to_have_text(
        "You are no longer a member of this meeting."
    )
    expect(bea_page.get_by_role("heading", name="No longer a member", level=1)).to_be_visible()
    _no_axe_violations(bea_page, "removed from the meeting")
    bea_page.reload()
    expect(bea_page.get_by_role("heading", name="Meeting not found", level=1)).to_be_visible()
    _no_axe_violations(bea_page, "meeting not found")

    # Ada renames the meeting, finds it by its new name, and deletes it.
    ada_page.get_by_role("button", name="Rename the meeting Launch sync").click()
    ada_page.get_by_label("Meeting title").fill("Launch retro")
    ada_page.get_by_role("button", name="Save title").click()
    expect(ada_page.get_by_role("heading", name="Launch retro", level=1)).to_be_visible()
    ada_page.get_by_role("link", name="Meetings").click()
    ada_page.get_by_label("Search your meetings").fill("RETRO")
    ada_page.get_by_role("button", name="Search", exact=True).click()
    expect(ada_page.locator(".meeting-list > li")).to_have_count(1)
    ada_page.get_by_label("Status").select_option("ended")
    expect(ada_page.get_by_text("No meetings match these filters.")).to_be_visible()
    _no_axe_violations(ada_page, "meetings, filtered")
    ada_page.get_by_role("button", name="Clear filters").click()
    ada_page.get_by_role("link", name="Launch retro").click()
    expect(ada_page.get_by_role("heading", name="Launch retro", level=1)).to_be_visible()
    _accept(ada_page)
    ada_page.get_by_role("button", name="Delete meeting").click()
    expect(ada_page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    expect(ada_page.get_by_role("link", name="Launch retro")).to_have_count(0)
    assert api.call(ada, "GET", f"/api/v1/meetings/{meeting_id}").status_code == 404

    # The card stays on the board, now a card of the board.
    ada_page.goto(f"/boards/{board_id}")
    expect(ada_page.locator(f"[data-card-id='{card['id']}']")).to_contain_text(CARD_TITLE)
    kept = next(c for c in _cards(api, ada, board_id) if c["id"] == card["id"])
    assert kept["meeting_id"] is None
    assert kept["evidence"], "the evidence quote stays"

    # Only the expected 404s (Bea's reload, the deleted meeting) reached the console.
    assert [e for e in ada_errors if "404" not in e] == []
    assert [e for e in bea_errors if "404" not in e] == []
    ada_context.close()
    bea_context.close()
