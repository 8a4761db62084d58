"""A board's webhooks managed in real Chromium against the real stack: add one (its secret
is shown once), see it listed with its deliveries, remove it."""

from __future__ import annotations

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.e2e.api import Api
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.helpers.stack import Stack

# A public address: the target check passes without resolving a name, and no event of
# this board is ever sent there.
URL = "https://93.184.215.14/vori-hook"


def _accept(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.once("dialog", accept)


def test_a_board_member_adds_a_webhook_sees_its_secret_once_and_removes_it(
    browser: Browser, stack: Stack, api: Api
) -> None:
    ada = api.register("Ada")
    board = api.json(ada, "POST", "/api/v1/boards", json={"name": "Hooked board"})
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, ada, f"/boards/{board['id']}")
    expect(page.get_by_role("heading", name="Hooked board", level=1)).to_be_visible()

    page.get_by_role("button", name="Board settings").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    page.get_by_label("Webhook URL").fill(URL)
    page.get_by_label("card.created").check()
    page.get_by_role("button", name="Add webhook").click()
    secret = page.locator(".board-settings code")
    expect(secret).to_contain_text("whsec_")
    listed = page.locator(".board-settings li", has_text=URL)
    expect(listed).to_contain_text("card.created")
    expect(listed).to_contain_text("Latest deliveries (0)")
    page.wait_for_load_state("networkidle")
    # The columns section's move buttons ("Move left", named "Move the column To do left")
    # are another section's known label-content-name-mismatch; this one must add none.
    found = [v for v in axe_violations(page) if "#column-move-" not in v]
    assert found == [], "board settings with a webhook"

    [hook] = api.json(ada, "GET", f"/api/v1/webhooks?board_id={board['id']}")
    assert hook["url"] == URL
    assert "secret" not in hook

    _accept(page)
    page.get_by_role("button", name=f"Remove the webhook to {URL}").click()
    expect(page.get_by_text("No webhooks yet.")).to_be_visible()
    assert api.json(ada, "GET", f"/api/v1/webhooks?board_id={board['id']}") == []
    assert errors == [], errors
    context.close()
