"""Importing SRT/VTT transcripts through the real gateway, Kafka, PostgreSQL and summarizer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.helpers.gateway import (
    GatewayServer,
    add_member,
    create_meeting,
    register,
    serve_gateway,
    wait_for,
)
from tests.helpers.summarizer import final_published, fresh_group, proposals, run_worker_until
from vori.settings import Settings

MAX_BODY = 8192

LAUNCH_SRT = """1
00:00:02,000 --> 00:00:06,500
Alice: Okay, let's get started with the launch sync.

2
00:00:07,500 --> 00:00:09,000
Bob Chen: Yes, loud and clear.

3
00:00:36,400 --> 00:00:42,000
David Okafor: On pricing, we still haven't decided whether to show annual prices by default.

4
00:00:43,200 --> 00:00:47,000
Alice: Let's go with annual by default. That's decided.

5
00:00:48,800 --> 00:00:54,000
Bob Chen: Then I'll update the pricing page copy to reflect that by Thursday.

6
00:01:12,000 --> 00:01:15,000
Alice: Great, thanks all.
"""

TEAMS_VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v 김민아>이번 분기 예산안을 금요일까지 검토하겠습니다.</v>

00:00:05.000 --> 00:00:07.000
<v Bob Chen>Sounds good &amp; thanks.</v>
"""


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings, max_body_bytes=MAX_BODY)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _import(
    client: httpx.Client, meeting_id: str, headers: dict[str, str], body: str, media: str
) -> httpx.Response:
    return client.post(
        f"/api/v1/meetings/{meeting_id}/transcript",
        content=body.encode(),
        headers={**headers, "Content-Type": media},
    )


def _transcript(client: httpx.Client, meeting_id: str, headers: dict[str, str]) -> Any:
    answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["segments"]


def test_imported_srt_is_stored_summarised_and_its_task_proposed(
    client: httpx.Client, settings: Settings, unique: str
) -> None:
    owner = register(client, "Alice")
    meeting = create_meeting(client, owner, title="Launch sync (imported)")
    group = fresh_group(settings, f"import-{unique}")
    answer = _import(client, meeting["id"], owner.headers, LAUNCH_SRT, "application/x-subrip")
    assert answer.status_code == 202, answer.text
    result = answer.json()
    assert result["format"] == "srt"
    assert result["segments"] == 6
    assert result["speakers"] == ["Alice", "Bob Chen", "David Okafor"]
    assert result["ended"] is True

    wait_for(lambda: len(_transcript(client, meeting["id"], owner.headers)) == 6, 30, "segments")
    segments = _transcript(client, meeting["id"], owner.headers)
    assert [(s["speaker"], s["meeting_start"]) for s in segments] == [
        ("Alice", 2.0),
        ("Bob Chen", 7.5),
        ("David Okafor", 36.4),
        ("Alice", 43.2),
        ("Bob Chen", 48.8),
        ("Alice", 72.0),
    ]
    assert (
        segments[4]["text"] == "Then I'll update the pricing page copy to reflect that by Thursday."
    )
    assert segments[0]["participant_id"] == owner.id  # the owner's own name: the owner
    bob = {s["stream_id"] for s in segments if s["speaker"] == "Bob Chen"}
    assert len(bob) == 1
    assert next(iter(bob)).endswith(":file")
    ended = client.get(f"/api/v1/meetings/{meeting['id']}", headers=owner.headers).json()
    assert ended["status"] == "ended"

    # The same file again changes nothing: the segment ids are the same.
    again = _import(client, meeting["id"], owner.headers, LAUNCH_SRT, "application/x-subrip")
    assert again.status_code == 202
    assert again.json()["ended"] is True

    # The summarizer (rules, no detector) makes the final summary and proposes the task.
    quiet = {"llm": "off", "detector": False, "refresh_words": 100_000}
    rules = settings.model_copy(update={"summarizer": settings.summarizer.model_copy(update=quiet)})
    run_worker_until(rules, group, final_published(settings, meeting["id"], 6))

    def summary() -> Any:
        return client.get(f"/api/v1/meetings/{meeting['id']}/summary", headers=owner.headers)

    wait_for(lambda: summary().json().get("kind") == "final", 30, "the final summary stored")
    stored = summary().json()
    assert stored["source"] == "rules"
    assert stored["overview"]
    pricing = [i for i in stored["action_items"] if "pricing" in i["title"].lower()]
    assert pricing, stored["action_items"]
    assert pricing[0]["assignee"] == "Bob Chen"
    assert pricing[0]["evidence"][0]["segment_id"] == segments[4]["id"]
    proposed = {i.task_key for p in proposals(settings, meeting["id"]) for i in p.items}
    assert pricing[0]["task_key"] in proposed
    assert len(_transcript(client, meeting["id"], owner.headers)) == 6


def test_vtt_voice_tags_and_korean_names_import_into_a_live_meeting(
    client: httpx.Client,
) -> None:
    owner = register(client, "Mina")
    meeting = create_meeting(client, owner, title="출시 회의", language="ko")
    answer = client.post(
        f"/api/v1/meetings/{meeting['id']}/transcript?end=false",
        content=TEAMS_VTT.encode(),
        headers=owner.headers,  # no Content-Type: sniffed from WEBVTT
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["format"] == "vtt"
    assert answer.json()["ended"] is False
    wait_for(lambda: len(_transcript(client, meeting["id"], owner.headers)) == 2, 30, "segments")
    first, second = _transcript(client, meeting["id"], owner.headers)
    assert (first["speaker"], first["language"]) == ("김민아", "ko")
    assert first["text"] == "이번 분기 예산안을 금요일까지 검토하겠습니다."
    assert second["text"] == "Sounds good & thanks."
    status = client.get(f"/api/v1/meetings/{meeting['id']}", headers=owner.headers).json()
    assert status["status"] == "active"


def test_bad_files_name_the_line_and_only_the_owner_imports(client: httpx.Client) -> None:
    owner, member, outsider = register(client, "Ana"), register(client, "Ben"), register(client)
    meeting = create_meeting(client, owner)
    add_member(client, owner, meeting["id"], member)

    broken = "1\n00:00:01,000 --> 00:00:02,000\nfine\n\n2\n00:00:0x,000 --> 00:00:03,000\nbad\n"
    answer = _import(client, meeting["id"], owner.headers, broken, "application/x-subrip")
    assert answer.status_code == 422
    assert "line 5" in answer.json()["detail"]

    no_header = "00:00:01.000 --> 00:00:02.000\nhi\n"
    answer = _import(client, meeting["id"], owner.headers, no_header, "text/vtt")
    assert answer.status_code == 422
    assert "line 1" in answer.json()["detail"]

    latin1 = client.post(
        f"/api/v1/meetings/{meeting['id']}/transcript",
        content="Zoë: hé".encode("latin-1"),
        headers=owner.headers,
    )
    assert latin1.status_code == 400

    huge = LAUNCH_SRT * (MAX_BODY // len(LAUNCH_SRT) + 1)
    too_big = _import(client, meeting["id"], owner.headers, huge, "application/x-subrip")
    assert too_big.status_code == 413
    assert "too large" in too_big.json()["detail"]

    by_member = _import(client, meeting["id"], member.headers, LAUNCH_SRT, "application/x-subrip")
    assert by_member.status_code == 403
    by_outsider = _import(
        client, meeting["id"], outsider.headers, LAUNCH_SRT, "application/x-subrip"
    )
    assert by_outsider.status_code == 404
    assert _transcript(client, meeting["id"], owner.headers) == []
