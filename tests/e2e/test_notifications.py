"""In-app notifications in Chromium: Bora's bell counts up live when Ana assigns her a card,
the list leads to the card on its board and marks it read, and the whole is axe-clean."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.api import Api
from tests.e2e.browser import Browsers, axe_violations, open_page, sign_in
from tests.helpers.stack import Stack


def test_an_assigned_card_raises_the_bell_live_and_leads_to_the_card(
    api: Api, stack: Stack, browsers: Browsers
) -> None:
    ana, bora = api.register("Ana"), api.register("Bora")
    board_id = api.json(ana, "POST", "/api/v1/boards", json={"name": "Launch"})["id"]
    api.json(ana, "POST", f"/api/v1/boards/{board_id}/members", json={"email": bora.email})

    context, page, errors = open_page(browsers.launch(), stack.gateway_url)
    try:
        sign_in(page, bora, "/")
        bell = page.get_by_role("button", name=re.compile("^Notifications"))
        expect(bell).to_be_visible(timeout=15_000)
        count = page.get_by_test_id("unread-count")
        expect(count).to_be_hidden()

        # Ana assigns a card to Bora: the count rises on Bora's open page, no reload.
        page.evaluate("window.__sameDocument = true")
        card = api.json(
            ana,
            "POST",
            "/api/v1/cards",
            json={"board_id": board_id, "title": "Print the flyers", "assignee": bora.email},
        )
        expect(count).to_be_visible(timeout=30_000)
        expect(count).to_contain_text("1")
        expect(bell).to_have_accessible_name(re.compile("1 unread"))
        assert page.evaluate("window.__sameDocument") is True

        bell.click()
        expect(bell).to_have_attribute("aria-expanded", "true")
        panel = page.get_by_role("region", name="Notifications")
        item = panel.get_by_role("link", name=re.compile("Print the flyers"))
        expect(item).to_be_visible()
        expect(item).to_contain_text("Ana assigned you")
        assert axe_violations(page) == []

        item.click()
        expect(page).to_have_url(re.compile(rf"/boards/{board_id}\?card={card['id']}$"))
        expect(page.get_by_role("dialog", name="Print the flyers")).to_be_visible(timeout=15_000)
        expect(count).to_be_hidden()
        listing = api.json(bora, "GET", "/api/v1/notifications")
        assert listing["unread"] == 0
        assert [n["card_id"] for n in listing["notifications"]] == [card["id"]]
        assert errors == []
    finally:
        context.close()
