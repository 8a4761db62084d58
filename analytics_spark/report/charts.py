"""Plotly figures of a report model: one function per chart, None where there is nothing to draw.

Plotly reads a few HTML tags inside its text (`<b>`, `<br>`, `<a href>`), so every name,
title and term from the database goes through `label()` first: `<` shows as `<` and never
starts a tag. The JSON itself is made script-safe by the template's `tojson`.

One module because every chart is a short function over the report model that shares one
layout, one palette and the label escape above.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go

from analytics_spark.report.model import OTHERS, OTHERS_COLOUR, PALETTE, TOP_PEOPLE, Report

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans KR', sans-serif"
MAX_POINTS = 2000
FLOW_COLOURS = {"created": "#0072B2", "completed": "#009E73", "overdue": "#D55E00"}


def label(text: str, limit: int = 60) -> str:
    """User text as plotly shows it literally: tags escaped, long titles cut."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(short, quote=False)


def _layout(fig: go.Figure, height: int = 380, **extra: Any) -> go.Figure:
    """The report's common look; `extra` adds to or replaces any of it."""
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "font": {"family": FONT, "size": 13},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        # Stacked charts list their traces bottom-up by default: keep the people's order.
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "traceorder": "normal",
        },
        "hoverlabel": {"font": {"family": FONT}},
    }
    fig.update_layout(**(layout | extra))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _colour(report: Report) -> Callable[[str], str]:
    known = report.colours
    extra: dict[str, str] = {}

    def colour(name: str) -> str:
        if name in known:
            return known[name]
        return extra.setdefault(name, PALETTE[(len(known) + len(extra)) % len(PALETTE)])

    return colour


def talk_share(report: Report) -> go.Figure | None:
    """Everyone's share of the talk time over the scope: a donut."""
    people = [p for p in report.people if p.talk_s > 0]
    if not people:
        return None
    top, rest = people[:TOP_PEOPLE], people[TOP_PEOPLE:]
    names = [label(p.name) for p in top]
    values = [p.talk_s / 60 for p in top]
    colours = [p.colour for p in top]
    if rest:
        names.append(f"{OTHERS} ({len(rest)})")
        values.append(sum(p.talk_s for p in rest) / 60)
        colours.append(OTHERS_COLOUR)
    fig = go.Figure(
        go.Pie(
            labels=names,
            values=values,
            hole=0.5,
            sort=False,
            marker={"colors": colours},
            textinfo="label+percent",
            hovertemplate="%{label}<br>%{value:.1f} min · %{percent}<extra></extra>",
        )
    )
    return _layout(fig, showlegend=False)


def meeting_shares(report: Report) -> go.Figure | None:
    """Who held the floor in each recent meeting: stacked 100 % bars, newest on top."""
    meetings = list(reversed(report.meeting_shares))  # plotly draws the first row lowest
    if not meetings:
        return None
    rows = [f"{label(m.title, 40)} · {m.started_at:%d %b}" for m in meetings]
    colour = _colour(report)
    present = {name for m in meetings for name, _ in m.shares}
    # The biggest talker of the scope leftmost in every bar, as in the legend.
    names = [p.name for p in report.people if p.name in present]
    names += [OTHERS] if OTHERS in present else []
    fig = go.Figure()
    for name in names:
        shares = [dict(m.shares).get(name, 0.0) for m in meetings]
        fig.add_trace(
            go.Bar(
                y=rows,
                x=shares,
                name=label(name),
                orientation="h",
                marker={"color": colour(name)},
                hovertemplate=f"{label(name)}: %{{x:.0%}}<extra>%{{y}}</extra>",
            )
        )
    return _layout(
        fig,
        height=max(260, 34 * len(rows) + 90),
        barmode="stack",
        xaxis={"tickformat": ".0%", "range": [0, 1]},
    )


def pace(report: Report) -> go.Figure | None:
    """Words per minute per person, one point per meeting, the box over their meetings."""
    people = [p for p in report.people[:TOP_PEOPLE] if p.wpm_per_meeting]
    if not people:
        return None
    # Every meeting's point while they are few; past that, SVG points slow the page down
    # (10k meetings: 17 s to draw in Chromium), and the box says enough.
    points = "all" if sum(len(p.wpm_per_meeting) for p in people) <= MAX_POINTS else "outliers"
    fig = go.Figure()
    for person in people:
        fig.add_trace(
            go.Box(
                y=list(person.wpm_per_meeting),
                name=label(person.name),
                boxpoints=points,
                jitter=0.4,
                pointpos=0,
                marker={"color": person.colour, "size": 6},
                line={"color": person.colour},
                hovertemplate="%{y:.0f} wpm<extra>%{x}</extra>",
            )
        )
    return _layout(
        fig, showlegend=False, yaxis={"title": "words per minute", "rangemode": "tozero"}
    )


