"""`/api/v1/analytics/*` through a real gateway over rows put in the analytics tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.helpers.analytics import (
    analytics_session,
    board_rows,
    live_row,
    meeting_row,
    speaker_row,
)
from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    create_meeting,
    own_board,
    register,
    serve_gateway,
)
from vori.db.tables import BoardMember, SpeakerLabel
from vori.events import room_speaker_id
from vori.settings import Settings


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        yield http


def _get(client: httpx.Client, account: Account, path: str, **params: str) -> httpx.Response:
    return client.get(path, headers=account.headers, params=params)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_meeting_analytics_is_pending_before_the_batch_job_runs(client: httpx.Client) -> None:
    owner = register(client, "Ana")
    meeting = create_meeting(client, owner)
    answer = _get(client, owner, f"/api/v1/analytics/meetings/{meeting['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "meeting_id": meeting["id"],
        "status": "pending",
        "computed_at": None,
        "figures": None,
        "speakers": [],
        "live": {"active": True, "updated_at": None, "talk_s": 0.0, "speakers": []},
    }


def test_meeting_analytics_shows_figures_speakers_and_live_totals(
    client: httpx.Client, settings: Settings
) -> None:
    ana, bob = register(client, "Ana"), register(client, "Bob")
    meeting = create_meeting(client, ana)
    add_member(client, ana, meeting["id"], bob)
    computed = datetime.now(UTC).replace(microsecond=0)
    with analytics_session(settings) as session:
        session.add(meeting_row(meeting["id"], computed, efficiency=64.25, gini=0.125))
        session.add(speaker_row(meeting["id"], bob.id, "Bob", 300.0, 0.25, words=700))
        session.add(speaker_row(meeting["id"], ana.id, "Ana", 900.0, 0.75, words=2100))
        # The live job knew Ana's name from her segments; Bob's rows carry only his id.
        session.add(live_row(meeting["id"], ana.id, "Ana", 90.0, 210))
        session.add(live_row(meeting["id"], bob.id, None, 30.0, 80))

    answer = _get(client, bob, f"/api/v1/analytics/meetings/{meeting['id']}")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    # Analysed while the meeting still runs: figures so far.
    assert data["status"] == "partial"
    assert datetime.fromisoformat(data["computed_at"]) == computed
    figures = data["figures"]
    assert figures["efficiency"] == 64.25
    assert figures["gini"] == 0.125
    assert (figures["duration_s"], figures["overlap_s"], figures["interruptions"]) == (1800, 42, 5)
    assert (figures["questions"], figures["decisions"], figures["action_items"]) == (7, 2, 3)
    assert [s["speaker"] for s in data["speakers"]] == ["Ana", "Bob"]  # most talk first
    ana_row = data["speakers"][0]
    assert (ana_row["talk_s"], ana_row["talk_share"], ana_row["words"]) == (900, 0.75, 2100)
    assert ana_row["wpm"] == pytest.approx(140.0)
    assert ana_row["user_id"] == ana.id

    live = data["live"]
    assert live["active"] is True
    assert live["talk_s"] == 120.0
    assert [(s["speaker"], s["talk_share"]) for s in live["speakers"]] == [
        ("Ana", 0.75),
        ("Bob", 0.25),  # named from his account
    ]
    assert live["speakers"][1]["wpm"] == pytest.approx(160.0)
    assert live["updated_at"] is not None

    ended = client.post(f"/api/v1/meetings/{meeting['id']}/end", headers=ana.headers)
    assert ended.status_code == 200
    stale = _get(client, ana, f"/api/v1/analytics/meetings/{meeting['id']}").json()
    assert stale["status"] == "partial"  # computed before the meeting ended
    assert stale["live"]["active"] is False
    with analytics_session(settings) as session:
        session.merge(meeting_row(meeting["id"], datetime.now(UTC) + timedelta(seconds=1)))
    fresh = _get(client, ana, f"/api/v1/analytics/meetings/{meeting['id']}").json()
    assert fresh["status"] == "ready"


def _seed_board(settings: Settings, owner: Account, member: Account) -> tuple[str, list[date]]:
    board_id = own_board(settings, owner)
    this_week = _monday(datetime.now(UTC).date())
    weeks = [this_week - timedelta(weeks=n) for n in (2, 1, 0)]
    computed = datetime.now(UTC).replace(microsecond=0)
    with analytics_session(settings) as session:
        session.add_all(
            board_rows(board_id, weeks, {owner.id: owner.name, member.id: member.name}, computed)
        )
    return board_id, weeks


def test_board_analytics_shows_weeks_people_topics_and_keywords(
    client: httpx.Client, settings: Settings
) -> None:
    owner, member = register(client, "Lead"), register(client, "Dev")
    board_id, weeks = _seed_board(settings, owner, member)
    shared = create_meeting(client, owner, title="Planning", board_id=board_id)
    private = create_meeting(client, owner, title="One-to-one", board_id=board_id)
    add_member(client, owner, shared["id"], member)
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with analytics_session(settings) as session:
        for meeting, efficiency in ((shared, 80.0), (private, 55.0)):
            session.add(
                meeting_row(
                    meeting["id"],
                    started + timedelta(hours=1),
                    board_id,
                    started_at=started,
                    efficiency=efficiency,
                )
            )

    # A guest of one meeting on the board sees its cards, not figures across the board.
    guest = _get(client, member, f"/api/v1/analytics/boards/{board_id}")
    assert guest.status_code == 403, guest.text
    assert "owner and members" in guest.json()["detail"]

    # Added to the board, they see the board's figures, and of its meetings only theirs.
    with analytics_session(settings) as session:
        session.add(BoardMember(board_id=board_id, user_id=member.id))
    answer = _get(client, member, f"/api/v1/analytics/boards/{board_id}")
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["status"] == "ready"
    assert data["since"] is None
    assert data["computed_at"] is not None
    assert [w["week"] for w in data["weeks"]] == [w.isoformat() for w in weeks]
    last = data["weeks"][-1]
    assert (last["meetings"], last["meeting_hours"], last["items_created"]) == (3, 4.5, 5)
    assert (last["items_completed"], last["items_overdue"]) == (4, 2)
    assert data["weeks"][0]["median_time_to_done_h"] is None
    assert last["median_time_to_done_h"] == 22.0
    assert len(data["people"]) == 6
    assert {p["name"] for p in data["people"]} == {"Lead", "Dev"}
    assert [t["topic"] for t in data["topics"]] == [0, 1]  # largest share first
    assert data["topics"][0]["terms"][0] == {"term": "release", "weight": 0.31}
    first_week = [k for k in data["keywords"] if k["week"] == weeks[0].isoformat()]
    assert [k["term"] for k in first_week] == ["budget", "release"]  # strongest first
    assert [m["title"] for m in data["meetings"]] == ["Planning"]
    assert data["meetings"][0]["efficiency"] == 80.0

    owner_view = _get(client, owner, f"/api/v1/analytics/boards/{board_id}").json()
    assert {m["title"] for m in owner_view["meetings"]} == {"Planning", "One-to-one"}


@pytest.mark.parametrize(
    ("since", "expected_weeks"),
    [("1w", 2), ("2w", 3), ("7d", 2), ("400d", 3), ("", 3)],
)
def test_board_analytics_since_takes_a_look_back(
    client: httpx.Client, settings: Settings, since: str, expected_weeks: int
) -> None:
    owner, member = register(client, "Lead"), register(client, "Dev")
    board_id, weeks = _seed_board(settings, owner, member)
    data = _get(client, owner, f"/api/v1/analytics/boards/{board_id}", since=since).json()
    assert len(data["weeks"]) == expected_weeks
    assert len(data["people"]) == 2 * expected_weeks
    assert len(data["keywords"]) == 2 * expected_weeks
    assert len(data["topics"]) == 2  # topics span the board, not weeks
    if since == "400d":
        assert data["since"] < weeks[0].isoformat()
    elif since:
        assert data["since"] == weeks[-expected_weeks].isoformat()
    else:
        assert data["since"] is None


def test_board_analytics_since_takes_an_iso_date_from_its_monday(
    client: httpx.Client, settings: Settings
) -> None:
    owner, member = register(client, "Lead"), register(client, "Dev")
    board_id, weeks = _seed_board(settings, owner, member)
    midweek = weeks[1] + timedelta(days=3)
    for since in (midweek.isoformat(), f"{midweek.isoformat()}T15:30:00+09:00"):
        data = _get(client, owner, f"/api/v1/analytics/boards/{board_id}", since=since).json()
        assert data["since"] == weeks[1].isoformat()
        assert [w["week"] for w in data["weeks"]] == [w.isoformat() for w in weeks[1:]]


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("yesterday", "neither an ISO date"),
        ("30x", "neither an ISO date"),
        ("2026-13-01", "neither an ISO date"),
        ("-30d", "neither an ISO date"),
        ("99999d", "more than 3660 days"),
    ],
)
def test_board_analytics_refuses_a_bad_since_with_a_message(
    client: httpx.Client, settings: Settings, since: str, message: str
) -> None:
    owner = register(client, "Lead")
    board_id = own_board(settings, owner)
    answer = _get(client, owner, f"/api/v1/analytics/boards/{board_id}", since=since)
    assert answer.status_code == 422
    assert message in answer.json()["detail"]
    assert since in answer.json()["detail"]


def test_board_analytics_is_pending_before_the_batch_job_runs(
    client: httpx.Client, settings: Settings
) -> None:
    owner = register(client, "Lead")
    board_id = own_board(settings, owner)
    data = _get(client, owner, f"/api/v1/analytics/boards/{board_id}", since="30d").json()
    assert data["status"] == "pending"
    assert data["computed_at"] is None
    assert data["weeks"] == data["people"] == data["topics"] == data["keywords"] == []
    assert data["meetings"] == []


def test_outsiders_get_404_for_meeting_and_board_analytics(
    client: httpx.Client, settings: Settings
) -> None:
    owner, outsider, invited = register(client, "Lead"), register(client, "Eve"), register(client)
    board_id, _weeks = _seed_board(settings, owner, invited)
    meeting = create_meeting(client, owner, board_id=board_id)
    with analytics_session(settings) as session:
        session.add(meeting_row(meeting["id"], datetime.now(UTC), board_id))

    paths = [
        f"/api/v1/analytics/meetings/{meeting['id']}",
        f"/api/v1/analytics/boards/{board_id}",
    ]
    answers: list[Any] = []
    for path in paths:
        denied = _get(client, outsider, path)
        missing = _get(client, outsider, path.rsplit("/", 1)[0] + "/no-such-id")
        assert denied.status_code == missing.status_code == 404, path
        # Nothing in the answer tells "not yours" from "does not exist".
        answers.append((denied.json()["detail"], missing.json()["detail"]))
        assert client.get(path).status_code == 401
    assert all(denied == missing for denied, missing in answers)
    # A bad `since` from an outsider still reads as "no such board", not as a 422.
    assert _get(client, outsider, paths[1], since="nonsense").status_code == 404

    # An explicit board member sees the board but not a meeting they are not in.
    with analytics_session(settings) as session:
        session.add(BoardMember(board_id=board_id, user_id=invited.id))
    assert _get(client, invited, paths[1]).status_code == 200
    assert _get(client, invited, paths[0]).status_code == 404


def test_live_totals_name_a_room_voice_by_its_label(
    client: httpx.Client, settings: Settings
) -> None:
    ana = register(client, "Ana")
    meeting = create_meeting(client, ana)
    stream = f"{meeting['id']}:{ana.id}:mic"
    first, second = room_speaker_id(stream, 1), room_speaker_id(stream, 2)
    with analytics_session(settings) as session:
        session.add(live_row(meeting["id"], first, "Room 1", 60.0, 150))
        session.add(live_row(meeting["id"], second, "Room 2", 30.0, 70))
        session.add(SpeakerLabel(meeting_id=meeting["id"], stream_id=second, label="Kim"))
    live = _get(client, ana, f"/api/v1/analytics/meetings/{meeting['id']}").json()["live"]
    assert [(s["participant_id"], s["speaker"]) for s in live["speakers"]] == [
        (first, "Room 1"),
        (second, "Kim"),
    ]
