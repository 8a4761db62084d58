"""The voices of a room microphone in real Chromium against the real stack.

Ada's microphone is a room microphone: its lines are "Room 1" and "Room 2". Ada renames
Room 1; Bea, with the meeting open, sees every Room 1 line renamed without reloading, and
Room 2's lines untouched. The microphone panel offers the room-microphone checkbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.api import Api, wait_for
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.gateway import produce
from tests.helpers.stack import Stack
from vori.events import TranscriptSegment, room_speaker_id, segment_id_for
from vori.settings import Settings

LINES = [
    (1, 1.0, "Welcome to the planning meeting."),
    (2, 4.0, "Thanks, the roadmap draft is ready."),
    (1, 7.0, "Let us review the roadmap then."),
]


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def test_renaming_a_room_voice_relabels_its_lines_live_for_everyone(
    browser: Browser, stack: Stack, api: Api, settings: Settings
) -> None:
    ada, bea = api.register("Ada"), api.register("Bea")
    meeting_id = api.create_meeting(ada, "Planning")["id"]
    api.invite(ada, meeting_id, bea)
    stream_id = f"{meeting_id}:{ada.user_id}:mic"
    produce(
        settings,
        *(
            TranscriptSegment(
                id=segment_id_for(stream_id, round(start * 16000)),
                meeting_id=meeting_id,
                stream_id=stream_id,
                participant_id=ada.user_id,
                speaker=f"Room {voice}",
                speaker_id=room_speaker_id(stream_id, voice),
                final=True,
                start=start,
                end=start + 2.5,
                start_sample=round(start * 16000),
                end_sample=round((start + 2.5) * 16000),
                text=text,
                language="en",
            )
            for voice, start, text in LINES
        ),
    )
    wait_for(lambda: len(api.transcript(ada, meeting_id)) == 3, 30, "the lines stored")

    _ada_context, ada_page, _ada_errors = open_page(browser, stack.gateway_url)
    _bea_context, bea_page, _bea_errors = open_page(browser, stack.gateway_url)
    sign_in(ada_page, ada, f"/meetings/{meeting_id}")
    sign_in(bea_page, bea, f"/meetings/{meeting_id}")
    room = ada_page.get_by_label("Room microphone (several people share this device)")
    expect(room).not_to_be_checked()
    room.check()
    expect(room).to_be_checked()
    for page in (ada_page, bea_page):
        expect(page.locator(".live-badge")).to_have_attribute("data-state", "live")
        expect(page.locator(".segment-final .speaker")).to_have_text(["Room 1", "Room 2", "Room 1"])

    ada_page.get_by_role("button", name="Rename speaker Room 1").first.click()
    ada_page.get_by_label("Speaker name").fill("Chris")
    ada_page.get_by_role("button", name="Save", exact=True).click()
    for page in (ada_page, bea_page):
        expect(page.locator(".segment-final .speaker")).to_have_text(["Chris", "Room 2", "Chris"])
    bea_page.wait_for_load_state("networkidle")
    assert axe_violations(bea_page) == [], "meeting with a room microphone"

    # A reload shows what was stored.
    bea_page.reload()
    expect(bea_page.locator(".segment-final .speaker")).to_have_text(["Chris", "Room 2", "Chris"])
