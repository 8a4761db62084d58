"""Search across meetings through the real gateway: English and Korean, ranked, members only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers.gateway import (
    Account,
    GatewayServer,
    create_meeting,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from vori.db.tables import Board, BoardColumn, BoardMember, Card, TranscriptSegmentRow
from vori.events import MeetingSummary
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


@dataclass
class World:
    ana: Account
    bob: Account
    english: dict[str, Any]
    korean: dict[str, Any]
    secret: dict[str, Any]
    ana_card: str
    bob_card: str


def _stored(gateway: GatewayServer, meeting_id: str) -> int:
    with gateway.app.state.gateway.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(TranscriptSegmentRow)
                .where(TranscriptSegmentRow.meeting_id == meeting_id)
            )
        )


def _card(session: Any, board: str, column: str, meeting_id: str, title: str) -> str:
    card_id = f"card_{uuid.uuid4().hex[:12]}"
    session.add(
        Card(
            id=card_id,
            board_id=board,
            column_id=column,
            title=title,
            description="",
            position=0,
            source="rules",
            meeting_id=meeting_id,
        )
    )
    return card_id


@pytest.fixture(scope="module")
def world(gateway: GatewayServer, client: httpx.Client, settings: Settings) -> World:
    ana, bob = register(client, "Ana"), register(client, "Bob")
    english = create_meeting(client, ana, title="Launch sync")
    korean = create_meeting(client, ana, title="출시 회의", language="ko")
    secret = create_meeting(client, bob, title="Launch checklist secrets")
    korean_segment = segment(korean["id"], ana, 7.5, "이번 분기 예산안을 금요일까지 검토합시다")
    produce(
        settings,
        segment(english["id"], ana, 12.0, "Let's finish the launch checklist before Friday."),
        segment(english["id"], ana, 30.0, "The checklist covers how we launch the app."),
        segment(english["id"], ana, 45.0, "Nothing to see in this one."),
        korean_segment.model_copy(update={"language": "ko"}),
        segment(secret["id"], bob, 3.0, "The launch checklist has secret 예산안 numbers."),
        MeetingSummary(
            meeting_id=english["id"],
            kind="final",
            overview="The team planned the release.",
            decisions=["Ship after the launch checklist is done."],
            source="rules",
        ),
    )
    for meeting, count in ((english, 3), (korean, 1), (secret, 1)):
        wait_for(lambda m=meeting, n=count: _stored(gateway, m["id"]) == n, 30, "segments")

    # A board Bob owns and Ana works too: cards of Bob's meeting must not reach her search.
    with gateway.app.state.gateway.sessions.begin() as session:
        board, column = f"brd_{uuid.uuid4().hex[:12]}", f"col_{uuid.uuid4().hex[:12]}"
        session.add(Board(id=board, name="Shared", owner_id=bob.id))
        session.flush()
        session.add(BoardColumn(id=column, board_id=board, name="To do", position=0))
        session.add(BoardMember(board_id=board, user_id=ana.id))
        session.flush()
        ana_card = _card(session, board, column, english["id"], "Send the launch checklist to QA")
        bob_card = _card(session, board, column, secret["id"], "Launch checklist secret card")
    wait_for(
        lambda: (
            client.get(f"/api/v1/meetings/{english['id']}/summary", headers=ana.headers)
            .json()
            .get("available")
        ),
        30,
        "the summary stored",
    )
    return World(ana, bob, english, korean, secret, ana_card, bob_card)


def _search(client: httpx.Client, who: Account, q: str, **params: Any) -> Any:
    answer = client.get("/api/v1/search", params={"q": q, **params}, headers=who.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _marked(hit: dict[str, Any]) -> list[str]:
    return [hit["snippet"][start:end] for start, end in hit["highlights"]]


def test_english_phrase_found_with_the_moment_and_ranked_first(
    client: httpx.Client, world: World
) -> None:
    hits = _search(client, world.ana, "launch checklist")["hits"]
    kinds = {(h["kind"], h.get("segment_id") or h.get("card_id") or h.get("field")) for h in hits}
    assert ("card", world.ana_card) in kinds
    assert ("summary", "decision") in kinds
    moment = next(h for h in hits if h["kind"] == "segment" and h["start"] == 12.0)
    assert moment["meeting_id"] == world.english["id"]
    assert moment["meeting_title"] == "Launch sync"
    assert moment["speaker"] == "Ana"
    assert moment["stream_id"].startswith(world.english["id"])
    assert moment["segment_id"].startswith("seg_")
    assert moment["meeting_start"] == 12.0
    assert _marked(moment) == ["launch checklist"]
    # The words apart ("checklist ... launch") rank below every exact phrase.
    apart = next(i for i, h in enumerate(hits) if h["kind"] == "segment" and h["start"] == 30.0)
    phrases = [i for i, h in enumerate(hits) if "launch checklist" in h["snippet"].lower()]
    assert phrases
    assert max(phrases) < apart
    assert _marked(hits[apart]) == ["checklist", "launch"]
    assert all("nothing to see" not in h["snippet"].lower() for h in hits)


def test_korean_word_inside_a_longer_word_found_with_the_moment(
    client: httpx.Client, world: World
) -> None:
    hits = _search(client, world.ana, "예산")["hits"]
    assert [(h["kind"], h["meeting_id"], h["start"]) for h in hits] == [
        ("segment", world.korean["id"], 7.5)
    ]
    assert _marked(hits[0]) == ["예산"]
    title = _search(client, world.ana, "출시")["hits"]
    assert [(h["kind"], h["meeting_id"]) for h in title] == [("meeting", world.korean["id"])]


def test_nothing_from_meetings_the_user_is_not_in(client: httpx.Client, world: World) -> None:
    for q in ("launch checklist", "secret", "예산안", "checklist secrets"):
        hits = _search(client, world.ana, q)["hits"]
        assert all(h["meeting_id"] != world.secret["id"] for h in hits), q
        assert all(h.get("card_id") != world.bob_card for h in hits), q
    bob_hits = _search(client, world.bob, "launch checklist")["hits"]
    assert {h["meeting_id"] for h in bob_hits} == {world.secret["id"]}
    assert world.bob_card in {h.get("card_id") for h in bob_hits}
    stranger = register(client, "Cleo")
    assert _search(client, stranger, "launch")["hits"] == []
    assert client.get("/api/v1/search", params={"q": "launch"}).status_code == 401


def test_stop_words_alone_match_as_whole_words(client: httpx.Client, world: World) -> None:
    hits = _search(client, world.ana, "before")["hits"]  # an English stop word
    assert [(h["kind"], h["start"]) for h in hits] == [("segment", 12.0)]
    assert _marked(hits[0]) == ["before"]
    assert _search(client, world.ana, "efor")["hits"] == []  # inside a word: no


def test_pages_follow_one_another(client: httpx.Client, world: World) -> None:
    everything = _search(client, world.ana, "launch checklist", limit=50)["hits"]
    first = _search(client, world.ana, "launch checklist", limit=2)
    assert first["next_offset"] == 2
    second = _search(client, world.ana, "launch checklist", limit=2, offset=2)
    pages = first["hits"] + second["hits"]
    assert [(h["kind"], h["snippet"]) for h in pages] == [
        (h["kind"], h["snippet"]) for h in everything[:4]
    ]
    assert _search(client, world.ana, "zyxwvut")["hits"] == []
    assert client.get("/api/v1/search", headers=world.ana.headers).status_code == 422
