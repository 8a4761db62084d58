"""`vori analytics report`: the analytics tables as one self-contained HTML file with charts.

`model` turns rows into a report (pure), `load` reads the rows, `charts` and `render`
draw the report with plotly and a Jinja2 template.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics_spark.report.load import load_report_input
from analytics_spark.report.model import Report, ReportScope, build_report
from analytics_spark.report.render import render_report


def write_report(engine: Engine, scope: ReportScope, out: Path) -> Report:
    """Read the scope's rows, build the report and write it to `out` as one HTML file."""
    report = build_report(load_report_input(engine, scope), scope)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(report), encoding="utf-8")
    return report


__all__ = ["Report", "ReportScope", "build_report", "render_report", "write_report"]
