"""Correcting the transcript and reading My tasks in real Chromium against the real stack.

Ada corrects a misheard line and renames her speaker label; Bea, with the meeting open,
sees both without reloading, the original on hover and under "Original". Bea's My tasks
page lists the meeting's cards assigned to her, the overdue one first and marked.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.e2e.api import Api, wait_for
from tests.e2e.browser import PHONE, axe_violations, open_page, sign_in
from tests.helpers.gateway import produce
from tests.helpers.kanban import item, publish
from tests.helpers.stack import Stack
from vori.events import TaskProposal, TranscriptSegment, segment_id_for
from vori.settings import Settings

HEARD = "Jon will send the budget draft by Friday."
FIXED = "John will send the budget draft by Friday."
FIXED_AGAIN = "John will send the budget draft by Thursday."


def _no_axe_violations(page: Page, where: str) -> None:
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == [], where


def test_a_member_corrects_a_line_others_see_it_live_and_my_tasks_lists_theirs(
    browser: Browser, stack: Stack, api: Api, settings: Settings
) -> None:
    ada, bea = api.register("Ada"), api.register("Bea")
    board = api.json(ada, "POST", "/api/v1/boards", json={"name": "Budget team"})
    meeting = api.create_meeting(ada, "Budget sync", board_id=board["id"])
    meeting_id = meeting["id"]
    api.invite(ada, meeting_id, bea)
    stream_id = f"{meeting_id}:{ada.user_id}:mic"
    produce(
        settings,
        TranscriptSegment(
            id=segment_id_for(stream_id, 16000),
            meeting_id=meeting_id,
            stream_id=stream_id,
            participant_id=ada.user_id,
            speaker="Ada",
            final=True,
            start=1.0,
            end=3.5,
            start_sample=16000,
            end_sample=56000,
            text=HEARD,
            language="en",
        ),
    )
    wait_for(lambda: api.transcript(ada, meeting_id), 30, "the line stored")

    ada_context, ada_page, ada_errors = open_page(browser, stack.gateway_url)
    bea_context, bea_page, bea_errors = open_page(browser, stack.gateway_url)
    sign_in(ada_page, ada, f"/meetings/{meeting_id}")
    sign_in(bea_page, bea, f"/meetings/{meeting_id}")
    for page in (ada_page, bea_page):
        expect(page.locator(".live-badge")).to_have_attribute("data-state", "live")
        expect(page.locator(".segment-final")).to_contain_text(HEARD)

    # Ada corrects the line: the form is labelled and checked, then the line says edited.
    ada_page.get_by_role("button", name="Edit line at 0:01").click()
    box = ada_page.get_by_label("Corrected line")
    box.fill("   ")
    ada_page.get_by_role("button", name="Save", exact=True).click()
    expect(ada_page.locator(".segment-final").get_by_role("alert")).to_have_text(
        "The line cannot be empty."
    )
    _no_axe_violations(ada_page, "editing a line")
    box.fill(FIXED)
    ada_page.get_by_role("button", name="Save", exact=True).click()
    line = ada_page.locator(".segment-final")
    expect(line.locator("p").first).to_have_text(FIXED)
    expect(line.locator(".edited-mark")).to_have_attribute("title", f"Transcribed as: {HEARD}")

    # Bea sees the correction live; Ada corrects once more; under "Original" Bea finds what
    # was transcribed and the earlier correction.
    bea_line = bea_page.locator(".segment-final")
    expect(bea_line.locator("p").first).to_have_text(FIXED)
    ada_page.get_by_role("button", name="Edit line at 0:01").click()
    ada_page.get_by_label("Corrected line").fill(FIXED_AGAIN)
    ada_page.get_by_role("button", name="Save", exact=True).click()
    expect(bea_line.locator("p").first).to_have_text(FIXED_AGAIN)
    bea_line.get_by_text("Original").click()
    expect(bea_line.locator(".original-text")).to_contain_text(HEARD)
    expect(bea_line.locator(".correction-history")).to_have_text(f"Ada: {FIXED}")

    # Ada renames her speaker label; Bea's page follows.
    ada_page.get_by_role("button", name="Rename speaker Ada").click()
    ada_page.get_by_label("Speaker name").fill("Ada Lovelace")
    ada_page.get_by_role("button", name="Save", exact=True).click()
    expect(bea_line.locator(".speaker")).to_have_text("Ada Lovelace")
    _no_axe_violations(bea_page, "meeting with a corrected line")

    # A reload shows what was stored: the correction and the label.
    bea_page.reload()
    expect(bea_page.locator(".segment-final p").first).to_have_text(FIXED_AGAIN)
    expect(bea_page.locator(".segment-final .speaker")).to_have_text("Ada Lovelace")

    # The meeting proposes two tasks for Bea: one overdue, one due next week.
    today = date.today()
    late, soon = (today - timedelta(days=3)).isoformat(), (today + timedelta(days=7)).isoformat()
    publish(
        settings,
        TaskProposal(
            meeting_id=meeting_id,
            board_id=board["id"],
            items=[
                item(
                    f"tk_{uuid.uuid4().hex[:12]}",
                    "Review the budget",
                    assignee="Bea",
                    due_date=soon,
                ),
                item(
                    f"tk_{uuid.uuid4().hex[:12]}",
                    "Send the invoices",
                    assignee="Bea",
                    due_date=late,
                ),
            ],
            source="rules",
        ),
    )
    wait_for(
        lambda: len(api.json(bea, "GET", "/api/v1/me/tasks")["tasks"]) == 2 or None,
        30,
        "Bea's two tasks",
    )
    bea_page.get_by_role("link", name="My tasks").click()
    expect(bea_page.get_by_role("heading", name="My tasks", level=1)).to_be_visible()
    tasks = bea_page.locator(".my-task")
    expect(tasks).to_have_count(2)
    expect(tasks.nth(0)).to_contain_text("Send the invoices")
    expect(tasks.nth(0)).to_contain_text("Overdue")
    expect(tasks.nth(0)).to_have_class("my-task my-task-overdue")
    expect(tasks.nth(1)).to_contain_text("Review the budget")
    expect(tasks.nth(1)).not_to_contain_text("Overdue")
    expect(bea_page.get_by_role("status")).to_contain_text("1 overdue")
    _no_axe_violations(bea_page, "my tasks")

    # The same pages at phone width: My tasks, and a line being corrected.
    phone_context, phone, phone_errors = open_page(
        browser, stack.gateway_url, viewport=PHONE, microphone=False
    )
    sign_in(phone, bea, "/tasks")
    expect(phone.locator(".my-task")).to_have_count(2)
    _no_axe_violations(phone, "my tasks, phone")
    phone.goto(f"/meetings/{meeting_id}")
    phone.get_by_role("button", name="Edit line at 0:01").click()
    expect(phone.get_by_label("Corrected line")).to_have_value(FIXED_AGAIN)
    _no_axe_violations(phone, "correcting a line, phone")

    assert ada_errors == [], ada_errors
    assert bea_errors == [], bea_errors
    assert phone_errors == [], phone_errors
    ada_context.close()
    bea_context.close()
    phone_context.close()
