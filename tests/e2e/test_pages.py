"""The web app's pages in real Chromium against the real stack: sign-in, meetings, errors, a11y."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.api import Account, Api
from tests.e2e.browser import LAPTOP, PHONE, Browsers, axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.stack import REPO, Stack

RESULTS = REPO / "bench" / "results"


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def test_register_and_sign_in_show_clear_errors(browser: Browser, stack: Stack, api: Api) -> None:
    taken = api.register("Taken")
    context, page, errors = open_page(browser, stack.gateway_url)
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create an account")).to_be_focused()
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("E-mail").fill("ana-e2e@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("at least 8 characters")

    page.get_by_label("E-mail").fill(taken.email)
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")

    page.goto("/login")
    page.get_by_label("E-mail").fill(taken.email)
    page.get_by_label("Password").fill("wrong-password-123")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")

    page.get_by_label("Password").fill(taken.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    expect(page.get_by_text("Taken", exact=True)).to_be_visible()
    # The failed sign-ins answered 401/409: the browser logs those loads, nothing else.
    assert [e for e in errors if "401" not in e and "409" not in e] == []
    context.close()


def test_create_invite_and_open_a_meeting(browser: Browser, stack: Stack, api: Api) -> None:
    owner, guest = api.register("Owner"), api.register("Guest")
    context, page, errors = open_page(browser, stack.gateway_url)
    sign_in(page, owner)
    page.get_by_label("Title").fill("Weekly sync")
    page.get_by_label("Language").select_option("en")
    page.get_by_label("Which commitments become cards").select_option("thorough")
    page.get_by_label("Transcription accuracy").select_option("high")
    page.get_by_role("button", name="Create meeting").click()
    expect(page.get_by_role("heading", name="Weekly sync", level=1)).to_be_visible()
    meeting_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_label("Which commitments become cards")).to_have_value("thorough")
    assert api.json(owner, "GET", f"/api/v1/meetings/{meeting_id}")["accuracy"] == "high"

    page.get_by_role("link", name="Meetings").click()
    row = page.get_by_role("listitem").filter(has_text="Weekly sync")
    row.get_by_role("button", name=re.compile("Invite")).click()
    row.get_by_label("Invite by e-mail").fill("nobody-here@example.com")
    row.get_by_role("button", name="Invite", exact=True).click()
    expect(row.get_by_role("alert")).to_contain_text("No vori account uses nobody-here@example.com")
    row.get_by_label("Invite by e-mail").fill(guest.email)
    row.get_by_role("button", name="Invite", exact=True).click()
    expect(row.get_by_role("status")).to_contain_text(f"{guest.email} can now join")

    # The guest sees it in their list and opens it.
    guest_context, guest_page, guest_errors = open_page(browser, stack.gateway_url)
    sign_in(guest_page, guest)
    guest_page.get_by_role("link", name="Weekly sync", exact=True).click()
    expect(guest_page).to_have_url(re.compile(f"/meetings/{meeting_id}$"))
    expect(guest_page.locator(".people")).to_contain_text("Owner")
    expect(guest_page.locator(".people")).to_contain_text("Guest")
    assert [e for e in errors if "404" not in e] == []
    assert guest_errors == []
    context.close()
    guest_context.close()


def test_ended_session_shows_a_clear_message(browser: Browser, stack: Stack, api: Api) -> None:
    account = api.register("Late")
    meeting = api.create_meeting(account, "Ended session check")
    context, page, errors = open_page(browser, stack.gateway_url)
    sign_in(page, account, f"/meetings/{meeting['id']}")
    expect(page.get_by_role("heading", name="Ended session check")).to_be_visible()

    # The sign-in is ended elsewhere (log-out with a copy of this browser's cookie): the next
    # load finds its cookie refused and says so.
    cookie = next(c for c in context.cookies() if c["name"] == "vori_refresh")
    ended = httpx.post(
        f"{stack.gateway_url}/api/v1/auth/logout", cookies={"vori_refresh": cookie["value"]}
    )
    assert ended.status_code == 204
    page.reload()
    expect(page).to_have_url(re.compile("/login"))
    expect(page.get_by_role("status")).to_have_text("Your session has ended. Please sign in again.")

    # Signing in again returns to the page that was asked for.
    page.get_by_label("E-mail").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Ended session check")).to_be_visible()
    assert [e for e in errors if "401" not in e] == []
    context.close()


def test_unreachable_server_shows_a_clear_message(browser: Browser, stack: Stack, api: Api) -> None:
    account = api.register("Offline")
    context, page, _errors = open_page(browser, stack.gateway_url)
    sign_in(page, account)
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    stack.stop_service("gateway")
    try:
        page.get_by_label("Title").fill("Made while the server is down")
        page.get_by_role("button", name="Create meeting").click()
        # The form says so beside itself; the meeting list, polling, may say so too.
        form = page.get_by_role("region", name="Start a meeting")
        expect(form.get_by_role("alert")).to_contain_text("Cannot reach the vori server")
    finally:
        stack.start(["gateway"])
    page.get_by_role("button", name="Create meeting").click()
    expect(page.get_by_role("heading", name="Made while the server is down")).to_be_visible()
    context.close()


def _pages(stack: Stack, api: Api) -> tuple[Account, list[tuple[str, str]]]:
    owner = api.register("Axe")
    meeting = api.create_meeting(owner, "Accessibility review")
    pages = [
        ("meetings", "/"),
        ("meetings, filtered to none", "/?q=nothing-like-this&status=ended&from=2026-01-01"),
        ("meeting room", f"/meetings/{meeting['id']}"),
        ("summary", f"/meetings/{meeting['id']}/summary"),
        ("meeting analytics (pending)", f"/meetings/{meeting['id']}/analytics"),
        ("search", "/search?q=review"),
        ("my tasks", "/tasks"),
    ]
    if "kanban" in stack.processes and meeting.get("board_id"):
        board_id = meeting["board_id"]
        card = api.json(
            owner, "POST", "/api/v1/cards", json={"board_id": board_id, "title": "Write the notes"}
        )
        pages += [
            ("boards", "/boards"),
            ("board", f"/boards/{board_id}"),
            ("card details", f"/boards/{board_id}?card={card['id']}"),
            ("board analytics (pending)", f"/boards/{board_id}/analytics"),
        ]
    if "kanban" in stack.processes:
        team = api.json(owner, "POST", "/api/v1/boards", json={"name": "Review team"})
        pages += [("boards, with a team board", "/boards"), ("team board", f"/boards/{team['id']}")]
    return owner, pages


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_has_no_serious_accessibility_violation(
    browser: Browser, stack: Stack, api: Api, viewport: dict[str, int]
) -> None:
    owner, pages = _pages(stack, api)
    context, page, errors = open_page(browser, stack.gateway_url, viewport=viewport)
    found: dict[str, list[str]] = {}
    for name, path in [("sign in", "/login"), ("register", "/register")]:
        page.goto(path)
        page.get_by_role("heading", level=1).wait_for()
        found[name] = axe_violations(page)
    sign_in(page, owner)
    for name, path in pages:
        page.goto(path)
        _settle(page)
        found[name] = axe_violations(page)
        # Nothing overflows sideways at this width (usable on a phone).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name} scrolls sideways by {overflow} px at {viewport}"
    assert {name: v for name, v in found.items() if v} == {}
    assert errors == []
    context.close()


def _settle(page: Page) -> None:
    page.get_by_role("heading", level=1).wait_for()
    page.wait_for_load_state("networkidle")


def test_denied_microphone_shows_a_clear_message(
    browsers: Browsers, stack: Stack, api: Api
) -> None:
    account = api.register("Nomic")
    meeting = api.create_meeting(account, "No microphone")
    browser = browsers.launch(allow_microphone=False)
    context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, account, f"/meetings/{meeting['id']}")
    page.get_by_role("button", name="Start microphone").click()
    expect(page.get_by_role("alert")).to_contain_text("Microphone access was denied")
    expect(page.get_by_role("button", name="Start microphone")).to_be_enabled()
    assert errors == []
    context.close()


def test_meeting_page_first_load_time(browser: Browser, stack: Stack, api: Api) -> None:
    """Cold load of the meeting room from the local gateway: empty cache, signed in."""
    account = api.register("Timer")
    meeting = api.create_meeting(account, "Load timing")
    timings = []
    for _ in range(3):
        context, page, errors = open_page(browser, stack.gateway_url)
        # Signed in (the refresh cookie) before the first page request: nothing is cached yet.
        answer = context.request.post(
            "/api/v1/auth/token", form={"username": account.email, "password": account.password}
        )
        assert answer.ok, answer.text()
        started = time.perf_counter()
        page.goto(f"/meetings/{meeting['id']}", wait_until="commit")
        expect(page.get_by_role("heading", name="Load timing")).to_be_visible()
        expect(page.get_by_role("button", name="Start microphone")).to_be_enabled()
        ready_s = time.perf_counter() - started
        navigation = page.evaluate(
            "JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0]))"
        )
        transferred = page.evaluate(
            "performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0)"
        )
        timings.append(
            {
                "interactive_s": round(ready_s, 3),
                "load_event_s": round(navigation["loadEventEnd"] / 1000, 3),
                "transferred_bytes": int(transferred + navigation["transferSize"]),
            }
        )
        assert errors == []
        context.close()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "web_first_load.json").write_text(json.dumps(timings, indent=2))
    print(f"\nmeeting page first load (fresh context each): {json.dumps(timings)}")
    assert statistics.median(t["interactive_s"] for t in timings) < 10
