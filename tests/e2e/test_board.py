"""From speech to the board: a task said in a (Korean) meeting lands on both participants'
boards with working evidence; moves by drag and drop and by keyboard are seen live by the
other; a stale edit gets a clear conflict message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.api import Account, Api, wait_for
from tests.e2e.audio import Recording, fake_microphone
from tests.e2e.browser import Browsers, Participant, axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.stack import Stack

# Real Korean speech: "please tell me how to get there by subway" and "I think I left my
# phone; could you look for it?", two requests the rule-based extractor turns into tasks
# (which of them, and their exact words, depend on how Whisper heard them).
KOREAN = ["ko/naver/wav_003.wav", "ko/naver/wav_067.wav"]


@dataclass
class BoardRoom:
    meeting: dict[str, Any]
    board_id: str
    ana: Account
    ben: Account
    speaker: Participant  # Ana in the meeting room
    ana_board: Page  # Ana's board, in a second tab
    ben_board: Participant  # Ben's board, in his own browser
    recording: Recording
    card_ids: list[str]


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway", "stream-ingest", "transcriber", "summarizer", "kanban")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def _participant(browser: Browser, stack: Stack, account: Account, path: str) -> Participant:
    context, page, errors = open_page(browser, stack.gateway_url)
    sign_in(page, account, path)
    return Participant(
        account.name,
        account.email,
        account.password,
        account.token,
        account.user_id,
        context,
        page,
        errors,
    )


@pytest.fixture(scope="module")
def board_room(
    api: Api,
    stack: Stack,
    browsers: Browsers,
    speech_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BoardRoom]:
    recording = fake_microphone(
        [speech_dir / clip for clip in KOREAN], tmp_path_factory.mktemp("ko") / "mina.wav"
    )
    ana, ben = api.register("Mina"), api.register("Joon")
    # The team's board exists before the meeting, so both can watch it from the start.
    board_id = api.json(ana, "POST", "/api/v1/boards", json={"name": "Store team"})["id"]
    meeting = api.create_meeting(ana, "Store visit planning", language="ko", board_id=board_id)
    assert meeting["board_id"] == board_id
    api.invite(ana, meeting["id"], ben)

    speaker = _participant(
        browsers.launch(recording.path), stack, ana, f"/meetings/{meeting['id']}"
    )
    ana_board = speaker.context.new_page()
    ana_board.goto(f"/boards/{board_id}")
    ben_board = _participant(browsers.launch(), stack, ben, f"/boards/{board_id}")
    for page in (ana_board, ben_board.page):
        expect(page.get_by_role("heading", level=1)).not_to_have_text("Board", timeout=15_000)
        # Marks this document: a reload or navigation would lose it.
        page.evaluate("window.__sameDocument = true")

    speaker.page.get_by_role("button", name="Start microphone").click()
    expect(speaker.page.locator(".capture-status")).to_have_attribute(
        "data-state", "live", timeout=20_000
    )
    yield BoardRoom(meeting, board_id, ana, ben, speaker, ana_board, ben_board, recording, [])
    speaker.context.close()
    ben_board.context.close()


def card_in(page: Page, column: str, card_id: str) -> Locator:
    return page.locator(
        f"section.column:has(h2:text-matches('^{column}')) [data-card-id='{card_id}']"
    )


def meeting_card(room: BoardRoom) -> str:
    if not room.card_ids:
        pytest.skip("no card came from the meeting (see the first test of this module)")
    return room.card_ids[0]


def test_a_task_said_in_the_meeting_appears_on_both_boards_with_evidence(
    board_room: BoardRoom, api: Api, stack: Stack
) -> None:
    def card_on_board() -> dict[str, Any] | None:
        board = api.board(board_room.ana, board_room.board_id)
        cards = [c for column in board["columns"] for c in column["cards"]]
        meeting_id = board_room.meeting["id"]
        return next((c for c in cards if c["meeting_id"] == meeting_id and c["evidence"]), None)

    try:
        card = wait_for(card_on_board, 150, "a card for a task said in the meeting")
    except AssertionError:
        print(stack.tail("transcriber"), stack.tail("summarizer"), stack.tail("kanban"))
        raise
    assert card["source"] in ("rules", "llm")
    board_room.card_ids.append(card["id"])
    # Both boards show it without a reload.
    for page in (board_room.ana_board, board_room.ben_board.page):
        expect(page.locator(f"[data-card-id='{card['id']}']")).to_be_visible(timeout=10_000)
        assert page.evaluate("window.__sameDocument === true"), "the board was reloaded"

    # The room's action items link to the card and to the moment.
    room = board_room.speaker.page
    item = room.locator(f".action-item[data-task-key='{card['task_key']}']")
    expect(item).to_be_visible(timeout=20_000)
    expect(item.get_by_role("link", name=re.compile("^Card"))).to_have_attribute(
        "href", re.compile(f"/boards/{board_room.board_id}\\?card={card['id']}")
    )

    # The evidence quote in the card's details jumps to that moment of the transcript.
    ben = board_room.ben_board.page
    ben.locator(f"[data-card-id='{card['id']}'] .card-open").click()
    dialog = ben.get_by_role("dialog")
    expect(dialog).to_be_visible()
    evidence = card["evidence"][0]
    expect(dialog.locator("blockquote").first).to_contain_text(evidence["quote"][:8])
    assert axe_violations(ben) == []
    dialog.get_by_role("link", name="Jump to this moment in the transcript").first.click()
    expect(ben).to_have_url(re.compile(f"/meetings/{board_room.meeting['id']}\\?at="))
    moment = ben.locator(f"#seg-{evidence['segment_id']}")
    expect(moment).to_be_visible(timeout=15_000)
    expect(moment).to_have_class(re.compile("segment-highlighted"))
    expect(moment).to_contain_text(evidence["quote"][:8])
    ben.go_back()
    ben.go_back()
    expect(ben.get_by_role("heading", level=1)).not_to_have_text("Board", timeout=15_000)
    ben.evaluate("window.__sameDocument = true")


def test_a_drag_and_drop_move_is_seen_live_by_the_other(
    board_room: BoardRoom, api: Api, screenshots_dir: Path
) -> None:
    ana, ben = board_room.ana_board, board_room.ben_board.page
    card_id = meeting_card(board_room)
    tile = card_in(ana, "To do", card_id)
    expect(tile).to_be_visible()
    tile.drag_to(ana.locator("section.column:has(h2:text-matches('^In progress'))"))
    expect(card_in(ana, "In progress", card_id)).to_be_visible()
    expect(card_in(ben, "In progress", card_id)).to_be_visible(timeout=10_000)
    assert ben.evaluate("window.__sameDocument === true"), "Ben's board was reloaded"
    stored = api.json(board_room.ben, "GET", f"/api/v1/cards/{card_id}")
    assert stored["column"] == "In progress"
    ana.screenshot(path=str(screenshots_dir / "board.png"), full_page=True)


def test_a_card_moves_by_keyboard_and_a_stale_edit_gets_a_conflict_message(
    board_room: BoardRoom, api: Api
) -> None:
    ben = board_room.ben_board.page
    card_id = meeting_card(board_room)
    tile = card_in(ben, "In progress", card_id)
    expect(tile).to_be_visible()
    tile.locator(".card-open").focus()
    ben.keyboard.press("Alt+ArrowRight")
    expect(card_in(ben, "Done", card_id)).to_be_visible()
    expect(ben.locator(f"#card-{card_id}")).to_be_focused()
    wait_for(
        lambda: api.json(board_room.ben, "GET", f"/api/v1/cards/{card_id}")["column"] == "Done",
        10,
        "the keyboard move to be stored",
    )

    # Ben starts editing; meanwhile Mina changes the card elsewhere (her change reaches
    # Ben's board live, but his edits stay); Ben's save is refused with a clear message.
    ben.locator(f"#card-{card_id}").click()
    dialog = ben.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Assignee").fill("Joon")
    current = api.json(board_room.ana, "GET", f"/api/v1/cards/{card_id}")
    # A value the card cannot already have (the speech may have named Mina as the owner):
    # an edit that changes nothing bumps no version and so conflicts with nothing.
    rival = "Sora"
    assert current["assignee"] != rival
    api.json(
        board_room.ana,
        "PATCH",
        f"/api/v1/cards/{card_id}",
        json={"assignee": rival, "version": current["version"]},
    )
    expect(dialog.locator(".history")).to_contain_text(rival, timeout=10_000)
    expect(dialog.get_by_label("Assignee")).to_have_value("Joon")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Someone else changed this card")
    assert api.json(board_room.ben, "GET", f"/api/v1/cards/{card_id}")["assignee"] == rival
    # The dialog now shows the other person's version, as the message says; saving works.
    expect(dialog.get_by_label("Assignee")).to_have_value(rival)
    dialog.get_by_label("Assignee").fill("Joon")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.get_by_role("status")).to_have_text("Saved.")
    assert api.json(board_room.ben, "GET", f"/api/v1/cards/{card_id}")["assignee"] == "Joon"
    expect(dialog.locator(".history")).to_contain_text(rival)
    assert board_room.ben_board.console_errors == [
        e for e in board_room.ben_board.console_errors if "409" in e
    ]
