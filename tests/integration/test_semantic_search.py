"""Semantic search through the real gateway and the real model: a paraphrase that shares
no word with what was said finds the moment; nobody finds what is not theirs."""

from __future__ import annotations

import re
from collections.abc import Iterator
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
from vori.db.tables import SegmentEmbedding
from vori.settings import Settings

SAID = "Let's push the product release back to the second week of March."
PARAPHRASE = "postpone launch date"


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings, semantic_search=True)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _embedded(gateway: GatewayServer, meeting_id: str) -> int:
    """Segments of the meeting the gateway's embedder thread has seen (vector or none)."""
    with gateway.app.state.gateway.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(SegmentEmbedding)
                .where(SegmentEmbedding.meeting_id == meeting_id)
            )
        )


def _search(client: httpx.Client, who: Account, q: str) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/search", params={"q": q}, headers=who.headers)
    assert answer.status_code == 200, answer.text
    hits: list[dict[str, Any]] = answer.json()["hits"]
    return hits


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_paraphrase_finds_the_moment_and_only_for_members(
    client: httpx.Client, gateway: GatewayServer, settings: Settings
) -> None:
    assert not _words(SAID) & _words(PARAPHRASE)  # full text alone finds nothing
    ana, bob, cleo = register(client, "Ana"), register(client, "Bob"), register(client, "Cleo")
    mine = create_meeting(client, ana, title="Weekly sync")
    theirs = create_meeting(client, bob, title="Planning")
    produce(
        settings,
        segment(mine["id"], ana, 5.0, SAID),
        segment(mine["id"], ana, 20.0, "I will order sandwiches for everyone at lunch."),
        segment(mine["id"], ana, 40.0, "The marketing budget is almost spent for this quarter."),
        segment(mine["id"], ana, 55.0, "Okay, thanks."),  # too short for a vector
        segment(theirs["id"], bob, 8.0, "We are delaying the product launch by two weeks."),
    )
    wait_for(lambda: _embedded(gateway, mine["id"]) == 4, 60, "Ana's segments embedded")
    wait_for(lambda: _embedded(gateway, theirs["id"]) == 1, 60, "Bob's segment embedded")

    hits = _search(client, ana, PARAPHRASE)
    assert hits, "the paraphrase found nothing"
    best = hits[0]
    assert (best["kind"], best["meeting_id"], best["start"]) == ("segment", mine["id"], 5.0)
    assert best["snippet"] == SAID
    assert best["highlights"] == []  # no word matched: found by meaning
    assert best["speaker"] == "Ana"
    assert best["segment_id"].startswith("seg_")
    assert all(h["meeting_id"] == mine["id"] for h in hits)

    bobs = _search(client, bob, PARAPHRASE)
    assert bobs
    assert {h["meeting_id"] for h in bobs} == {theirs["id"]}
    assert _search(client, cleo, PARAPHRASE) == []  # in no meeting: nothing
