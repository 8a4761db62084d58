"""`vori analytics ...`: the Spark analytics jobs from the command line.

The group lives in its own module (registered in vori/cli/main.py); each command imports
`analytics_spark` inside itself, so `vori --help` never loads Spark.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from vori.cli.load import load

analytics_app = typer.Typer(help="Spark analytics over the stored meetings.", no_args_is_help=True)
log = logging.getLogger("vori.analytics")

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_since(value: str, now: datetime) -> datetime:
    """`30d`, `12h`, `2w` back from now, or an ISO date/time (UTC unless it says otherwise)."""
    match = _SPAN.match(value)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2)]
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use 30d, 12h, 2w or a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@analytics_app.command("run")
def run(
    since: Annotated[
        str | None,
        typer.Option(help="Only meetings since then: 30d, 12h, 2w or a date (default: all)."),
    ] = None,
    board: Annotated[str | None, typer.Option(help="Only this board's meetings.")] = None,
    master: Annotated[
        str | None,
        typer.Option(help="Spark master URL (default VORI_ANALYTICS__SPARK_MASTER)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Recompute every meeting, changed or not.")
    ] = False,
) -> None:
    """Run the batch jobs: per-meeting figures, weekly board and person figures, topics."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from analytics_spark.batch import run_batch

    settings = load()
    if master:
        analytics = settings.analytics.model_copy(update={"spark_master": master})
        settings = settings.model_copy(update={"analytics": analytics})
    if settings.analytics.spark_master.startswith("local"):
        # Local executors run this interpreter, as spark-submit would arrange.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    start = parse_since(since, datetime.now(UTC)) if since else None
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("starting", total=None)
        report = run_batch(
            settings,
            since=start,
            board=board,
            force=force,
            progress=lambda step: progress.update(task, description=step),
        )
    table = Table(title=f"analytics run {report.run_id}", show_header=False)
    table.add_row("meetings in scope", str(report.meetings_in_scope))
    table.add_row("meetings recomputed", str(report.meetings_computed))
    table.add_row("segments read", str(report.segments))
    table.add_row("boards refreshed", str(report.boards))
    table.add_row("topics written", str(report.topics))
    for phase, seconds in report.timings.items():
        table.add_row(f"{phase} (s)", f"{seconds:.1f}")
    Console().print(table)


@analytics_app.command("schedule")
def schedule(
    every: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="Seconds from the end of a run to the start of the next "
            "(default VORI_ANALYTICS__BATCH_INTERVAL_S).",
        ),
    ] = None,
    first: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds before the first run (default VORI_ANALYTICS__BATCH_FIRST_DELAY_S).",
        ),
    ] = None,
) -> None:
    """Run the batch jobs again and again, niced, never two at once, until Ctrl-C (`vori up`
    does this for you)."""
    import time

    from vori.cli.batch_schedule import run_batch_process, run_every

    analytics = load().analytics
    interval_s = analytics.batch_interval_s if every is None else every
    if interval_s <= 0:
        typer.echo(
            "vori: VORI_ANALYTICS__BATCH_INTERVAL_S=0 switches the scheduled runs off;"
            " give --every SECONDS to run them anyway",
            err=True,
        )
        raise typer.Exit(2)
    first_delay_s = analytics.batch_first_delay_s if first is None else first
    os.nice(analytics.batch_nice)  # every run inherits it: live meetings keep the CPU first

    def wait(seconds: float) -> bool:
        time.sleep(seconds)
        return True

    log.info(
        "analytics runs every %g s after the previous one ended, the first in %g s",
        interval_s,
        first_delay_s,
    )
    try:
        run_every(
            run_batch_process,
            wait,
            log.warning,
            interval_s=interval_s,
            first_delay_s=first_delay_s,
        )
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@analytics_app.command("stream")
def stream(
    master: Annotated[
        str | None,
        typer.Option(help="Spark master URL (default VORI_ANALYTICS__SPARK_MASTER)."),
    ] = None,
) -> None:
    """Run the live job: per-speaker talk time and WPM of running meetings, until Ctrl-C."""
    from analytics_spark.live import run as run_live

    settings = load()
    if master:
        analytics = settings.analytics.model_copy(update={"spark_master": master})
        settings = settings.model_copy(update={"analytics": analytics})
    run_live(settings)


@analytics_app.command("report")
def report(
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
    board: Annotated[str | None, typer.Option(help="Only this board (its id).")] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only meetings since then: 30d, 12h, 2w or a date (default: all)."),
    ] = None,
) -> None:
    """Write the analytics as one self-contained HTML file with charts (opens offline)."""
    from sqlalchemy.exc import OperationalError

    from analytics_spark.report import ReportScope, write_report
    from analytics_spark.report.load import board_exists
    from vori.db.engine import create_db_engine

    settings = load()
    now = datetime.now(UTC)
    scope = ReportScope(now, board, parse_since(since, now) if since else None)
    engine = create_db_engine(settings)
    try:
        if board is not None and not board_exists(engine, board):
            typer.echo(f"vori: no board {board!r}", err=True)
            raise typer.Exit(1)
        written = write_report(engine, scope, out)
    except OperationalError as exc:
        reason = str(exc.orig).splitlines()[0]
        typer.echo(
            f"vori: cannot read the database: {reason}. Start it with `vori up`,"
            " or point VORI_DATABASE_URL at yours.",
            err=True,
        )
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    size = out.stat().st_size / 1e6
    typer.echo(
        f"wrote {out} ({size:.1f} MB): {written.totals.meetings} meetings, "
        f"{len(written.people)} people, {len(written.topics)} topics"
    )
