"""The Korean interface in real Chromium: chosen from the browser's language, switchable
in the header, remembered across a reload, dates in the Korean format, no a11y violations."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.api import PASSWORD, Api
from tests.e2e.browser import axe_violations, open_page
from tests.e2e.conftest import require_services
from tests.helpers.stack import Stack

KOREAN_DATE = re.compile(r"^\d{4}\. \d{1,2}\. \d{1,2}\. ")  # "2026. 12. 1. 오후 3:04"
ENGLISH_DATE = re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, ")  # "Dec 1, 2026, 3:04 PM"


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def test_korean_browser_gets_the_korean_interface_and_can_switch(
    browser: Browser, stack: Stack, api: Api, screenshots_dir: Path
) -> None:
    context, page, errors = open_page(browser, stack.gateway_url, locale="ko-KR")
    page.goto("/register")
    expect(page.get_by_role("heading", name="계정 만들기", level=1)).to_be_focused()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.get_by_label("이름").fill("지민")
    page.get_by_label("이메일").fill(f"jimin-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("비밀번호").fill("짧음")
    page.get_by_role("button", name="계정 만들기").click()
    expect(page.get_by_role("alert")).to_have_text("비밀번호는 8자 이상이어야 합니다.")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="계정 만들기").click()

    expect(page.get_by_role("heading", name="회의", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()
    page.get_by_label("제목").fill("주간 회의")
    page.get_by_label(re.compile(r"^언어")).select_option("ko")  # not the header's "화면 언어"
    page.get_by_role("button", name="회의 만들기").click()
    expect(page.get_by_role("heading", name="주간 회의", level=1)).to_be_visible()
    page.get_by_role("link", name="회의", exact=True).click()
    row = page.get_by_role("listitem").filter(has_text="주간 회의")
    expect(row.locator("time")).to_have_text(KOREAN_DATE)
    expect(row).to_contain_text("진행 중")
    assert axe_violations(page) == []
    page.screenshot(path=str(screenshots_dir / "korean-meetings.png"))

    page.get_by_label("화면 언어").select_option("en")
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(row.locator("time")).to_have_text(ENGLISH_DATE)
    # The choice outlives the page: a reload stays in English despite the Korean browser.
    page.reload()
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Show vori in").select_option("ko")
    expect(page.get_by_role("heading", name="회의", level=1)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(row.locator("time")).to_have_text(KOREAN_DATE)

    # The meeting room and the boards in Korean, with no accessibility violation either.
    row.get_by_role("link", name="주간 회의").click()
    expect(page.get_by_role("heading", name="내 마이크")).to_be_visible()
    expect(page.get_by_role("button", name="마이크 켜기")).to_be_visible()
    assert axe_violations(page) == [], "meeting room"
    page.screenshot(path=str(screenshots_dir / "korean-meeting-room.png"))
    page.get_by_role("link", name="보드", exact=True).first.click()
    expect(page.get_by_role("heading", name="보드", level=1)).to_be_visible()
    assert axe_violations(page) == [], "boards"
    assert errors == []
    context.close()
