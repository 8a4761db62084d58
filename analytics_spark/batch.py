"""The batch run: per-meeting figures, board and person weeks, topics and keywords.

Incremental: a meeting is recomputed only when its input fingerprint changed (or
`force`); weeks are recomputed for the boards whose meetings or cards changed since the
last finished run's watermark, and for every board in scope when a new week began since
then (overdue counts move with the calendar); topics for the boards whose meetings
changed. Every write is an upsert or a replace keyed by primary keys, so a re-run
writes the same rows. `spark-submit analytics_spark/batch.py` runs it on a cluster.
"""

from __future__ import annotations

import logging
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from analytics_spark.meetings import compute, plan, read_segments
from analytics_spark.session import spark_session
from analytics_spark.sources import literal, read_query
from analytics_spark.store import (
    finish_run,
    input_watermark,
    last_watermark,
    replace_board_rows,
    save_meetings,
    start_run,
)
from analytics_spark.topics import topics_and_keywords
from analytics_spark.weeks import board_weeks, monday, person_weeks
from vori.db.engine import create_db_engine
from vori.db.tables import (
    AnalyticsBoardWeek,
    AnalyticsKeywordWeek,
    AnalyticsPersonWeek,
    AnalyticsTopic,
)
from vori.settings import Settings

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


@dataclass
class RunReport:
    """What a run did and where its time went (seconds per phase)."""

    run_id: int = 0
    meetings_in_scope: int = 0
    meetings_computed: int = 0
    segments: int = 0
    boards: int = 0
    topics: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - began


_SHIPPED: set[str] = set()


def ship_executor_code(spark: Any) -> None:
    """Send the executor-side modules (stdlib only) to the executors, once per application.

    The same as `--py-files` on a cluster; in local mode it spares the executors' Python
    from needing vori installed.
    """
    context = spark.sparkContext
    if context.applicationId in _SHIPPED:
        return
    package = Path(__file__).parent
    target = Path(tempfile.mkdtemp(prefix="vori-analytics-")) / "vori_analytics_executor.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("__init__.py", "metrics.py", "grouped.py"):
            archive.write(package / name, f"analytics_spark/{name}")
    context.addPyFile(str(target))
    _SHIPPED.add(context.applicationId)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the moment's week: a run's scope starts on a whole week."""
    return datetime.combine(monday(moment.astimezone(UTC).date()), day_time(), tzinfo=UTC)


def run_batch(
    settings: Settings,
    *,
    since: datetime | None = None,
    board: str | None = None,
    force: bool = False,
    spark: Any = None,
    progress: Progress = lambda step: None,
    now: datetime | None = None,
) -> RunReport:
    """One batch run over the meetings created since `since` (all when None)."""
    report = RunReport()
    now = now or datetime.now(UTC)
    since = week_start(since) if since is not None else None
    from_week: date | None = since.date() if since is not None else None
    if spark is None:
        progress("starting Spark")
        with report.phase("jvm_start"):
            spark = spark_session(settings, "vori-analytics-batch")
    ship_executor_code(spark)
    engine = create_db_engine(settings)
    run_id = start_run(engine, now, board, since, settings.analytics.spark_master)
    report.run_id = run_id
    try:
        previous = last_watermark(engine, board)
        watermark = {**input_watermark(engine), "week": monday(now.date()).isoformat()}
        progress("finding changed meetings")
        with report.phase("plan"):
            planned = plan(spark, settings, since, board, force)
        changed = [p for p in planned if p.changed]
        report.meetings_in_scope, report.meetings_computed = len(planned), len(changed)
        if changed:
            progress(f"reading segments of {len(changed)} meetings")
            with report.phase("jdbc_read"):
                segments = read_segments(spark, settings, [p.meeting_id for p in changed])
                segments = segments.persist()
                report.segments = segments.count()
            progress(f"computing {len(changed)} meetings")
            with report.phase("compute_meetings"):
                figures = compute(spark, settings, changed, segments)
            segments.unpersist()
            with report.phase("write"):
                save_meetings(engine, changed, figures, now)
        boards = _boards_to_refresh(spark, settings, planned, changed, previous, board, now)
        report.boards = len(boards)
        if boards:
            progress(f"weekly figures of {len(boards)} boards")
            with report.phase("compute_weeks"):
                weeks = board_weeks(spark, settings, boards, from_week, now)
                people = person_weeks(spark, settings, boards, from_week, now)
            with report.phase("write"):
                replace_board_rows(engine, AnalyticsBoardWeek, boards, weeks, from_week)
                replace_board_rows(engine, AnalyticsPersonWeek, boards, people, from_week)
        topic_boards = sorted({p.board_id for p in changed if p.board_id})
        if topic_boards:
            progress(f"topics and keywords of {len(topic_boards)} boards")
            with report.phase("compute_topics"):
                scope = [p for p in planned if p.board_id in set(topic_boards)]
                topics, keywords = topics_and_keywords(spark, settings, scope, from_week, now)
                report.topics = len(topics)
            with report.phase("write"):
                replace_board_rows(engine, AnalyticsTopic, topic_boards, topics)
                replace_board_rows(engine, AnalyticsKeywordWeek, topic_boards, keywords, from_week)
        finish_run(engine, run_id, datetime.now(UTC), "done", len(changed), watermark)
        return report
    except BaseException:
        log.exception("analytics batch run %s failed", run_id)
        finish_run(engine, run_id, datetime.now(UTC), "failed")
        raise
    finally:
        engine.dispose()


def _boards_to_refresh(
    spark: Any,
    settings: Settings,
    planned: list[Any],
    changed: list[Any],
    previous: dict[str, Any],
    board: str | None,
    now: datetime,
) -> list[str]:
    """Boards whose weekly rows may differ from the stored ones."""
    in_scope = {p.board_id for p in planned if p.board_id}
    if previous.get("week") != monday(now.date()).isoformat():
        boards = set(in_scope)  # first run, or a new week: overdue counts moved
    else:
        boards = {p.board_id for p in changed if p.board_id}
        since_id = int(previous.get("card_history_id") or 0)
        sql = f"SELECT DISTINCT board_id FROM card_history WHERE id > {since_id}"
        if board is not None:
            sql += f" AND board_id = {literal(board)}"
        boards |= {r.board_id for r in read_query(spark, settings, sql).collect()}
    if board is not None:
        boards &= {board}
    return sorted(boards)


def main() -> None:
    """Entry point for `spark-submit`: settings from the environment, one run, then stop."""
    import argparse

    from vori.settings import load_settings

    parser = argparse.ArgumentParser(description="vori analytics batch run")
    parser.add_argument("--since-days", type=float, default=None)
    parser.add_argument("--board", default=None)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    from vori.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    since = datetime.now(UTC) - timedelta(days=args.since_days) if args.since_days else None
    report = run_batch(settings, since=since, board=args.board, force=args.force)
    log.info("analytics run %s: %s", report.run_id, report)


if __name__ == "__main__":
    main()
