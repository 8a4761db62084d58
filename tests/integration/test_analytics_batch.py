"""The batch analytics job on real Spark (local mode) over the session's real PostgreSQL.

One SparkSession for the module (its start costs ~15 s here); every test works on its
own board, and runs the job for that board only.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from vori.db.engine import create_db_engine
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsMeeting,
    AnalyticsPersonWeek,
    AnalyticsSpeaker,
    AnalyticsTopic,
    Board,
    BoardColumn,
    Card,
    CardHistoryRow,
    Meeting,
    MeetingStream,
    MeetingSummaryRow,
    SpeakerLabel,
    TranscriptSegmentRow,
    User,
)
from vori.events import room_speaker_id
from vori.settings import Settings, load_settings

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday, well in the past of "now"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg_settings(postgres_server: Any, engines_dir: Path) -> Settings:
    """Settings for PostgreSQL only (this job needs no Kafka); jars cached across runs."""
    from vori.db.migrate import upgrade

    loaded = load_settings(
        data_dir=engines_dir / "data",
        database_url=postgres_server.url,
        analytics={
            "spark_master": "local[2]",
            "shuffle_partitions": 2,
            "jdbc_partitions": 2,
            "topics": 4,
            "topic_iterations": 30,
            "ivy_dir": Path(tempfile.gettempdir()) / "vori-test-ivy",
        },
    )
    upgrade(loaded)
    return loaded


@pytest.fixture(scope="module")
def spark(pg_settings: Settings) -> Iterator[Any]:
    from analytics_spark.session import spark_session

    # Executors run this interpreter (numpy for ML vectors), as `vori analytics run` does.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = spark_session(pg_settings, "vori-analytics-tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def engine(pg_settings: Settings) -> Iterator[Engine]:
    eng = create_db_engine(pg_settings)
    yield eng
    eng.dispose()


class World:
    """Writes users, a board with its columns, meetings with streams and segments, cards."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.tag = uuid.uuid4().hex[:8]
        self.owner = self.user("owner")
        self.board = f"b-{self.tag}"
        with engine.begin() as conn:
            conn.execute(
                Board.__table__.insert(),
                [{"id": self.board, "name": "team", "owner_id": self.owner}],
            )
            conn.execute(
                BoardColumn.__table__.insert(),
                [
                    {"id": f"{self.board}-{i}", "board_id": self.board, "name": n, "position": i}
                    for i, n in enumerate(("To do", "In progress", "Done"))
                ],
            )

    def user(self, name: str) -> str:
        uid = f"u-{name}-{self.tag}"
        with self.engine.begin() as conn:
            conn.execute(
                User.__table__.insert(),
                [
                    {
                        "id": uid,
                        "email": f"{uid}@x.test",
                        "display_name": name.title(),
                        "password_hash": "x",
                    }
                ],
            )
        return uid

    def meeting(
        self,
        key: str,
        at: datetime,
        segments: list[tuple[str, float, float, str]],
        *,
        joined: dict[str, float] | None = None,
        ended_after_s: float | None = None,
        decisions: int = 0,
        action_items: int = 0,
    ) -> str:
        """segments: (participant, stream start, stream end, text); joined: stream offsets."""
        mid = f"m-{key}-{self.tag}"
        joined = joined or {}
        people = sorted({s[0] for s in segments} | set(joined))
        with self.engine.begin() as conn:
            conn.execute(
                Meeting.__table__.insert(),
                [
                    {
                        "id": mid,
                        "title": key,
                        "language": "en",
                        "owner_id": self.owner,
                        "board_id": self.board,
                        "time_zone": "UTC",
                        "created_at": at,
                        "ended_at": at + timedelta(seconds=ended_after_s)
                        if ended_after_s
                        else None,
                    }
                ],
            )
            conn.execute(
                MeetingStream.__table__.insert(),
                [
                    {
                        "stream_id": f"{mid}:{p}",
                        "meeting_id": mid,
                        "participant_id": p,
                        "participant_name": None,
                        "first_joined_at": at + timedelta(seconds=joined.get(p, 0.0)),
                    }
                    for p in people
                ],
            )
            self.add_segments(mid, segments, conn)
            if decisions or action_items:
                conn.execute(
                    MeetingSummaryRow.__table__.insert(),
                    [
                        {
                            "meeting_id": mid,
                            "kind": "final",
                            "revision": 1,
                            "source": "rules",
                            "overview": "",
                            "key_points": [],
                            "decisions": ["d"] * decisions,
                            "open_questions": [],
                            "action_items": [{"task": "t"}] * action_items,
                            "created_at": at,
                        }
                    ],
                )
        return mid

    def add_segments(
        self, mid: str, segments: list[tuple[str, float, float, str]], conn: Any = None
    ) -> None:
        rows = [
            {
                "id": f"{mid}:{p}:{start}",
                "meeting_id": mid,
                "stream_id": f"{mid}:{p}",
                "participant_id": p,
                "speaker": None,
                "start": start,
                "end": end,
                "start_sample": int(start * 16000),
                "end_sample": int(end * 16000),
                "text": text,
                "words": [],
            }
            for p, start, end, text in segments
        ]
        if conn is None:
            with self.engine.begin() as c:
                c.execute(TranscriptSegmentRow.__table__.insert(), rows)
        else:
            conn.execute(TranscriptSegmentRow.__table__.insert(), rows)

    def room_microphone(
        self, mid: str, laptop: str, voices: list[tuple[int, float, float, str]]
    ) -> str:
        """A stream of `laptop`'s that several people share, joined when the meeting began;
        voices: (voice number, start, end, text). Its id: as long as the ingest allows."""
        stream = f"{mid}:{laptop}:" + "room" * 50
        stream = stream[:200]
        with self.engine.begin() as conn:
            [started] = conn.execute(select(Meeting.created_at).where(Meeting.id == mid)).one()
            conn.execute(
                MeetingStream.__table__.insert(),
                [
                    {
                        "stream_id": stream,
                        "meeting_id": mid,
                        "participant_id": laptop,
                        "participant_name": None,
                        "first_joined_at": started,
                    }
                ],
            )
            conn.execute(
                TranscriptSegmentRow.__table__.insert(),
                [
                    {
                        "id": f"{mid}:room:{start}",
                        "meeting_id": mid,
                        "stream_id": stream,
                        "participant_id": laptop,
                        "speaker": f"Room {n}",
                        "speaker_id": room_speaker_id(stream, n),
                        "start": start,
                        "end": end,
                        "start_sample": int(start * 16000),
                        "end_sample": int(end * 16000),
                        "text": text,
                        "words": [],
                    }
                    for n, start, end, text in voices
                ],
            )
        return stream

    def card(
        self, key: str, created: datetime, *, done: datetime | None = None, due: date | None = None
    ) -> None:
        cid = f"c-{key}-{self.tag}"
        todo, done_col = f"{self.board}-0", f"{self.board}-2"
        with self.engine.begin() as conn:
            conn.execute(
                Card.__table__.insert(),
                [
                    {
                        "id": cid,
                        "board_id": self.board,
                        "column_id": done_col if done else todo,
                        "title": key,
                        "due_date": due,
                        "position": 0,
                        "source": "human",
                        "created_at": created,
                    }
                ],
            )
            history = [{"change": "created", "at": created, "after": {"column_id": todo}}]
            if done:
                history.append(
                    {
                        "change": "moved",
                        "at": done,
                        "after": {"column_id": done_col, "column": "Done"},
                    }
                )
            conn.execute(
                CardHistoryRow.__table__.insert(),
                [
                    {
                        "card_id": cid,
                        "board_id": self.board,
                        "version": i + 1,
                        "source": "human",
                        **h,
                    }
                    for i, h in enumerate(history)
                ],
            )

    def rows(self, table: Any, *order: Any) -> list[dict[str, Any]]:
        """The board's rows of an analytics table, without computed_at."""
        key = (
            table.meeting_id.like(f"%-{self.tag}")
            if hasattr(table, "meeting_id")
            else table.board_id == self.board
        )
        with self.engine.connect() as conn:
            found = conn.execute(select(table.__table__).where(key).order_by(*order)).mappings()
            return [{k: v for k, v in r.items() if k != "computed_at"} for r in found]


