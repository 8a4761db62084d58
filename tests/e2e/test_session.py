"""The signed-in session in Chromium: after registering or signing in, no token is kept in
localStorage or sessionStorage (an injected script finds nothing to carry off), the refresh
cookie is httpOnly, SameSite=Strict and scoped to the auth path, a reload stays signed in,
and signing out ends the sign-in for good."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.api import PASSWORD, Api
from tests.e2e.browser import open_page
from tests.e2e.conftest import require_services
from tests.helpers.stack import Stack

# Every value of both storages and every cookie a script can read, in one string.
READABLE = """() => JSON.stringify({
  local: Object.fromEntries(Object.entries(localStorage)),
  session: Object.fromEntries(Object.entries(sessionStorage)),
  cookie: document.cookie,
})"""
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def _signed_in(page: Page, name: str) -> None:
    expect(page.locator(".account-name")).to_have_text(name)
    expect(page).not_to_have_url(re.compile("/login"))


def _nothing_readable(page: Page, context: BrowserContext) -> dict[str, Any]:
    """What a script on the page can read holds no token; the refresh cookie's attributes."""
    readable = page.evaluate(READABLE)
    assert not JWT.search(readable), readable
    assert "vori_refresh" not in readable, readable
    cookies = [c for c in context.cookies() if c["name"] == "vori_refresh"]
    assert len(cookies) == 1, context.cookies()
    cookie: dict[str, Any] = dict(cookies[0])
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    return cookie


def test_no_token_in_page_storage_and_a_reload_stays_signed_in(
    browser: Browser, stack: Stack, api: Api
) -> None:
    context, page, errors = open_page(browser, stack.gateway_url)
    email = f"keeper-{uuid.uuid4().hex[:8]}@example.com"
    page.goto("/register")
    page.get_by_label("Your name").fill("Keeper")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    _signed_in(page, "Keeper")
    first = _nothing_readable(page, context)

    page.reload()
    _signed_in(page, "Keeper")
    again = _nothing_readable(page, context)
    assert again["value"] != first["value"]  # each load rotated the cookie
    # The page works with its in-memory token after the reload.
    page.get_by_label("Title").fill("After reload")
    page.get_by_role("button", name="Create meeting").click()
    expect(page.get_by_role("heading", name="After reload", level=1)).to_be_visible()

    # Signing out ends the sign-in: the old cookie is dead on the server, and a reload (or
    # a new tab) shows the sign-in form.
    with page.expect_response("**/api/v1/auth/logout") as logout:
        page.get_by_role("button", name="Sign out").click()
    assert logout.value.status == 204
    expect(page).to_have_url(re.compile("/login"))
    assert not [c for c in context.cookies() if c["name"] == "vori_refresh"]
    page.reload()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    refused = httpx.post(
        f"{stack.gateway_url}/api/v1/auth/refresh", cookies={"vori_refresh": again["value"]}
    )
    assert refused.status_code == 401, refused.text

    # Signing in with the form keeps nothing in storage either.
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    _signed_in(page, "Keeper")
    _nothing_readable(page, context)
    assert [e for e in errors if "401" not in e] == []
    context.close()
