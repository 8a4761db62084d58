"""Across meetings, per board and ISO week (Monday, UTC): meeting hours, the flow of action
items from the kanban history, and each person's participation.

Inputs: the per-meeting tables this job has just written, and `cards`, `card_history`,
`board_columns`. A card is completed when it first reaches its board's done column (a
column named Done/완료/..., else the board's last column); it is overdue in every week
in which it was still open after its due date (archiving closes it too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from analytics_spark.sources import literal, read_query
from vori.settings import Settings

DONE_NAMES = ("done", "완료", "closed", "complete", "completed", "finished")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(column: Any) -> Any:
    """The Monday (a date) of a timestamp column's ISO week, in the session's zone (UTC)."""
    from pyspark.sql import functions as fn

    return fn.to_date(fn.date_trunc("week", column))


def _in_boards(column: str, boards: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(literal(b) for b in boards)})"


def board_weeks(
    spark: Any, settings: Settings, boards: Sequence[str], from_week: date | None, now: datetime
) -> list[dict[str, Any]]:
    """analytics_board_weeks rows of the boards, from `from_week` on."""
    from pyspark.sql import Window
    from pyspark.sql import functions as fn

    since = f" AND started_at >= '{from_week.isoformat()}'" if from_week else ""
    meetings = read_query(
        spark,
        settings,
        "SELECT board_id, started_at, duration_s FROM analytics_meetings "
        f"WHERE {_in_boards('board_id', boards)}{since}",
    )
    columns = read_query(
        spark,
        settings,
        f"SELECT id, board_id, name, position FROM board_columns "
        f"WHERE {_in_boards('board_id', boards)}",
    )
    cards = read_query(
        spark,
        settings,
        "SELECT id, board_id, created_at, due_date FROM cards "
        f"WHERE {_in_boards('board_id', boards)}",
    )
    history = read_query(
        spark,
        settings,
        "SELECT card_id, change, at, after->>'column_id' AS column_id FROM card_history "
        f"WHERE {_in_boards('board_id', boards)}",
    )
    last = Window.partitionBy("board_id").orderBy(fn.col("position").desc())
    named = fn.lower(fn.trim("name")).isin(*DONE_NAMES)
    flagged = columns.withColumn("named", named).withColumn(
        "has_named", fn.max(fn.col("named").cast("int")).over(Window.partitionBy("board_id"))
    )
    done_columns = flagged.withColumn("rank", fn.row_number().over(last)).where(
        fn.col("named") | ((fn.col("has_named") == 0) & (fn.col("rank") == 1))
    )
    done_at = (
        history.where(fn.col("change").isin("created", "moved"))
        .join(done_columns.select(fn.col("id").alias("column_id")), "column_id")
        .groupBy("card_id")
        .agg(fn.min("at").alias("done_at"))
    )
    archived_at = (
        history.where(fn.col("change") == "archived")
        .groupBy("card_id")
        .agg(fn.min("at").alias("archived_at"))
    )
    flow = (
        cards.join(done_at, cards.id == done_at.card_id, "left")
        .drop("card_id")
        .join(archived_at, cards.id == archived_at.card_id, "left")
        .withColumn("closed_at", fn.least("done_at", "archived_at"))
    )
    created = flow.groupBy("board_id", week("created_at").alias("week")).agg(
        fn.count("*").alias("items_created")
    )
    completed = (
        flow.where(fn.col("done_at").isNotNull())
        .withColumn(
            "hours", (fn.col("done_at").cast("double") - fn.col("created_at").cast("double")) / 3600
        )
        .groupBy("board_id", week("done_at").alias("week"))
        .agg(
            fn.count("*").alias("items_completed"),
            fn.median("hours").alias("median_time_to_done_h"),
        )
    )
    overdue_from = fn.to_timestamp(fn.date_add("due_date", 1))
    open_until = fn.coalesce("closed_at", fn.lit(now))
    overdue = (
        flow.where(fn.col("due_date").isNotNull())
        .withColumn("overdue_from", overdue_from)
        .withColumn("open_until", open_until)
        .where(fn.col("overdue_from") < fn.col("open_until"))
        .withColumn(
            "week",
            fn.explode(
                fn.sequence(
                    week("overdue_from"),
                    week(fn.col("open_until") - fn.expr("INTERVAL 1 MICROSECOND")),
                    fn.expr("INTERVAL 7 DAYS"),
                )
            ),
        )
        .groupBy("board_id", "week")
        .agg(fn.count("*").alias("items_overdue"))
    )
    held = meetings.groupBy("board_id", week("started_at").alias("week")).agg(
        fn.count("*").alias("meetings"), (fn.sum("duration_s") / 3600).alias("meeting_hours")
    )
    keys = ["board_id", "week"]
    combined = (
        held.join(created, keys, "full")
        .join(completed, keys, "full")
        .join(overdue, keys, "full")
        .fillna(0, ["meetings", "meeting_hours", "items_created", "items_completed"])
        .fillna(0, ["items_overdue"])
    )
    if from_week is not None:
        combined = combined.where(fn.col("week") >= fn.lit(from_week))
    return [
        {
            "board_id": r.board_id,
            "week": r.week,
            "meetings": int(r.meetings),
            "meeting_hours": round(float(r.meeting_hours), 4),
            "items_created": int(r.items_created),
            "items_completed": int(r.items_completed),
            "items_overdue": int(r.items_overdue),
            "median_time_to_done_h": (
                None if r.median_time_to_done_h is None else round(r.median_time_to_done_h, 3)
            ),
            "computed_at": now,
        }
        for r in combined.collect()
    ]


def person_weeks(
    spark: Any, settings: Settings, boards: Sequence[str], from_week: date | None, now: datetime
) -> list[dict[str, Any]]:
    """analytics_person_weeks rows: each person's talk in the boards' meetings, per week."""
    from pyspark.sql import functions as fn

    since = f" AND m.started_at >= '{from_week.isoformat()}'" if from_week else ""
    speakers = read_query(
        spark,
        settings,
        "SELECT m.board_id, m.started_at, s.meeting_id, coalesce(s.user_id, s.speaker) AS person,"
        " s.speaker, s.talk_s, s.talk_share, s.words FROM analytics_speakers s"
        " JOIN analytics_meetings m ON m.meeting_id = s.meeting_id"
        f" WHERE {_in_boards('m.board_id', boards)}{since}",
    )
    weekly = speakers.groupBy(
        "board_id", "person", fn.to_date(fn.date_trunc("week", "started_at")).alias("week")
    ).agg(
        fn.max("speaker").alias("name"),
        fn.countDistinct("meeting_id").alias("meetings"),
        fn.sum("talk_s").alias("talk_s"),
        fn.avg("talk_share").alias("talk_share"),
        fn.sum("words").alias("words"),
    )
    return [
        {
            "board_id": r.board_id,
            "person": r.person,
            "week": r.week,
            "name": r.name,
            "meetings": int(r.meetings),
            "talk_s": round(float(r.talk_s), 3),
            "talk_share": round(float(r.talk_share), 4),
            "words": int(r.words),
            "wpm": round(r.words / (r.talk_s / 60), 2) if r.talk_s > 0 else 0.0,
            "computed_at": now,
        }
        for r in weekly.collect()
    ]
