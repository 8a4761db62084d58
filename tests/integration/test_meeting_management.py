"""A meeting managed by its owner through a real gateway (Kafka, PostgreSQL): rename, choose
which commitments become its cards, delete with everything said in it (its cards stay on
the board), and the list's search, filters and cursor paging."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from websockets.exceptions import ConnectionClosed

from analytics_spark.live import TotalsWriter
from analytics_spark.live_totals import SpeakerTotals
from tests.helpers.gateway import (
    Account,
    EventsClient,
    GatewayServer,
    add_member,
    connect_events,
    create_meeting,
    own_board,
    produce,
    register,
    segment,
    serve_gateway,
    wait_for,
)
from tests.helpers.kafka import read_all
from tests.helpers.summarizer import running_worker
from vori.db.engine import create_db_engine
from vori.db.tables import (
    AnalyticsLiveSpeaker,
    Board,
    BoardColumn,
    Card,
    Meeting,
    MeetingEventRow,
    MeetingTaskCard,
    SummarizerDeletedMeeting,
    SummarizerMeeting,
    SummarizerSegment,
    TranscriptSegmentRow,
)
from vori.events import MEETING_EVENTS, MeetingEvent, decode
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _session(gateway: GatewayServer) -> Session:
    session: Session = gateway.app.state.gateway.sessions()
    return session


def _count(gateway: GatewayServer, table: Any, meeting_id: str) -> int:
    with _session(gateway) as session:
        counted = session.scalar(
            select(func.count()).select_from(table).where(table.meeting_id == meeting_id)
        )
        return int(counted or 0)


# -- rename ------------------------------------------------------------------------------


def test_only_the_owner_renames_a_meeting(client: httpx.Client) -> None:
    owner, bea, stranger = register(client, "Ada"), register(client, "Bea"), register(client)
    meeting = create_meeting(client, owner, title="Weekly sync")
    add_member(client, owner, meeting["id"], bea)
    url = f"/api/v1/meetings/{meeting['id']}"

    renamed = client.patch(url, json={"title": "  Release   planning "}, headers=owner.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "Release planning"
    assert client.get(url, headers=bea.headers).json()["title"] == "Release planning"

    refused = client.patch(url, json={"title": "Mine now"}, headers=bea.headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "only the meeting's owner can do this"
    assert client.patch(url, json={"title": "x"}, headers=stranger.headers).status_code == 404
    assert client.get(url, headers=owner.headers).json()["title"] == "Release planning"


@pytest.mark.parametrize("body", [{"title": ""}, {"title": "   "}, {"title": "x" * 301}, {}])
def test_a_blank_or_over_long_title_is_refused(client: httpx.Client, body: dict[str, Any]) -> None:
    owner = register(client)
    meeting = create_meeting(client, owner, title="Kept")
    answer = client.patch(f"/api/v1/meetings/{meeting['id']}", json=body, headers=owner.headers)
    assert answer.status_code == 422, answer.text
    shown = client.get(f"/api/v1/meetings/{meeting['id']}", headers=owner.headers)
    assert shown.json()["title"] == "Kept"


# -- delete ------------------------------------------------------------------------------


def _card_on_board(gateway: GatewayServer, board_id: str, meeting_id: str) -> str:
    """A card the meeting proposed on the board (as kanban writes it), with its evidence."""
    card_id = f"crd_{uuid.uuid4().hex[:16]}"
    column_id = f"col_{uuid.uuid4().hex[:16]}"
    with _session(gateway) as session:
        session.add(BoardColumn(id=column_id, board_id=board_id, name="To do", position=0))
        session.flush()
        session.add(
            Card(
                id=card_id,
                board_id=board_id,
                column_id=column_id,
                title="Write the release notes",
                position=0,
                source="rules",
                task_key=f"tk_{uuid.uuid4().hex[:16]}",
                meeting_id=meeting_id,
                evidence=[{"meeting_id": meeting_id, "segment_id": "s1", "quote": "I'll write"}],
            )
        )
        session.add(
            MeetingTaskCard(
                task_key=f"tk_{uuid.uuid4().hex[:16]}",
                meeting_id=meeting_id,
                card_id=card_id,
                board_id=board_id,
                column_name="To do",
                title="Write the release notes",
                version=1,
            )
        )
        session.commit()
    return card_id


def _events(server: GatewayServer, meeting_id: str, account: Account) -> EventsClient:
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": account.token})
    assert events.receive()["type"] == "ready"
    return events


def _drain(events: EventsClient, timeout: float) -> None:
    while True:
        events.receive(timeout=timeout)


def _closed_with(events: EventsClient, timeout: float = 15.0) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        _drain(events, timeout)
    frame = closed.value.rcvd
    assert frame is not None, "closed without a close frame"
    return frame.code, frame.reason


def _no_detector(settings: Settings) -> Settings:
    """The summarizer on its rules alone: what it stores is the same, it starts faster."""
    summarizer = settings.summarizer.model_copy(update={"detector": False})
    return settings.model_copy(update={"summarizer": summarizer})


def _summarizer_rows(gateway: GatewayServer, meeting_id: str) -> tuple[int, bool, bool]:
    """The summarizer's segments of the meeting, whether it has state of it, and whether it
    has it marked deleted."""
    with _session(gateway) as session:
        return (
            _count(gateway, SummarizerSegment, meeting_id),
            session.get(SummarizerMeeting, meeting_id) is not None,
            session.get(SummarizerDeletedMeeting, meeting_id) is not None,
        )


@pytest.mark.timeout(180)
def test_deleting_a_meeting_removes_what_was_said_and_keeps_its_cards(
    gateway: GatewayServer, client: httpx.Client, settings: Settings, unique: str
) -> None:
    owner, bea = register(client, "Ada"), register(client, "Bea")
    board_id = own_board(settings, owner)
    meeting = create_meeting(client, owner, title="Doomed", board_id=board_id)
    meeting_id, url = meeting["id"], f"/api/v1/meetings/{meeting['id']}"
    add_member(client, owner, meeting_id, bea)
    handled: list[Any] = []
    with running_worker(_no_detector(settings), f"test-erase-{unique}", handled):
        produce(settings, segment(meeting_id, owner, 0.0, "I'll write the release notes"))
        wait_for(lambda: _count(gateway, TranscriptSegmentRow, meeting_id) == 1, message="segment")
        wait_for(
            lambda: _summarizer_rows(gateway, meeting_id)[:2] == (1, True),
            timeout=60,
            message="the summarizer's copy",
        )
        # The live job's writer, as after a micro-batch.
        live = TotalsWriter(create_db_engine(settings, pool_size=1, max_overflow=0))
        spoke = SpeakerTotals(meeting_id, owner.id, "Ada", 1, 2.0, 5, 2.0)
        assert live.write([spoke]) == 1
        card_id = _card_on_board(gateway, board_id, meeting_id)
        bea_live = _events(gateway, meeting_id, bea)

        refused = client.delete(url, headers=bea.headers)
        assert refused.status_code == 403
        assert client.get(url, headers=bea.headers).status_code == 200

        deleted = client.delete(url, headers=owner.headers)
        assert deleted.status_code == 204, deleted.text

        assert _closed_with(bea_live)[0] == 4404
        for who in (owner, bea):
            assert client.get(url, headers=who.headers).status_code == 404
            assert client.get(f"{url}/transcript", headers=who.headers).status_code == 404
            assert client.get(f"{url}/summary", headers=who.headers).status_code == 404
            listed = client.get("/api/v1/meetings", headers=who.headers).json()
            assert meeting_id not in [m["id"] for m in listed]
        assert client.delete(url, headers=owner.headers).status_code == 404
        for table in (TranscriptSegmentRow, MeetingEventRow, MeetingTaskCard, AnalyticsLiveSpeaker):
            assert _count(gateway, table, meeting_id) == 0, table.__tablename__
        # Each owner removes its own rows: the summarizer on the `deleted` event.
        wait_for(
            lambda: _summarizer_rows(gateway, meeting_id) == (0, False, True),
            timeout=30,
            message="the summarizer to forget the meeting",
        )

        # A segment arriving late, and the `deleted` event replayed, bring nothing back.
        late = segment(meeting_id, bea, 5.0, "and I'll send the minutes tomorrow")
        produce(settings, late, MeetingEvent(type="deleted", meeting_id=meeting_id))

        def both_handled() -> bool:
            mine = [e for e in handled if getattr(e, "meeting_id", None) == meeting_id]
            ids = [getattr(e, "id", None) for e in mine]
            deletions = [e for e in mine if getattr(e, "type", None) == "deleted"]
            return late.id in ids and len(deletions) == 2

        wait_for(both_handled, timeout=30, message="the late segment and the replayed event")
        assert _summarizer_rows(gateway, meeting_id) == (0, False, True)
        assert live.write([replace(spoke, segments=2, talk_s=4.0)]) == 0
        assert _count(gateway, AnalyticsLiveSpeaker, meeting_id) == 0
        live.engine.dispose()

    with _session(gateway) as session:
        assert session.get(Meeting, meeting_id) is None
        card = session.get(Card, card_id)
        assert card is not None, "the card stays on the board"
        assert card.board_id == board_id
        assert card.meeting_id is None
        assert card.evidence[0]["quote"] == "I'll write"

    # It was live: workers were told it ended, then that it is deleted, before it went.
    events = [
        decode(MEETING_EVENTS, message.value(), message.headers())
        for message in read_all(settings.kafka, MEETING_EVENTS, expected=10_000, timeout_s=5)
        if message.key() == meeting_id.encode()
    ]
    types = [event.type for event in events if isinstance(event, MeetingEvent)]
    assert types[0] == "started"
    assert types.index("ended") < types.index("deleted") < types.index("member_removed")


# -- list: search, filters, paging -------------------------------------------------------


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [meeting["id"] for meeting in answer.json()]


def _backdate(gateway: GatewayServer, meeting_id: str, days: int) -> None:
    with _session(gateway) as session:
        session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(created_at=datetime(2026, 1, 1, 12, tzinfo=UTC) + timedelta(days=days))
        )
        session.commit()


def test_the_list_searches_titles_and_filters_by_board_status_and_date(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    owner, other = register(client, "Ada"), register(client, "Cy")
    board_id = own_board(settings, owner)
    standup = create_meeting(client, owner, title="Daily STANDUP", board_id=board_id)
    retro = create_meeting(client, owner, title="Sprint retro 50%", board_id=board_id)
    planning = create_meeting(client, owner, title="Planning")
    create_meeting(client, other, title="Daily standup of someone else")
    client.post(f"/api/v1/meetings/{retro['id']}/end", headers=owner.headers)
    for days, meeting in enumerate((standup, retro, planning)):
        _backdate(gateway, meeting["id"], days * 10)  # Jan 1, Jan 11, Jan 21
    mine = owner.headers

    assert _ids(client.get("/api/v1/meetings", params={"q": "standup"}, headers=mine)) == [
        standup["id"]
    ]
    assert _ids(client.get("/api/v1/meetings", params={"q": "  daily  "}, headers=mine)) == [
        standup["id"]
    ]
    assert _ids(client.get("/api/v1/meetings", params={"q": "50%"}, headers=mine)) == [retro["id"]]
    assert _ids(client.get("/api/v1/meetings", params={"q": "%"}, headers=mine)) == [retro["id"]]
    by_board = client.get("/api/v1/meetings", params={"board_id": board_id}, headers=mine)
    assert _ids(by_board) == [retro["id"], standup["id"]]
    active = client.get(
        "/api/v1/meetings", params={"board_id": board_id, "status": "active"}, headers=mine
    )
    assert _ids(active) == [standup["id"]]
    ended = client.get("/api/v1/meetings", params={"status": "ended"}, headers=mine)
    assert _ids(ended) == [retro["id"]]
    window = client.get(
        "/api/v1/meetings", params={"after": "2026-01-05", "before": "2026-01-21"}, headers=mine
    )
    assert _ids(window) == [retro["id"]]
    since = client.get(
        "/api/v1/meetings", params={"after": "2026-01-11T12:00:00+00:00"}, headers=mine
    )
    assert _ids(since) == [planning["id"], retro["id"]]
    assert (
        client.get("/api/v1/meetings", params={"status": "open"}, headers=mine).status_code == 422
    )
    assert client.get("/api/v1/meetings", params={"after": "soon"}, headers=mine).status_code == 422


def test_a_meeting_without_a_board_is_on_its_owners_personal_board(
    gateway: GatewayServer, client: httpx.Client, settings: Settings
) -> None:
    """The create form's personal board is the board the filter lists it under: the
    meeting records it, and one that names none (created before that board existed)
    lists under it too, as kanban feeds its cards there."""
    owner, other = register(client, "Alice"), register(client, "Bo")
    personal = f"brd_{uuid.uuid4().hex[:16]}"
    with _session(gateway) as session:
        session.add(
            Board(
                id=personal, name="Alice Kim's board", owner_id=owner.id, personal_owner_id=owner.id
            )
        )
        session.commit()
    recorded = create_meeting(client, owner, title="Weekly sync")
    assert recorded["board_id"] == personal
    older = create_meeting(client, owner, title="Before the board")
    with _session(gateway) as session:
        session.execute(update(Meeting).where(Meeting.id == older["id"]).values(board_id=None))
        session.commit()
    elsewhere = create_meeting(client, other, title="Bo's meeting")
    add_member(client, other, elsewhere["id"], owner)  # Bo's meeting feeds Bo's board, not Alice's
    with _session(gateway) as session:
        session.execute(update(Meeting).where(Meeting.id == elsewhere["id"]).values(board_id=None))
        session.commit()
    listed = client.get("/api/v1/meetings", params={"board_id": personal}, headers=owner.headers)
    assert sorted(_ids(listed)) == sorted([recorded["id"], older["id"]])


def test_the_list_pages_by_cursor_without_repeats_or_gaps(
    gateway: GatewayServer, client: httpx.Client
) -> None:
    owner = register(client)
    made = [create_meeting(client, owner, title=f"Meeting {n}")["id"] for n in range(5)]
    for meeting_id in made[:2]:  # two at the same instant: the id breaks the tie
        _backdate(gateway, meeting_id, 0)

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        answer = client.get("/api/v1/meetings", params=params, headers=owner.headers)
        pages.append(_ids(answer))
        cursor = answer.headers.get("X-Next-Cursor")
        if cursor is None:
            break
        # A meeting created while paging appears on no later page (it is newer).
        if len(pages) == 1:
            create_meeting(client, owner, title="Created while paging")
    assert [len(page) for page in pages] == [2, 2, 1]
    seen = [meeting_id for page in pages for meeting_id in page]
    assert sorted(seen) == sorted(made)
    assert seen[-2:] == sorted(made[:2], reverse=True)

    last = client.get("/api/v1/meetings", params={"limit": 6}, headers=owner.headers)
    assert len(_ids(last)) == 6
    assert "X-Next-Cursor" not in last.headers
    bad = client.get("/api/v1/meetings", params={"cursor": "not-a-cursor"}, headers=owner.headers)
    assert bad.status_code == 400
    assert "cursor" in bad.json()["detail"]


def test_the_owner_chooses_which_commitments_become_cards(client: httpx.Client) -> None:
    owner = register(client, "Ana")
    bea = register(client, "Bea")
    unset = create_meeting(client, owner)
    assert unset["tasks"] is None  # the deployment's VORI_SUMMARIZER__TASKS
    meeting = create_meeting(client, owner, tasks="thorough")
    assert meeting["tasks"] == "thorough"
    add_member(client, owner, meeting["id"], bea)
    url = f"/api/v1/meetings/{meeting['id']}"

    refused = client.patch(url, json={"tasks": "selective"}, headers=bea.headers)
    assert refused.status_code == 403
    changed = client.patch(url, json={"tasks": "selective"}, headers=owner.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["tasks"] == "selective"
    assert client.get(url, headers=bea.headers).json()["tasks"] == "selective"

    renamed = client.patch(url, json={"title": "Weekly"}, headers=owner.headers)
    assert renamed.json()["tasks"] == "selective"  # left out: kept
    refused = client.patch(url, json={"tasks": None}, headers=bea.headers)
    assert refused.status_code == 403
    reset = client.patch(url, json={"tasks": None}, headers=owner.headers)
    assert reset.status_code == 200, reset.text
    assert reset.json()["tasks"] is None  # back to the deployment's selection


def test_an_unknown_selection_is_refused_with_a_message(client: httpx.Client) -> None:
    owner = register(client)
    created = client.post(
        "/api/v1/meetings", json={"title": "Standup", "tasks": "all"}, headers=owner.headers
    )
    assert created.status_code == 422
    assert "selective" in created.text
    meeting = create_meeting(client, owner)
    url = f"/api/v1/meetings/{meeting['id']}"
    patched = client.patch(url, json={"tasks": "every"}, headers=owner.headers)
    assert patched.status_code == 422
    assert client.get(url, headers=owner.headers).json()["tasks"] is None


def test_the_meetings_accuracy_is_chosen_at_creation(client: httpx.Client) -> None:
    owner = register(client, "Ana")
    assert create_meeting(client, owner)["accuracy"] is None  # VORI_TRANSCRIBER__ACCURACY
    meeting = create_meeting(client, owner, accuracy="high")
    assert meeting["accuracy"] == "high"
    url = f"/api/v1/meetings/{meeting['id']}"
    assert client.get(url, headers=owner.headers).json()["accuracy"] == "high"

    bad = client.post(
        "/api/v1/meetings", json={"title": "Standup", "accuracy": "best"}, headers=owner.headers
    )
    assert bad.status_code == 422
    assert "standard" in bad.text
    assert "high" in bad.text
    # A stream's finals all come from one model, so it is not changed afterwards.
    later = client.patch(url, json={"accuracy": "standard"}, headers=owner.headers)
    assert later.status_code == 422
    assert "accuracy" in later.text
    assert client.get(url, headers=owner.headers).json()["accuracy"] == "high"