def words(n: int) -> str:
    return " ".join(["word"] * n)


def run(settings: Settings, spark: Any, world: World, *, force: bool = False) -> Any:
    from analytics_spark.batch import run_batch

    return run_batch(settings, board=world.board, spark=spark, now=NOW, force=force)


def test_hand_made_meeting_gives_the_hand_computed_rows(
    pg_settings: Settings, spark: Any, engine: Engine
) -> None:
    world = World(engine)
    ann, bob, cat, dee = (world.user(n) for n in ("ann", "bob", "cat", "dee"))
    # Same meeting as tests/unit/test_analytics_metrics.py, but Bob's stream joined 5 s and
    # Cat's 20 s after the meeting began: their stream times are 5 s and 20 s behind.
    mid = world.meeting(
        "hand",
        MONDAY,
        [
            (ann, 0.0, 10.0, words(20)),
            (bob, 4.0, 10.0, words(10)),
            (ann, 12.0, 20.0, words(14) + " ship Friday?"),
            (cat, 5.0, 10.0, words(10)),
        ],
        joined={bob: 5.0, cat: 20.0, dee: 30.0},
        ended_after_s=40.0,
        decisions=1,
        action_items=1,
    )
    world.card("shipped", MONDAY, done=MONDAY + timedelta(hours=24))
    world.card("late", MONDAY, due=date(2026, 11, 18))

    report = run(pg_settings, spark, world)

    assert report.meetings_computed == 1
    [m] = world.rows(AnalyticsMeeting)
    assert m["meeting_id"] == mid
    assert (m["duration_s"], m["speech_s"], m["overlap_s"]) == (40.0, 25.0, 4.0)
    assert m["silence_share"] == pytest.approx(0.375)
    assert (m["interruptions"], m["questions"], m["decisions"], m["action_items"]) == (1, 1, 1, 1)
    assert (m["speakers"], m["words"]) == (4, 56)
    assert m["gini"] == pytest.approx(110 / 232, abs=1e-4)
    assert m["efficiency"] == pytest.approx(
        100 * (0.35 + 0.25 * (1 - 110 / 232) + 0.2 * (0.625 / 0.75) + 0.2 * 0.18), abs=0.01
    )
    speakers = {r["participant_id"]: r for r in world.rows(AnalyticsSpeaker)}
    assert [speakers[p]["talk_s"] for p in (ann, bob, cat, dee)] == [18.0, 6.0, 5.0, 0.0]
    assert [speakers[p]["wpm"] for p in (ann, bob, cat, dee)] == [120.0, 100.0, 120.0, 0.0]
    assert (speakers[bob]["interruptions_made"], speakers[ann]["interrupted"]) == (1, 1)
    assert (speakers[ann]["speaker"], speakers[ann]["user_id"], speakers[ann]["turns"]) == (
        "Ann",
        ann,
        2,
    )
    weeks = {r["week"]: r for r in world.rows(AnalyticsBoardWeek)}
    assert set(weeks) == {date(2026, 11, 16), date(2026, 11, 23)}
    week, after = weeks[date(2026, 11, 16)], weeks[date(2026, 11, 23)]
    assert (after["meetings"], after["items_created"], after["items_overdue"]) == (0, 0, 1)
    assert (week["meetings"], week["items_created"], week["items_completed"]) == (1, 2, 1)
    assert week["meeting_hours"] == pytest.approx(40 / 3600, abs=1e-4)
    assert week["median_time_to_done_h"] == 24.0
    assert week["items_overdue"] == 1  # "late" was due on the 18th and is still open
    people = {r["person"]: r for r in world.rows(AnalyticsPersonWeek)}
    assert (people[ann]["talk_s"], people[ann]["meetings"]) == (18.0, 1)
    assert people[bob]["wpm"] == 100.0


