"""Accounts, meetings, transcripts and summaries through a real gateway (Kafka, PostgreSQL)."""

from __future__ import annotations

import html
import io
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import srt
import webvtt
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tests.helpers.gateway import (
    GatewayServer,
    add_member,
    create_meeting,
    joined,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from tests.helpers.kafka import read_all
from vori.db.engine import create_db_engine
from vori.db.tables import Board, TranscriptSegmentRow
from vori.events import (
    MEETING_EVENTS,
    ActionItem,
    CardSnapshot,
    Evidence,
    KanbanChange,
    MeetingEvent,
    MeetingSummary,
    decode,
)
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Any:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _stored_segments(gateway: GatewayServer, meeting_id: str) -> int:
    with gateway.app.state.gateway.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TranscriptSegmentRow)
                .where(TranscriptSegmentRow.meeting_id == meeting_id)
            )
        )


def test_register_log_in_and_me(client: httpx.Client) -> None:
    account = register(client, "Mina")
    me = client.get("/api/v1/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["email"] == account.email
    assert me.json()["display_name"] == "Mina"
    assert "password" not in json.dumps(me.json())
    assert "hash" not in json.dumps(me.json())

    again = client.post(
        "/api/v1/auth/register",
        json={"email": account.email.upper(), "password": "another good one", "display_name": "M"},
    )
    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": "password123"}, "password", "too common"),
        ({"password": "aaaaaaaaaaaa"}, "password", "repeated"),
        ({"email": "not-an-email"}, "email", "email"),
        ({"display_name": "   "}, "display_name", "display name"),
    ],
)
def test_register_refuses_weak_or_invalid_input_with_a_message(
    client: httpx.Client, body: dict[str, str], field: str, message: str
) -> None:
    payload = {"email": "x-weak@example.com", "password": "a fine passphrase", "display_name": "X"}
    answer = client.post("/api/v1/auth/register", json={**payload, **body})
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    assert any(err["loc"][-1] == field and message in err["msg"].lower() for err in errors), errors


def test_wrong_password_and_unknown_email_get_the_same_401(client: httpx.Client) -> None:
    account = register(client)
    wrong = client.post(
        "/api/v1/auth/token", data={"username": account.email, "password": "wrong password!"}
    )
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": "whatever1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "incorrect e-mail or password"}


def test_meeting_lifecycle_is_published_to_kafka(client: httpx.Client, settings: Settings) -> None:
    owner = register(client)
    meeting = create_meeting(client, owner, title="Launch", language="ko", time_zone="Asia/Seoul")
    assert meeting["status"] == "active"
    assert meeting["members"][0]["role"] == "owner"
    assert client.get("/api/v1/meetings", headers=owner.headers).json()[0]["id"] == meeting["id"]

    ended = client.post(f"/api/v1/meetings/{meeting['id']}/end", headers=owner.headers)
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    again = client.post(f"/api/v1/meetings/{meeting['id']}/end", headers=owner.headers)
    assert again.json()["ended_at"] == ended.json()["ended_at"]
    listed = client.get("/api/v1/meetings?status=ended", headers=owner.headers).json()
    assert meeting["id"] in [m["id"] for m in listed]

    events = []
    for message in read_all(settings.kafka, MEETING_EVENTS, expected=10_000, timeout_s=5):
        if message.key() != meeting["id"].encode():
            continue  # other tests' traffic, poison messages of the consumer-loop tests included
        event = decode(MEETING_EVENTS, message.value(), message.headers())
        assert isinstance(event, MeetingEvent)
        events.append(event)
    assert [(e.type, e.language) for e in events] == [("started", "ko"), ("ended", "ko")]
    assert events[1].at.isoformat().startswith(ended.json()["ended_at"][:19])


