"""Transcript corrections against a real gateway, summarizer, Kafka and PostgreSQL: kept,
shown live, exported, summarised, and never undone by a replay of the segment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from summarizer.worker import SummarizerWorker
from tests.helpers.gateway import (
    Account,
    EventsClient,
    GatewayServer,
    add_member,
    connect_events,
    create_meeting,
    joined,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from tests.helpers.summarizer import (
    MEETINGS_DIR,
    create_meeting_rows,
    final_published,
    fresh_group,
    load_meeting,
    proposals,
    publish,
    run_worker_until,
    segments_of,
    summaries,
)
from vori.db.tables import SummarizerMeeting, SummarizerSegment
from vori.events import MeetingEvent, TranscriptSegment
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _transcript(client: httpx.Client, meeting_id: str, who: Account) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=who.headers)
    assert answer.status_code == 200, answer.text
    segments: list[dict[str, Any]] = answer.json()["segments"]
    return segments


def _open_events(server: GatewayServer, meeting_id: str, who: Account) -> EventsClient:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": who.token})
    assert events.receive()["type"] == "ready"
    return events


def test_member_corrects_a_line_others_see_it_live_exports_use_it_and_a_replay_keeps_it(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner, member = register(client, "Ana"), register(client, "Ben")
    meeting = create_meeting(client, owner)
    mid = meeting["id"]
    add_member(client, owner, mid, member)
    wrong = segment(mid, owner, 1.0, "Jon will send the budget draft by Friday.")
    produce(settings, joined(mid, owner), wrong)
    wait_for(lambda: len(_transcript(client, mid, owner)) == 1, message="the segment stored")
    watcher = _open_events(gateway, mid, member)
    url = f"/api/v1/meetings/{mid}/segments/{wrong.id}"

    fixed = client.patch(
        url, json={"text": "  John will send the budget draft by Friday. "}, headers=owner.headers
    )
    assert fixed.status_code == 200, fixed.text
    history = fixed.json()
    assert history["text"] == "John will send the budget draft by Friday."
    assert history["original_text"] == wrong.text
    assert [v["version"] for v in history["versions"]] == [0, 1]
    assert history["versions"][1]["edited_by"] == "Ana"

    live = watcher.receive_until(lambda m: m["type"] == "transcript.corrected", timeout=15)[-1]
    assert live["segment"]["id"] == wrong.id
    assert live["segment"]["text"] == "John will send the budget draft by Friday."
    assert live["segment"]["original_text"] == wrong.text
    assert live["editor"] == "Ana"

    [line] = _transcript(client, mid, member)
    assert (line["text"], line["edited"], line["original_text"]) == (
        "John will send the budget draft by Friday.",
        True,
        wrong.text,
    )
    for fmt in ("txt", "srt", "vtt", "md"):
        body = client.get(
            f"/api/v1/meetings/{mid}/transcript", params={"format": fmt}, headers=owner.headers
        ).text
        assert "John will send" in body, (fmt, body)
        assert "Jon will" not in body, (fmt, body)

    # Search finds the line by its corrected words, and no longer by the misheard ones.
    def segment_hits(query: str) -> list[dict[str, Any]]:
        found = client.get("/api/v1/search", params={"q": query}, headers=member.headers)
        assert found.status_code == 200, found.text
        return [
            h for h in found.json()["hits"] if h["meeting_id"] == mid and h["kind"] == "segment"
        ]

    [hit] = segment_hits("John budget")
    assert hit["segment_id"] == wrong.id
    assert "John will send" in hit["snippet"]
    assert segment_hits("Jon") == []

    # A replay of the transcriber's segment (same id) never undoes the correction; a new
    # segment after it on the same partition shows the replay has been consumed.
    later = segment(mid, owner, 5.0, "Anything else?")
    produce(settings, wrong, later)
    wait_for(lambda: len(_transcript(client, mid, owner)) == 2, message="the later segment")
    assert (
        _transcript(client, mid, owner)[0]["text"] == "John will send the budget draft by Friday."
    )

    renamed = client.put(
        f"/api/v1/meetings/{mid}/speakers",
        json={"stream_id": wrong.stream_id, "label": "Ana (chair)"},
        headers=member.headers,
    )
    assert renamed.status_code == 200, renamed.text
    event = watcher.receive_until(lambda m: m["type"] == "speaker.renamed", timeout=15)[-1]
    assert (event["stream_id"], event["speaker"]) == (wrong.stream_id, "Ana (chair)")
    assert {s["speaker"] for s in _transcript(client, mid, owner)} == {"Ana (chair)"}
    watcher.connection.close()


def test_corrections_refuse_outsiders_and_bad_input(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner, outsider = register(client, "Ana"), register(client, "Eve")
    mid = create_meeting(client, owner)["id"]
    line = segment(mid, owner, 1.0, "The first line.")
    produce(settings, line)
    wait_for(lambda: len(_transcript(client, mid, owner)) == 1, message="the segment stored")
    url = f"/api/v1/meetings/{mid}/segments/{line.id}"

    assert client.patch(url, json={"text": "x"}, headers=outsider.headers).status_code == 404
    assert client.get(url + "/corrections", headers=outsider.headers).status_code == 404
    for bad in ({"text": "   "}, {"text": "x" * 5001}, {}, {"text": 5}):
        answer = client.patch(url, json=bad, headers=owner.headers)
        assert answer.status_code == 422, (bad, answer.text)
    unknown = client.patch(
        f"/api/v1/meetings/{mid}/segments/seg_nope", json={"text": "x"}, headers=owner.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "segment not found"
    speaker = f"/api/v1/meetings/{mid}/speakers"
    assert (
        client.put(
            speaker, json={"stream_id": line.stream_id, "label": " "}, headers=owner.headers
        ).status_code
        == 422
    )
    assert (
        client.put(
            speaker, json={"stream_id": "nope", "label": "Ana"}, headers=owner.headers
        ).status_code
        == 404
    )
    assert (
        client.put(
            speaker, json={"stream_id": line.stream_id, "label": "X"}, headers=outsider.headers
        ).status_code
        == 404
    )
    # The same text again is no new version.
    same = client.patch(url, json={"text": "The first line."}, headers=owner.headers)
    assert same.status_code == 200
    assert len(same.json()["versions"]) == 1


def test_summary_and_tasks_use_the_corrected_line_and_a_replay_does_not_undo_it(
    settings: Settings, unique: str
) -> None:
    meeting = load_meeting(MEETINGS_DIR / "en_launch_sync.yaml", f"m-fix-{unique}")
    create_meeting_rows(settings, meeting)
    lines = segments_of(meeting)
    heard = "Then I'll update the prizing page copy to reflect that by Thursday."
    lines[8] = lines[8].model_copy(update={"text": heard})
    quiet = {"refresh_words": 100_000, "refresh_interval_s": 3600.0, "detector": False}
    config = settings.model_copy(
        update={"summarizer": settings.summarizer.model_copy(update={"llm": "off", **quiet})}
    )
    group = fresh_group(settings, f"fix-{unique}")
    publish(settings, [*lines, MeetingEvent(type="ended", meeting_id=meeting.id)])
    run_worker_until(config, group, final_published(settings, meeting.id, len(lines)), 60)
    before = [i for i in summaries(settings, meeting.id)[-1].action_items if "page" in i.title]
    assert any("prizing" in i.title for i in before), before  # the mishearing reached a task

    fixed = heard.replace("prizing", "pricing")
    correction = MeetingEvent(
        type="segment_corrected",
        meeting_id=meeting.id,
        stream_id=lines[8].stream_id,
        segment=lines[8].model_copy(update={"text": fixed}),
        original_text=heard,
        correction_version=1,
        editor="Alice Martin",
    )
    marker = TranscriptSegment.model_validate(
        {**lines[13].model_dump(), "id": f"seg_marker_{unique}", "start": 999.0, "text": "Bye."}
    )
    publish(settings, [correction, lines[8], marker])  # the replay of the misheard line

    def resummarised(worker: SummarizerWorker) -> bool:
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting.id)
            return bool(
                state
                and state.segments_total == len(lines) + 1
                and state.segments_summarized == len(lines) + 1
                and not state.pending_corrections
                and state.final_published
            )

    worker = run_worker_until(config, group, resummarised, 60)
    with worker.sessions() as session:
        assert session.get(SummarizerSegment, lines[8].id).text == fixed  # type: ignore[union-attr]
    latest = max(summaries(settings, meeting.id), key=lambda s: s.revision)
    page = [i for i in latest.action_items if "page" in i.title]
    assert page
    assert all("prizing" not in i.title for i in page), page
    assert any("pricing page" in i.title for i in page), page
    quotes = [e.quote for i in page for e in i.evidence if e.segment_id == lines[8].id]
    assert quotes
    assert all("pricing page" in q for q in quotes), quotes
    # Proposed to the board under the same key, with the corrected words.
    keys = {i.task_key for i in before if "prizing" in i.title}
    last = proposals(settings, meeting.id)[-1]
    assert any(i.task_key in keys and "pricing page" in i.title for i in last.items), last

    # A speaker rename renames the stream's stored lines and makes one more summary.
    renamed = MeetingEvent(
        type="speaker_renamed",
        meeting_id=meeting.id,
        stream_id=lines[8].stream_id,
        participant_name="Bob C.",
        correction_version=1,
    )
    publish(settings, [renamed])

    def renamed_and_summarised(worker: SummarizerWorker) -> bool:
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting.id)
            stored = session.get(SummarizerSegment, lines[8].id)
            return bool(
                state
                and stored
                and stored.speaker == "Bob C."
                and not state.pending_corrections
                and state.revision > latest.revision
            )

    run_worker_until(config, group, renamed_and_summarised, 60)
