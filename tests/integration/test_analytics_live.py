"""The live analytics job as a real process (Spark local mode, real Kafka and PostgreSQL):
SIGKILLed mid-way and restarted, its totals equal an uninterrupted run's and the hand count."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from confluent_kafka import Producer
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics_spark.live_totals import SpeakerTotals, upsert_totals
from tests.conftest import subprocess_env
from tests.helpers.ingest import create_meeting
from tests.helpers.summarizer import publish
from vori.db.engine import create_db_engine
from vori.db.tables import AnalyticsLiveSpeaker
from vori.events import TRANSCRIPT_SEGMENTS, TranscriptSegment, encode, room_speaker_id, utc_now
from vori.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
RATE = 16000
Totals = dict[str, tuple[int, float, int, float, float]]  # speaker -> figures


def _segment(
    meeting_id: str,
    participant: str,
    n: int,
    start: float,
    end: float,
    text: str,
    *,
    final: bool = True,
) -> TranscriptSegment:
    stream_id = f"{meeting_id}:{participant}:mic"
    return TranscriptSegment(
        id=f"{stream_id}:{int(start * RATE)}",  # like the transcriber's: stream + start sample
        meeting_id=meeting_id,
        stream_id=stream_id,
        participant_id=participant,
        speaker=participant.title(),
        final=final,
        revision=0 if final else n,
        start=start,
        end=end,
        start_sample=int(start * RATE),
        end_sample=int(end * RATE),
        text=text,
    )


def _first_half(m: str) -> list[TranscriptSegment]:
    return [
        _segment(m, "ana", 1, 0.0, 4.0, "we should ship the release on friday"),
        _segment(m, "ben", 1, 4.5, 8.5, "sounds good to me"),
        _segment(m, "ana", 2, 10.0, 11.0, "I will", final=False),  # a partial: never counted
    ]


def _second_half(m: str) -> list[TranscriptSegment]:
    return [
        _segment(m, "ana", 2, 10.0, 13.0, "I will write the notes"),
        _segment(m, "ben", 2, 14.0, 15.5, "agreed"),
        _first_half(m)[0],  # the transcriber replays a final after a restart: same id
        _segment(m, "ben", 3, 16.0, 17.0, "  ", final=True),  # withdrawn as non-speech
        _segment(m, "ana", 3, 20.0, 26.0, "then 다음 주 월요일에 review it together"),
    ]


# By hand: ana 4 + 3 + 6 s and 7 + 5 + 7 words, ben 4 + 1.5 s and 4 + 1 words.
EXPECTED: Totals = {
    "ana": (3, 13.0, 19, round(19 * 60 / 13, 2), 26.0),
    "ben": (2, 5.5, 5, round(5 * 60 / 5.5, 2), 15.5),
}


def _start(settings: Settings, checkpoint: Path, *command: str) -> subprocess.Popen[bytes]:
    env = subprocess_env(settings)
    env.update(
        {
            "VORI_ANALYTICS__CHECKPOINT_DIR": str(checkpoint),
            "VORI_ANALYTICS__LIVE_TRIGGER_S": "0.5",
            "VORI_ANALYTICS__DRIVER_MEMORY": "1g",
        }
    )
    return subprocess.Popen([sys.executable, "-m", "vori", *command], cwd=REPO, env=env)


def _totals(settings: Settings, meeting_id: str) -> Totals:
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            rows = session.scalars(
                select(AnalyticsLiveSpeaker).where(AnalyticsLiveSpeaker.meeting_id == meeting_id)
            ).all()
    finally:
        engine.dispose()
    return {r.participant_id: (r.segments, r.talk_s, r.words, r.wpm, r.last_end_s) for r in rows}


def _wait_for(
    settings: Settings,
    meeting_id: str,
    done: Callable[[Totals], bool],
    process: subprocess.Popen[bytes],
    timeout_s: float = 150,  # a Spark start on a busy 2-core machine: 25-70 s seen
) -> Totals:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        totals = _totals(settings, meeting_id)
        if done(totals):
            return totals
        assert process.poll() is None, f"the live job exited with {process.returncode}"
        time.sleep(0.05)
    raise AssertionError(f"the live totals of {meeting_id} did not get there: {totals}")


def _uncommit_last_batch(checkpoint: Path) -> int | None:
    """Drop the newest entry of Spark's commit log, as if the kill had come between the
    database commit and that entry: the restarted job must then run the batch again."""
    commits = checkpoint / "analytics-live" / "commits"
    last = max((int(p.name) for p in commits.iterdir() if p.name.isdigit()), default=None)
    if last is None:
        return None
    (commits / str(last)).unlink()
    (commits / f".{last}.crc").unlink(missing_ok=True)
    return last


@pytest.mark.timeout(480)
def test_live_job_killed_and_restarted_counts_like_an_uninterrupted_run(
    settings: Settings, tmp_path: Path
) -> None:
    # Stored meetings: the job writes only totals of meetings that exist.
    killed, once = (create_meeting(settings, "Ana")[0].meeting_id for _ in range(2))
    checkpoint = tmp_path / "checkpoints"
    publish(settings, _first_half(killed))
    # What the job must skip without failing: not JSON, and a meeting id the table cannot hold.
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    producer.produce(TRANSCRIPT_SEGMENTS, key=killed.encode(), value=b"{not json")
    producer.flush(10)
    publish(settings, [_segment("m" * 41, "ana", 1, 0.0, 1.0, "too long an id")])

    first = _start(settings, checkpoint, "analytics-live")  # as `vori up` runs it
    children = []
    try:
        half = _wait_for(
            settings,
            killed,
            lambda t: t.get("ana", (0,))[0] == 1 and t.get("ben", (0,))[0] == 1,
            first,
        )
        children = psutil.Process(first.pid).children(recursive=True)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    assert half["ana"] == (1, 4.0, 7, 105.0, 4.0)
    # The JVM goes with its driver: no orphan keeps running on the checkpoint.
    _gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, f"left running after the kill: {alive}"
    replayed = _uncommit_last_batch(checkpoint)
    assert replayed is not None, "the first run committed no batch"

    publish(settings, [*_second_half(killed), *_first_half(once), *_second_half(once)])
    second = _start(settings, checkpoint, "analytics", "stream")
    try:
        for meeting in (killed, once):
            _wait_for(settings, meeting, lambda t: t == EXPECTED, second)
        # One more segment for each, timed from publishing to its totals in PostgreSQL.
        extra = [_segment(m, "ben", 4, 30.0, 32.0, "see you") for m in (killed, once)]
        sent = time.monotonic()
        publish(settings, extra)
        for meeting in (killed, once):
            _wait_for(settings, meeting, lambda t: t.get("ben", (0,))[0] == 3, second, 30)
        delay_s = time.monotonic() - sent
        time.sleep(2)  # a few more micro-batches: nothing else may arrive
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(60) == 0, "SIGTERM stops the live job cleanly"

    expected = {**EXPECTED, "ben": (3, 7.5, 7, 56.0, 32.0)}
    assert _totals(settings, killed) == expected
    assert _totals(settings, once) == expected
    print(f"totals in PostgreSQL {delay_s:.2f} s after publishing; batch {replayed} ran twice")
    assert delay_s < 15, "the live totals lag far behind (bench/analytics_live.py measures it)"


def test_totals_written_twice_stay_the_same_and_never_go_back(settings: Settings) -> None:
    meeting = create_meeting(settings, "Ana")[0].meeting_id
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)

    def write(*totals: SpeakerTotals) -> None:
        with engine.begin() as connection:
            connection.execute(upsert_totals(totals, utc_now()))

    try:
        three = SpeakerTotals(meeting, "ana", "Ana", 3, 13.0, 19, 26.0)
        write(three, SpeakerTotals(meeting, "ben", "Ben", 1, 4.0, 4, 8.5))
        write(three)  # a micro-batch run again after a crash
        assert _totals(settings, meeting)["ana"] == (3, 13.0, 19, 87.69, 26.0)
        write(SpeakerTotals(meeting, "ana", "Ana", 2, 7.0, 12, 13.0))  # a stale writer
        write(SpeakerTotals(meeting, "ben", "Ben", 2, 5.5, 5, 15.5))
        assert _totals(settings, meeting) == {
            "ana": (3, 13.0, 19, 87.69, 26.0),
            "ben": (2, 5.5, 5, 54.55, 15.5),
        }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local Spark session in this process, for the query's steps over a static batch."""
    from analytics_spark.session import spark_session

    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("spark-data"),
        analytics={
            "spark_master": "local[1]",
            "shuffle_partitions": 1,
            "ivy_dir": Path(tempfile.gettempdir()) / "vori-test-ivy",
        },
    )
    session = spark_session(settings, "vori-analytics-live-tests")
    yield session
    session.stop()