def test_members_are_added_by_email(client: httpx.Client) -> None:
    owner, guest = register(client, "Ana"), register(client, "Bob")
    meeting = create_meeting(client, owner)
    assert client.get(f"/api/v1/meetings/{meeting['id']}", headers=guest.headers).status_code == 404
    add_member(client, owner, meeting["id"], guest)
    shown = client.get(f"/api/v1/meetings/{meeting['id']}", headers=guest.headers)
    assert shown.status_code == 200
    assert {m["display_name"] for m in shown.json()["members"]} == {"Ana", "Bob"}
    twice = client.post(
        f"/api/v1/meetings/{meeting['id']}/members",
        json={"email": guest.email},
        headers=owner.headers,
    )
    assert twice.status_code == 200
    unknown = client.post(
        f"/api/v1/meetings/{meeting['id']}/members",
        json={"email": "no-such-person@example.com"},
        headers=owner.headers,
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "no user with e-mail no-such-person@example.com"


def test_meeting_input_is_validated(client: httpx.Client) -> None:
    owner = register(client)
    for body in (
        {"title": " "},
        {"title": "x", "language": "fr"},
        {"title": "x", "time_zone": "Mars/Base"},
    ):
        answer = client.post("/api/v1/meetings", json=body, headers=owner.headers)
        assert answer.status_code == 422, body


def test_final_segments_are_stored_once_and_exported(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    ana, bob = register(client, "Ana"), register(client, "Bob")
    meeting = create_meeting(client, ana)
    add_member(client, ana, meeting["id"], bob)
    first = segment(meeting["id"], ana, 0.5, "Let's ship the beta on Friday.")
    reply = segment(meeting["id"], bob, 1.0, "I'll write the release notes <today> & more.")
    produce(settings, joined(meeting["id"], ana), joined(meeting["id"], bob), first, reply)
    produce(settings, first, first)  # replays change nothing
    produce(settings, segment(meeting["id"], ana, 0.5, "partial", final=False))
    # An empty final withdraws an utterance that proved not to be speech: nothing to store.
    produce(settings, segment(meeting["id"], bob, 9.0, "", with_words=False))
    marker = segment(meeting["id"], bob, 12.0, "Marker after the empty one.")
    produce(settings, marker)
    # Same meeting, same partition: once the marker is stored, the empty final was handled.
    wait_for(lambda: _stored_segments(gateway, meeting["id"]) == 3, message="three stored finals")
    with gateway.app.state.gateway.sessions() as session:
        session.execute(delete(TranscriptSegmentRow).where(TranscriptSegmentRow.id == marker.id))
        session.commit()
    assert _stored_segments(gateway, meeting["id"]) == 2

    base = f"/api/v1/meetings/{meeting['id']}/transcript"
    data = client.get(base, headers=ana.headers).json()
    assert [s["text"] for s in data["segments"]] == [first.text, reply.text]
    assert [s["speaker"] for s in data["segments"]] == ["Ana", "Bob"]
    assert data["segments"][0]["words"][0]["word"] == "Let's"
    assert all(s["meeting_end"] > s["meeting_start"] >= 0 for s in data["segments"])

    subtitles = client.get(base, params={"format": "srt"}, headers=ana.headers)
    assert subtitles.headers["content-type"].startswith("application/x-subrip")
    cues = list(srt.parse(subtitles.text))
    assert [c.content for c in cues] == [f"Ana: {first.text}", f"Bob: {reply.text}"]
    assert all(c.end > c.start for c in cues)
    assert cues[0].end - cues[0].start == timedelta(seconds=2)

    vtt = client.get(base, params={"format": "vtt"}, headers=ana.headers)
    assert vtt.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(vtt.text)).captions
    assert captions[0].text == f"Ana: {first.text}"
    # Markup characters are escaped as WebVTT requires; a player shows the original text.
    assert "&lt;today&gt; &amp; more" in captions[1].text
    assert html.unescape(captions[1].text) == f"Bob: {reply.text}"

    text = client.get(base, params={"format": "txt"}, headers=ana.headers).text
    assert text.splitlines()[0].endswith(f"Ana: {first.text}")
    markdown = client.get(base, params={"format": "md"}, headers=ana.headers).text
    assert markdown.startswith("# Transcript: Weekly sync")
    assert "**Bob**" in markdown
    assert client.get(base, params={"format": "doc"}, headers=ana.headers).status_code == 422


def test_summary_has_decisions_action_items_cards_and_minutes(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner = register(client, "Ana")
    board_id = f"brd_summary_{uuid.uuid4().hex[:8]}"
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:  # a board the owner may feed (kanban creates these)
            session.add(Board(id=board_id, name="Ana's board", owner_id=owner.id))
            session.commit()
    finally:
        engine.dispose()
    meeting = create_meeting(client, owner, board_id=board_id)
    base = f"/api/v1/meetings/{meeting['id']}/summary"
    empty = client.get(base, headers=owner.headers).json()
    assert empty["available"] is False
    assert empty["action_items"] == []

    item = ActionItem(
        task_key="task_summary_1",
        title="Write the release notes",
        assignee="Bob",
        due_date="2026-11-27",
        evidence=[Evidence(segment_id="seg_1", quote="I'll write the release notes", at=61.0)],
    )
    final = MeetingSummary(
        meeting_id=meeting["id"],
        kind="final",
        revision=4,
        source="rules",
        overview="The beta ships Friday.",
        decisions=["Ship the beta on Friday"],
        action_items=[item],
    )
    older = MeetingSummary(
        meeting_id=meeting["id"], kind="rolling", revision=9, source="rules", overview="stale"
    )
    card = CardSnapshot(
        id="card_42",
        board_id=board_id,
        column="To do",
        title=item.title,
        assignee="Bob",
        task_key=item.task_key,
        version=1,
    )
    produce(
        settings,
        final,
        older,  # a late rolling summary never replaces the final one
        KanbanChange(board_id=board_id, change="created", card=card, meeting_id=meeting["id"]),
    )

    def summary() -> dict[str, Any]:
        answer: dict[str, Any] = client.get(base, headers=owner.headers).json()
        return answer

    wait_for(
        lambda: summary()["action_items"] and summary()["action_items"][0]["card"], message="card"
    )
    body = summary()
    assert body["kind"] == "final"
    assert body["overview"] == "The beta ships Friday."
    assert body["decisions"] == ["Ship the beta on Friday"]
    action = body["action_items"][0]
    assert action["card"]["id"] == "card_42"
    assert action["card"]["column"] == "To do"
    assert action["evidence"][0]["segment_id"] == "seg_1"

    minutes = client.get(base, params={"format": "md"}, headers=owner.headers)
    assert minutes.headers["content-type"].startswith("text/markdown")
    assert "## Decisions" in minutes.text
    assert "- Ship the beta on Friday" in minutes.text
    assert "| Write the release notes | Bob | 2026-11-27 | To do (`card_42`) |" in minutes.text
    assert "at 00:01:01" in minutes.text