def participation(report: Report) -> go.Figure | None:
    """Each person's share of the week's talk time: stacked areas that fill 100 %."""
    data = report.participation
    if not data.weeks or not data.series:
        return None
    colour = _colour(report)
    fig = go.Figure()
    for name, shares in data.series:
        fig.add_trace(
            go.Scatter(
                x=[week.isoformat() for week in data.weeks],
                y=list(shares),
                name=label(name),
                mode="lines",
                stackgroup="one",
                line={"width": 0.5, "color": colour(name)},
                hovertemplate=f"{label(name)}: %{{y:.0%}}<extra>week of %{{x}}</extra>",
            )
        )
    return _layout(fig, yaxis={"tickformat": ".0%", "range": [0, 1]}, xaxis={"type": "date"})


def meeting_time(report: Report) -> go.Figure | None:
    """Hours in meetings per week, with the week's mean efficiency score."""
    weeks = report.meeting_weeks
    if not weeks:
        return None
    x = [w.week.isoformat() for w in weeks]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=x,
            y=[w.hours for w in weeks],
            name="meeting hours",
            marker={"color": "#56B4E9"},
            customdata=[w.meetings for w in weeks],
            hovertemplate="%{y:.1f} h in %{customdata} meetings<extra>week of %{x}</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[w.mean_efficiency for w in weeks],
            name="mean efficiency (0-100)",
            yaxis="y2",
            mode="lines+markers",
            connectgaps=False,
            line={"color": "#CC79A7"},
            hovertemplate="efficiency %{y:.0f}<extra>week of %{x}</extra>",
        )
    )
    return _layout(
        fig,
        xaxis={"type": "date"},
        yaxis={"title": "hours", "rangemode": "tozero"},
        yaxis2={
            "title": "efficiency",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "tickmode": "auto",  # not synced to the hours' grid
            "showgrid": False,
        },
    )


def efficiency(report: Report) -> go.Figure | None:
    """Every meeting: efficiency over time, sized by length, coloured by balance (Gini)."""
    meetings = report.meetings[:MAX_POINTS]  # newest first; the weekly chart has them all
    if not meetings:
        return None
    fig = go.Figure(
        go.Scatter(
            x=[m.started_at.isoformat() for m in meetings],
            y=[m.efficiency for m in meetings],
            mode="markers",
            text=[label(m.title) for m in meetings],
            customdata=[[m.duration_min, m.gini, m.speakers] for m in meetings],
            marker={
                "size": [min(40.0, 6 + m.duration_min / 4) for m in meetings],
                "color": [m.gini for m in meetings],
                "colorscale": "Viridis",
                "cmin": 0,
                "cmax": 1,
                "showscale": True,
                "colorbar": {"title": {"text": "Gini"}, "thickness": 12},
                "line": {"width": 0.5, "color": "#333"},
            },
            hovertemplate=(
                "<b>%{text}</b><br>efficiency %{y:.0f}<br>%{customdata[0]:.0f} min, "
                "%{customdata[2]} speakers, Gini %{customdata[1]:.2f}<extra></extra>"
            ),
        )
    )
    if len(report.meetings) > len(meetings):
        fig.add_annotation(
            text=f"the {len(meetings):,} most recent of {len(report.meetings):,} meetings",
            xref="paper",
            yref="paper",
            x=0,
            y=1.06,
            showarrow=False,
            xanchor="left",
        )
    return _layout(fig, yaxis={"title": "efficiency (0-100)", "range": [0, 105]})