def test_rerun_writes_the_same_rows_and_recomputes_only_the_changed_meeting(
    pg_settings: Settings, spark: Any, engine: Engine
) -> None:
    world = World(engine)
    ann, bob = world.user("ann"), world.user("bob")
    first = world.meeting("one", MONDAY, [(ann, 0, 30, words(60)), (bob, 31, 50, words(40))])
    second = world.meeting(
        "two", MONDAY + timedelta(days=1), [(ann, 0, 20, words(50)), (bob, 15, 40, words(30))]
    )
    assert run(pg_settings, spark, world).meetings_computed == 2
    tables = (AnalyticsMeeting, AnalyticsSpeaker, AnalyticsBoardWeek, AnalyticsPersonWeek)
    before = [world.rows(t, *t.__table__.primary_key.columns) for t in tables]

    again = run(pg_settings, spark, world)

    assert (again.meetings_computed, again.boards) == (0, 0)
    assert [world.rows(t, *t.__table__.primary_key.columns) for t in tables] == before
    forced = run(pg_settings, spark, world, force=True)  # recomputed: still the same rows
    assert forced.meetings_computed == 2
    assert [world.rows(t, *t.__table__.primary_key.columns) for t in tables] == before

    world.add_segments(second, [(bob, 45, 60, words(20))])
    third = run(pg_settings, spark, world)

    assert third.meetings_computed == 1
    old_rows = {r["meeting_id"]: r for r in before[0]}
    rows = {r["meeting_id"]: r for r in world.rows(AnalyticsMeeting)}
    assert rows[first] == old_rows[first]
    assert rows[second]["input_fingerprint"] != old_rows[second]["input_fingerprint"]
    assert (rows[second]["words"], rows[second]["duration_s"]) == (100, 60.0)
    assert (old_rows[second]["words"], old_rows[second]["duration_s"]) == (80, 40.0)
    [week] = world.rows(AnalyticsBoardWeek)
    assert week["meeting_hours"] == pytest.approx((50 + 60) / 3600, abs=1e-4)
    assert week["items_completed"] == 0

    # A card done since the last run: no meeting changed, but the board's weeks follow.
    world.card("done", MONDAY + timedelta(days=1), done=MONDAY + timedelta(days=1, hours=6))
    fourth = run(pg_settings, spark, world)

    assert (fourth.meetings_computed, fourth.boards) == (0, 1)
    [week] = world.rows(AnalyticsBoardWeek)
    assert (week["items_created"], week["items_completed"]) == (1, 1)
    assert week["median_time_to_done_h"] == 6.0


