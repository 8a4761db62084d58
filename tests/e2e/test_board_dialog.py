"""A board's card dialog and pages in real Chromium against the real stack: field edits and
a column change saved by one Save, a history a person reads, a clean page for a board that
is not there, a helpful message for a member without an account, and checkboxes beside
their labels."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.api import Api
from tests.e2e.browser import open_page, sign_in
from tests.helpers.stack import Stack


def test_a_description_and_a_column_change_are_saved_together(
    browser: Browser, stack: Stack, api: Api
) -> None:
    ada = api.register("Ada")
    board = api.json(ada, "POST", "/api/v1/boards", json={"name": "Launch"})
    card = api.json(
        ada, "POST", "/api/v1/cards", json={"board_id": board["id"], "title": "Write the notes"}
    )
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, ada, f"/boards/{board['id']}?card={card['id']}")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Description").fill("Before the review")
    dialog.get_by_label("Column").select_option(label="In progress")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.get_by_role("status")).to_have_text("Saved.")
    stored = api.json(ada, "GET", f"/api/v1/cards/{card['id']}")
    assert (stored["description"], stored["column"]) == ("Before the review", "In progress")

    history = dialog.locator(".history")
    expect(history).to_contain_text("Column: To do → In progress")
    expect(history).to_contain_text("Description: — → Before the review")
    for internal in ("col_", "false", "— → —"):
        expect(history).not_to_contain_text(internal)
    assert errors == [], errors
    context.close()


def test_a_missing_or_foreign_board_gets_a_clean_page(
    browser: Browser, stack: Stack, api: Api
) -> None:
    ada, ben = api.register("Ada"), api.register("Ben")
    private = api.json(ben, "POST", "/api/v1/boards", json={"name": "Ben's plans"})
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, ada, "/boards/brd_nope")
    for path in ("/boards/brd_nope", f"/boards/{private['id']}"):
        page.goto(path)
        expect(page.get_by_role("heading", name="Board not found", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Back to your boards")).to_be_visible()
        expect(page.get_by_text("Board analytics")).to_have_count(0)
        # The server's own words ("board brd_… not found") are not shown.
        expect(page.locator("main")).not_to_contain_text("brd_")
    # The browser logs each 404 answer; nothing else may fail.
    assert [e for e in errors if "404" not in e] == [], errors
    context.close()


def test_adding_a_member_without_an_account_says_to_register_first(
    browser: Browser, stack: Stack, api: Api
) -> None:
    ada = api.register("Ada")
    board = api.json(ada, "POST", "/api/v1/boards", json={"name": "Hiring"})
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, ada, f"/boards/{board['id']}")
    page.get_by_role("button", name="Board settings").click()
    page.get_by_label("Add a member by e-mail").fill("nobody-yet@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".board-settings").get_by_role("alert")).to_have_text(
        "No vori account uses nobody-yet@example.com. Ask them to register first, then add"
        " them here."
    )
    expect(page.get_by_text("words the meetings on this board will use")).to_be_visible()
    # A checkbox sits beside its label's text, not centred above it.
    event = page.locator(".board-settings fieldset label").first
    box, text = event.locator("input").bounding_box(), event.bounding_box()
    assert box is not None
    assert text is not None
    assert box["height"] * 2 > text["height"], (box, text)
    assert [e for e in errors if "404" not in e] == [], errors
    context.close()
