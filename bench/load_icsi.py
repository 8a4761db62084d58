"""Load the ICSI meetings (../shared/data/meetings/icsi) into PostgreSQL as vori meetings.

Each ICSI meeting becomes a meeting on the board `icsi` with one stream per speaker (all
joined when the meeting began, so stream time is the corpus's meeting time) and one
final segment per utterance with its real start and end: overlapping speech stays as it
happened. The summary counts the annotators' decisions, and action items as runs of
neighbouring labelled utterances (the labels mark utterances, not tasks). Meetings get
one working day each from 2026-09-07 on, so the weekly figures have several weeks.

    .venv/bin/python -m bench.load_icsi                 # into VORI_DATABASE_URL / vori up's
    .venv/bin/python -m bench.load_icsi --analyse       # a throwaway PostgreSQL + the job
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine

from bench.meeting_corpus import find_meetings_dir
from vori.audio import SAMPLE_RATE
from vori.db.engine import create_db_engine
from vori.db.tables import (
    AnalyticsMeeting,
    AnalyticsSpeaker,
    AnalyticsTopic,
    Board,
    BoardColumn,
    Meeting,
    MeetingStream,
    MeetingSummaryRow,
    TranscriptSegmentRow,
    User,
)
from vori.settings import Settings, load_settings

BOARD = "icsi"
FIRST_DAY = datetime(2026, 9, 7, 10, 0, tzinfo=UTC)  # a Monday
ITEM_GAP_TURNS = 3  # labelled utterances this close together make one action item


def working_day(index: int) -> datetime:
    weeks, day = divmod(index, 5)
    return FIRST_DAY + timedelta(weeks=weeks, days=day)


def action_items(turns: list[int]) -> int:
    """Runs of labelled utterances: a new item when the next label is > 3 turns away."""
    items, last = 0, None
    for turn in sorted(turns):
        if last is None or turn - last > ITEM_GAP_TURNS:
            items += 1
        last = turn
    return items


def load(engine: Engine, folder: Path, limit: int | None = None) -> int:
    """Upsert every ICSI meeting of `folder` (replacing its segments); how many were loaded."""
    files = sorted(folder.glob("*.json"))[:limit]
    with engine.begin() as conn:
        owner = "icsi-owner"
        conn.execute(
            pg_insert(User)
            .values(id=owner, email="icsi@vori.test", display_name="ICSI", password_hash="-")
            .on_conflict_do_nothing()
        )
        conn.execute(
            pg_insert(Board)
            .values(id=BOARD, name="ICSI meetings", owner_id=owner)
            .on_conflict_do_nothing()
        )
        for i, name in enumerate(("To do", "In progress", "Done")):
            conn.execute(
                pg_insert(BoardColumn)
                .values(id=f"{BOARD}-{i}", board_id=BOARD, name=name, position=i, version=1)
                .on_conflict_do_nothing()
            )
    for index, path in enumerate(files):
        data = json.loads(path.read_text())
        mid = f"icsi-{data['meeting_id']}"
        began = working_day(index)
        utterances = [t for t in data["transcript"] if t.get("start") is not None]
        last_end = max((float(t["end"]) for t in utterances), default=0.0)
        speakers = sorted({t["speaker"] for t in utterances})
        with engine.begin() as conn:
            conn.execute(
                pg_insert(User)
                .values([
                    {"id": f"icsi-{s}", "email": f"{s}@icsi.test", "display_name": s, "password_hash": "-"}  # noqa: E501
                    for s in speakers
                ])
                .on_conflict_do_nothing()
            )  # fmt: skip
            conn.execute(delete(Meeting).where(Meeting.id == mid))
            conn.execute(
                insert(Meeting).values(
                    id=mid, title=f"ICSI {data['meeting_id']}", language="en", owner_id=owner,
                    board_id=BOARD, time_zone="UTC", created_at=began,
                    ended_at=began + timedelta(seconds=last_end),
                )
            )  # fmt: skip
            conn.execute(
                insert(MeetingStream),
                [
                    {"stream_id": f"{mid}:{s}", "meeting_id": mid, "participant_id": f"icsi-{s}",
                     "participant_name": s, "first_joined_at": began}
                    for s in speakers
                ],
            )  # fmt: skip
            conn.execute(
                insert(TranscriptSegmentRow),
                [
                    {"id": f"{mid}:{t['turn']}", "meeting_id": mid, "stream_id": f"{mid}:{t['speaker']}",  # noqa: E501
                     "participant_id": f"icsi-{t['speaker']}", "speaker": t["speaker"],
                     "start": float(t["start"]), "end": float(t["end"]),
                     "start_sample": int(float(t["start"]) * SAMPLE_RATE),
                     "end_sample": int(float(t["end"]) * SAMPLE_RATE),
                     "text": t["text"], "words": [], "language": "en"}
                    for t in utterances
                ],
            )  # fmt: skip
            gold = data.get("gold") or {}
            conn.execute(
                insert(MeetingSummaryRow).values(
                    meeting_id=mid, kind="final", revision=1, source="rules", language="en",
                    overview=gold.get("summary") or "", key_points=[],
                    decisions=list(gold.get("decisions") or []), open_questions=[],
                    action_items=[{"turns": n} for n in range(action_items(gold.get("action_item_turns") or []))],  # noqa: E501
                    created_at=began + timedelta(seconds=last_end),
                )
            )  # fmt: skip
    return len(files)


def analyse(settings: Settings) -> dict[str, Any]:
    """Run the batch job on the loaded meetings and sum up what it found."""
    from analytics_spark.batch import run_batch

    report = run_batch(settings, board=BOARD)
    engine = create_db_engine(settings)
    with engine.connect() as conn:
        meetings = conn.execute(
            select(AnalyticsMeeting).where(AnalyticsMeeting.board_id == BOARD)
        ).all()
        speakers = conn.execute(
            select(AnalyticsSpeaker.wpm, AnalyticsSpeaker.talk_s).where(
                AnalyticsSpeaker.meeting_id.like("icsi-%"), AnalyticsSpeaker.talk_s > 60
            )
        ).all()
        topics = conn.execute(
            select(AnalyticsTopic.meetings, AnalyticsTopic.terms)
            .where(AnalyticsTopic.board_id == BOARD)
            .order_by(AnalyticsTopic.meetings.desc())
        ).all()
    engine.dispose()
    median = statistics.median
    return {
        "meetings": len(meetings),
        "timings_s": {k: round(v, 1) for k, v in report.timings.items()},
        "median_duration_min": round(median(m.duration_s for m in meetings) / 60, 1),
        "median_overlap_share_of_speech": round(median(m.overlap_s / m.speech_s for m in meetings if m.speech_s), 3),  # noqa: E501
        "median_silence_share": round(median(m.silence_share for m in meetings), 3),
        "median_interruptions_per_hour": round(median(m.interruptions / (m.duration_s / 3600) for m in meetings), 1),  # noqa: E501
        "median_questions_per_hour": round(median(m.questions / (m.duration_s / 3600) for m in meetings), 1),  # noqa: E501
        "median_gini": round(median(m.gini for m in meetings), 3),
        "median_efficiency": round(median(m.efficiency for m in meetings), 1),
        "median_speaker_wpm": round(median(s.wpm for s in speakers), 1),
        "topics": [f"{t.meetings} meetings: " + " ".join(term for term, _ in t.terms[:8]) for t in topics],  # noqa: E501
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="Load the ICSI meetings into PostgreSQL.")
    parser.add_argument("--limit", type=int, default=None, help="Only the first N meetings.")
    parser.add_argument(
        "--analyse", action="store_true", help="Into a throwaway PostgreSQL, then run the job."
    )
    args = parser.parse_args()
    folder = find_meetings_dir() / "icsi"
    if not args.analyse:
        settings = load_settings()
        engine = create_db_engine(settings)
        print(f"loaded {load(engine, folder, args.limit)} ICSI meetings onto board {BOARD!r}")
        engine.dispose()
        return
    import os
    import sys

    from tests.helpers.ports import free_port
    from vori.db.migrate import upgrade
    from vori.local.postgres import LocalPostgres

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with tempfile.TemporaryDirectory(prefix="vori-icsi-") as tmp:
        postgres = LocalPostgres(Path(tmp) / "pg", port=free_port(), durable=False)
        postgres.start(timeout_s=60)
        try:
            settings = load_settings(data_dir=Path(tmp) / "data", database_url=postgres.url)
            upgrade(settings)
            engine = create_db_engine(settings)
            print(f"loaded {load(engine, folder, args.limit)} ICSI meetings")
            engine.dispose()
            print(json.dumps(analyse(settings), indent=2))
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