def test_each_voice_of_a_room_microphone_is_a_speaker_named_by_its_label(
    pg_settings: Settings, spark: Any, engine: Engine
) -> None:
    world = World(engine)
    ann, lea = world.user("ann"), world.user("lea")
    # Ann on her own microphone; Lea's laptop in a meeting room carries two voices.
    mid = world.meeting("room", MONDAY, [(ann, 0.0, 10.0, words(20))], ended_after_s=40.0)
    room = world.room_microphone(
        mid,
        lea,
        [(1, 10.0, 20.0, words(30)), (2, 20.0, 25.0, words(10)), (1, 25.0, 30.0, words(10))],
    )
    voice_1, voice_2 = room_speaker_id(room, 1), room_speaker_id(room, 2)

    assert run(pg_settings, spark, world).meetings_computed == 1

    [meeting] = world.rows(AnalyticsMeeting)
    assert (meeting["speakers"], meeting["speech_s"], meeting["words"]) == (3, 30.0, 70)
    speakers = {r["participant_id"]: r for r in world.rows(AnalyticsSpeaker)}
    assert set(speakers) == {ann, voice_1, voice_2}, "the laptop's Lea is no silent extra"
    assert [speakers[p]["speaker"] for p in (ann, voice_1, voice_2)] == ["Ann", "Room 1", "Room 2"]
    assert [speakers[p]["talk_s"] for p in (ann, voice_1, voice_2)] == [10.0, 15.0, 5.0]
    assert [speakers[p]["talk_share"] for p in (ann, voice_1, voice_2)] == [0.3333, 0.5, 0.1667]
    assert [speakers[p]["turns"] for p in (ann, voice_1, voice_2)] == [1, 2, 1]
    assert [speakers[p]["user_id"] for p in (ann, voice_1, voice_2)] == [ann, None, None]
    assert run(pg_settings, spark, world).meetings_computed == 0

    # A member names the second voice: the meeting is analysed again, under that name.
    with engine.begin() as conn:
        conn.execute(
            SpeakerLabel.__table__.insert(),
            [{"meeting_id": mid, "stream_id": voice_2, "label": "Kim", "version": 1}],
        )
    assert run(pg_settings, spark, world).meetings_computed == 1

    speakers = {r["participant_id"]: r for r in world.rows(AnalyticsSpeaker)}
    assert (speakers[voice_2]["speaker"], speakers[voice_2]["talk_s"]) == ("Kim", 5.0)
    assert speakers[voice_1]["speaker"] == "Room 1"
    people = {r["person"]: r for r in world.rows(AnalyticsPersonWeek)}
    assert (people["Kim"]["talk_s"], people["Room 1"]["talk_s"]) == (5.0, 15.0)


