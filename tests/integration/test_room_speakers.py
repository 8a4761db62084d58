"""Voices of a room microphone against a real gateway, Kafka and PostgreSQL: each voice's
lines carry its speaker_id, a rename of one voice relabels only its lines (REST, search,
live), and the summarizer renames only that voice's stored segments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from summarizer import store as summarizer_store
from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    create_meeting,
    joined,
    open_events,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import SummarizerMeeting, SummarizerSegment
from vori.events import MeetingEvent, TranscriptSegment, room_speaker_id
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def room_line(meeting_id: str, owner: Account, start: float, voice: int, text: str) -> Any:
    """A final segment of voice `voice` on `owner`'s room microphone, as the transcriber
    sends it."""
    line = segment(meeting_id, owner, start, text)
    return line.model_copy(
        update={"speaker_id": room_speaker_id(line.stream_id, voice), "speaker": f"Room {voice}"}
    )


def _transcript(client: httpx.Client, meeting_id: str, who: Account) -> list[dict[str, Any]]:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=who.headers)
    assert answer.status_code == 200, answer.text
    segments: list[dict[str, Any]] = answer.json()["segments"]
    return segments


def test_renaming_a_room_voice_relabels_only_its_lines_everywhere_and_live(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    ana, ben = register(client, "Ana"), register(client, "Ben")
    mid = create_meeting(client, ana)["id"]
    add_member(client, ana, mid, ben)
    watcher = open_events(gateway, mid, ben)
    first = room_line(mid, ana, 1.0, 1, "Welcome to the planning meeting.")
    second = room_line(mid, ana, 4.0, 2, "Thanks, the roadmap draft is ready.")
    third = room_line(mid, ana, 7.0, 1, "Let us review the roadmap then.")
    own = segment(mid, ben, 2.0, "I can hear you both.")
    produce(settings, joined(mid, ana), joined(mid, ben), first, second, third, own)
    wait_for(lambda: len(_transcript(client, mid, ana)) == 4, message="the segments stored")
    live = watcher.receive_until(
        lambda m: m["type"] == "transcript.final" and m["segment"]["id"] == first.id
    )[-1]
    assert live["segment"]["speaker_id"] == first.speaker_id
    assert live["segment"]["speaker"] == "Room 1"

    voice = first.speaker_id
    assert voice is not None
    renamed = client.put(
        f"/api/v1/meetings/{mid}/speakers",
        json={"stream_id": voice, "label": "Chris"},
        headers=ben.headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["stream_id"] == voice
    event = watcher.receive_until(lambda m: m["type"] == "speaker.renamed")[-1]
    assert (event["stream_id"], event["speaker"]) == (voice, "Chris")

    by_id = {line["id"]: line for line in _transcript(client, mid, ana)}
    assert [by_id[s.id]["speaker"] for s in (first, second, third, own)] == [
        "Chris",
        "Room 2",
        "Chris",
        "Ben",
    ]
    assert by_id[second.id]["speaker_id"] == second.speaker_id
    assert by_id[own.id]["speaker_id"] is None
    text = client.get(
        f"/api/v1/meetings/{mid}/transcript", params={"format": "txt"}, headers=ana.headers
    ).text
    assert "Chris: Welcome" in text, text
    assert "Room 2: Thanks" in text, text

    found = client.get("/api/v1/search", params={"q": "roadmap"}, headers=ana.headers)
    assert found.status_code == 200, found.text
    speakers = {
        h["segment_id"]: h["speaker"] for h in found.json()["hits"] if h["kind"] == "segment"
    }
    assert speakers == {second.id: "Room 2", third.id: "Chris"}

    # Naming the room microphone's stream names none of its voices.
    stream = client.put(
        f"/api/v1/meetings/{mid}/speakers",
        json={"stream_id": first.stream_id, "label": "Meeting room"},
        headers=ana.headers,
    )
    assert stream.status_code == 200, stream.text
    after = {line["id"]: line["speaker"] for line in _transcript(client, mid, ana)}
    assert (after[first.id], after[second.id]) == ("Chris", "Room 2")

    unknown = client.put(
        f"/api/v1/meetings/{mid}/speakers",
        json={"stream_id": room_speaker_id(first.stream_id, 9), "label": "Nobody"},
        headers=ana.headers,
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no such speaker in this meeting"
    watcher.connection.close()


def test_the_summarizer_renames_a_room_voice_and_a_stream_by_their_own_keys(
    settings: Settings, unique: str
) -> None:
    mid = f"m-room-{unique}"
    ana = Account(id=f"u-ana-{unique}", email="", name="Ana", token="")
    lines: list[TranscriptSegment] = [
        room_line(mid, ana, 1.0, 1, "Welcome everyone."),
        room_line(mid, ana, 3.0, 2, "I will send the notes by Friday."),
        room_line(mid, ana, 5.0, 1, "Thank you."),
    ]
    stream_id = lines[0].stream_id
    now = datetime.now(UTC)
    sessions = session_factory(engine := create_db_engine(settings))
    try:
        with sessions() as session:
            for line in lines:
                summarizer_store.record_segment(session, line, now)
            session.commit()

        def rename(key: str, name: str) -> dict[str, str | None]:
            with sessions() as session:
                event = MeetingEvent(
                    type="speaker_renamed",
                    meeting_id=mid,
                    stream_id=key,
                    participant_name=name,
                    correction_version=1,
                )
                summarizer_store.record_correction(session, event, now)
                session.commit()
                rows = session.query(SummarizerSegment).filter_by(meeting_id=mid)
                return {row.id: row.speaker for row in rows}

        # A stream's rename leaves the voices on it alone.
        assert set(rename(stream_id, "Meeting room").values()) == {"Room 1", "Room 2"}
        speakers = rename(room_speaker_id(stream_id, 2), "Bea")
        assert [speakers[line.id] for line in lines] == ["Room 1", "Bea", "Room 1"]
        with sessions() as session:
            state = session.get(SummarizerMeeting, mid)
            assert state is not None
            # "Room 1" never became the name of the microphone's participant.
            assert ana.id not in (state.participants or {})
            assert [n.get("speaker") for n in state.pending_corrections] == [
                "Meeting room",
                "Bea",
            ]
            # A room voice is known by its name, not as the microphone's participant.
            spoken, _new, _newest = summarizer_store.utterances(session, mid, None)
            assert [(u.speaker, u.participant_id) for u in spoken] == [
                ("Room 1", None),
                ("Bea", None),
                ("Room 1", None),
            ]
    finally:
        engine.dispose()


def test_the_summarizer_keeps_a_voices_new_name_on_its_lines_still_to_come(
    client: httpx.Client, settings: Settings
) -> None:
    ana = register(client, "Ana")
    mid = create_meeting(client, ana)["id"]
    earlier = room_line(mid, ana, 1.0, 1, "Welcome everyone.")
    produce(settings, joined(mid, ana), earlier)
    wait_for(lambda: len(_transcript(client, mid, ana)) == 1, message="the segment stored")
    renamed = client.put(
        f"/api/v1/meetings/{mid}/speakers",
        json={"stream_id": earlier.speaker_id, "label": "Chris"},
        headers=ana.headers,
    )
    assert renamed.status_code == 200, renamed.text

    later = room_line(mid, ana, 4.0, 1, "I will send the notes by Friday.")
    other = room_line(mid, ana, 6.0, 2, "Thanks.")
    sessions = session_factory(engine := create_db_engine(settings))
    try:
        with sessions() as session:
            for line in (later, other):
                summarizer_store.record_segment(session, line, datetime.now(UTC))
            session.commit()
            assert session.get(SummarizerSegment, later.id).speaker == "Chris"  # type: ignore[union-attr]
            assert session.get(SummarizerSegment, other.id).speaker == "Room 2"  # type: ignore[union-attr]
    finally:
        engine.dispose()
