"""The report model as one self-contained HTML file (Jinja2 template, plotly.js inline)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import jinja2

from analytics_spark.report.charts import figures
from analytics_spark.report.model import Report


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analytics_spark.report", "templates"),
        autoescape=True,  # every title, name and term is the user's text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: f"{value:.0%}"
    env.filters["num"] = lambda value, digits=0: f"{value:,.{digits}f}"
    env.filters["when"] = _when
    return env


def _when(moment: datetime) -> str:
    """A moment in UTC, to the minute (PostgreSQL answers in the server's time zone)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


@cache
def plotly_js() -> str:
    """plotly.min.js of the installed plotly, inlined so the report opens offline."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def render_report(report: Report) -> str:
    """The whole HTML document of a report."""
    drawn = figures(report) if report.state == "ok" else {}
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            figures=drawn,
            plotly_js=plotly_js() if drawn else "",
            title=_title(report),
        )
    )


def _title(report: Report) -> str:
    scope = f"board {report.board_name}" if report.board_name else "all boards"
    since = report.scope.since
    period = f" since {since:%Y-%m-%d}" if isinstance(since, datetime) else ""
    return f"vori meeting analytics: {scope}{period}"