def test_each_voice_of_a_room_microphone_is_a_speaker_of_its_own(
    spark: Any, tmp_path: Path
) -> None:
    from analytics_spark.live import final_segments, speaker_totals

    meeting = "m-room"
    # A stream id of the longest kind the ingest accepts (200): its voices' ids are longer.
    room = f"{meeting}:lea:" + "r" * (200 - len(meeting) - 5)
    voice_1, voice_2 = room_speaker_id(room, 1), room_speaker_id(room, 2)

    def room_segment(number: int, start: float, end: float, text: str) -> TranscriptSegment:
        own = _segment(meeting, "lea", number, start, end, text)
        return own.model_copy(
            update={
                "id": f"{room}:{int(start * RATE)}",
                "stream_id": room,
                "speaker_id": room_speaker_id(room, number),
                "speaker": f"Room {number}",
            }
        )

    segments = [
        _segment(meeting, "ana", 1, 0.0, 4.0, "we should ship the release on friday"),
        room_segment(1, 4.0, 7.0, "friday is fine for us"),
        room_segment(2, 7.5, 8.5, "agreed"),
        room_segment(1, 9.0, 11.0, "I will write it down"),
    ]
    # The records as the Kafka source hands them over (value, timestamp), streamed from
    # files: the query's de-duplication runs on streams only.
    records = "value binary, timestamp timestamp"
    arrived = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    spark.createDataFrame([(encode(s).value, arrived) for s in segments], records).write.parquet(
        str(tmp_path / "records")
    )
    raw = spark.readStream.schema(records).parquet(str(tmp_path / "records"))
    query = (
        speaker_totals(final_segments(raw, 60))
        .writeStream.format("memory")
        .queryName("room_totals")
        .outputMode("update")
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(120)

    totals = {
        row["participant_id"]: (row["speaker"], row["segments"], row["talk_s"], row["words"])
        for row in spark.table("room_totals").collect()
    }

    assert totals == {
        "ana": ("Ana", 1, 4.0, 7),
        voice_1: ("Room 1", 2, 5.0, 10),
        voice_2: ("Room 2", 1, 1.0, 1),
    }