PLANTED = {
    "budget": "budget invoice finance spending quarterly forecast revenue",
    "deploy": "deployment server kubernetes release rollback cluster outage",
    "채용": "채용 면접 지원자 인사팀 연봉 온보딩 신입",
    "마케팅": "마케팅 광고 캠페인 브랜드 고객 홍보 예산안",
}
KOREAN_GLUE = ["을 논의했습니다", "에 대해 이야기합니다", "는 중요합니다", "를 검토합니다"]


def test_planted_topics_are_found_in_english_and_korean(
    pg_settings: Settings, spark: Any, engine: Engine
) -> None:
    import random

    world = World(engine)
    ann = world.user("ann")
    rng = random.Random(7)
    for n in range(24):
        name = list(PLANTED)[n % 4]
        vocab = PLANTED[name].split()
        lines = []
        for _ in range(40):
            picked = rng.sample(vocab, 3)
            if name.isascii():
                lines.append(
                    f"so we talked about the {picked[0]} and {picked[1]} {picked[2]} today"
                )
            else:
                lines.append(" ".join(w + rng.choice(KOREAN_GLUE) for w in picked))
        # budget and 채용 in the first week, deploy and 마케팅 in the next: a keyword trend
        week = 0 if name in ("budget", "채용") else 1
        world.meeting(
            f"t{n}",
            MONDAY + timedelta(days=7 * week, hours=n),
            [(ann, i * 10.0, i * 10.0 + 8, t) for i, t in enumerate(lines)],
        )

    report = run(pg_settings, spark, world)

    assert report.meetings_computed == 24
    topics = world.rows(AnalyticsTopic)
    found = {
        name
        for name, vocab in PLANTED.items()
        for t in topics
        if len({term for term, _ in t["terms"]} & set(vocab.split())) >= 4
    }
    assert found == set(PLANTED)
    assert sum(t["meetings"] for t in topics) == 24
    keywords: dict[date, set[str]] = {}
    for r in world.rows(AnalyticsKeywordWeek):
        keywords.setdefault(r["week"], set()).add(r["term"])
    first, second = keywords[MONDAY.date()], keywords[MONDAY.date() + timedelta(days=7)]
    planted = {name: set(vocab.split()) for name, vocab in PLANTED.items()}
    assert len(first & (planted["budget"] | planted["채용"])) >= 10
    assert len(second & (planted["deploy"] | planted["마케팅"])) >= 10
    assert not first & (planted["deploy"] | planted["마케팅"] - planted["budget"])
    assert not second & (planted["budget"] | planted["채용"])
    assert not (first | second) & {"the", "and", "about", "대해"}  # stop words stay out