def action_flow(report: Report) -> go.Figure | None:
    """Action items created and completed per week, and those open past their due date."""
    flow = report.flow
    if not any(w.created or w.completed or w.overdue for w in flow):
        return None  # boards without cards: a flat line at zero says nothing
    x = [w.week.isoformat() for w in flow]
    fig = go.Figure()
    for name, values in (
        ("created", [w.created for w in flow]),
        ("completed", [w.completed for w in flow]),
    ):
        fig.add_trace(
            go.Bar(
                x=x,
                y=values,
                name=name,
                marker={"color": FLOW_COLOURS[name]},
                hovertemplate=f"%{{y}} {name}<extra>week of %{{x}}</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[w.overdue for w in flow],
            name="overdue",
            mode="lines+markers",
            line={"color": FLOW_COLOURS["overdue"], "width": 3},
            hovertemplate="%{y} overdue<extra>week of %{x}</extra>",
        )
    )
    return _layout(fig, barmode="group", xaxis={"type": "date"}, yaxis={"title": "items"})


def time_to_done(report: Report) -> go.Figure | None:
    """Median hours from a card's creation to done, per week, one line per board."""
    boards = [b for b in report.time_to_done if b.points]
    if not boards:
        return None
    fig = go.Figure()
    for n, board in enumerate(boards):
        fig.add_trace(
            go.Scatter(
                x=[week.isoformat() for week, _ in board.points],
                y=[hours for _, hours in board.points],
                name=label(board.board),
                mode="lines+markers",
                line={"color": PALETTE[n % len(PALETTE)]},
                hovertemplate=f"{label(board.board)}: %{{y:.1f}} h<extra>week of %{{x}}</extra>",
            )
        )
    return _layout(
        fig,
        xaxis={"type": "date"},
        yaxis={"title": "median hours to done", "rangemode": "tozero"},
        showlegend=len(boards) > 1,
    )


def topics(report: Report) -> go.Figure | None:
    """Recurring topics by the share of a board's meetings they lead, named by their terms."""
    found = list(reversed(report.topics[:15]))
    if not found:
        return None
    several_boards = len({t.board for t in found}) > 1
    names = [label((f"{t.board} · " if several_boards else "") + t.label, 70) for t in found]
    fig = go.Figure(
        go.Bar(
            y=names,
            x=[t.share for t in found],
            orientation="h",
            marker={"color": [PALETTE[t.number % len(PALETTE)] for t in found]},
            customdata=[
                [t.meetings, label(", ".join(term for term, _ in t.terms[:8]), 120)] for t in found
            ],
            hovertemplate=(
                "leads %{customdata[0]} meetings (%{x:.0%} of the board's)<br>%{customdata[1]}"
                "<extra></extra>"
            ),
        )
    )
    return _layout(
        fig,
        height=max(240, 34 * len(found) + 80),
        xaxis={"tickformat": ".0%", "rangemode": "tozero"},
    )


def keyword_trends(report: Report) -> go.Figure | None:
    """The strongest keywords per week, each row scaled to its own peak week: when a term
    rises and fades shows even for terms far weaker than the strongest one."""
    trends = report.keywords
    if not trends.terms or not trends.weeks:
        return None
    rows = list(reversed(trends.scores))
    peaks = [max(row) or 1.0 for row in rows]
    fig = go.Figure(
        go.Heatmap(
            x=[week.isoformat() for week in trends.weeks],
            y=[label(term, 30) for term in reversed(trends.terms)],
            z=[[score / peak for score in row] for row, peak in zip(rows, peaks, strict=True)],
            customdata=[list(row) for row in rows],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            colorbar={"title": {"text": "of its peak"}, "thickness": 12, "tickformat": ".0%"},
            hovertemplate="%{y}: TF-IDF %{customdata:.2f}<extra>week of %{x}</extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(fig, height=max(260, 28 * len(trends.terms) + 90), xaxis={"type": "date"})


CHARTS: dict[str, Callable[[Report], go.Figure | None]] = {
    "talk-share": talk_share,
    "meeting-shares": meeting_shares,
    "pace": pace,
    "participation": participation,
    "meeting-time": meeting_time,
    "efficiency": efficiency,
    "action-flow": action_flow,
    "time-to-done": time_to_done,
    "topics": topics,
    "keyword-trends": keyword_trends,
}


def figures(report: Report) -> dict[str, dict[str, Any]]:
    """Chart id -> plotly figure as JSON-ready data, for the charts that have data."""
    drawn = {}
    for chart_id, draw in CHARTS.items():
        fig = draw(report)
        if fig is not None:
            drawn[chart_id] = json.loads(fig.to_json())
    return drawn
