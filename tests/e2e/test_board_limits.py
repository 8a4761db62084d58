"""A column's WIP limit and an archived board in real Chromium against the real stack."""

from __future__ import annotations

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.api import Api
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.helpers.stack import Stack


def _accept(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.once("dialog", accept)


def test_a_wip_limit_stops_one_card_too_many_and_an_archived_board_leaves_the_list(
    browser: Browser, stack: Stack, api: Api
) -> None:
    ada = api.register("Ada")
    board = api.json(ada, "POST", "/api/v1/boards", json={"name": "Focus board"})
    for title in ("Write the spec", "Review the spec"):
        api.json(ada, "POST", "/api/v1/cards", json={"board_id": board["id"], "title": title})
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, ada, f"/boards/{board['id']}")
    expect(page.get_by_role("heading", name="Focus board", level=1)).to_be_visible()

    page.get_by_role("button", name="Board settings").click()
    page.get_by_label("WIP limit of the column In progress", exact=True).fill("1")
    page.get_by_role("button", name="Set limit of the column In progress").click()
    expect(page.locator(".board-settings").get_by_role("status")).to_contain_text(
        "holds at most 1 cards"
    )
    doing = page.locator("section.column h2").nth(1)
    expect(doing).to_contain_text("(0/1")

    page.get_by_role("button", name="Move “Write the spec” to In progress").click()
    expect(doing).to_contain_text("(1/1")
    page.get_by_role("button", name="Move “Review the spec” to In progress").click()
    expect(page.get_by_role("alert")).to_contain_text("at its WIP limit of 1")
    expect(page.locator("section.column").nth(0)).to_contain_text("Review the spec")
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], "board with a WIP limit"

    _accept(page)
    page.get_by_role("button", name="Archive board").click()
    expect(page.get_by_text("This board is archived")).to_be_visible()
    page.get_by_role("link", name="Boards", exact=True).click()
    expect(page.get_by_role("link", name="Focus board")).to_have_count(0)
    assert errors == [], errors
    context.close()
