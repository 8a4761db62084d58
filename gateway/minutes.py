"""Meeting minutes in Markdown from a summary: a pure renderer."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.exports import clock
from gateway.schemas import ActionItemOut, SummaryOut


@dataclass(frozen=True)
class MinutesHeader:
    title: str
    started: str
    ended: str | None
    participants: list[str]
    language: str


def _md(text: str) -> str:
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _bullets(items: list[str], empty: str) -> list[str]:
    return [f"- {_md(item)}" for item in items] if items else [f"*{empty}*"]


def _action_row(item: ActionItemOut) -> str:
    title = _md(item.title)
    if item.status == "cancelled":
        title = f"~~{title}~~ (cancelled)"
    owner = _md(item.assignee) if item.assignee else "—"
    due = item.due_date or "—"
    card = "—"
    if item.card is not None:
        card = f"{_md(item.card.column)} (`{item.card.id}`)"
        if item.card.archived:
            card += ", archived"
    evidence = "; ".join(
        f"“{_md(e.quote)}”" + (f" at {clock(e.at)}" if e.at is not None else "")
        for e in item.evidence
    )
    return f"| {title} | {owner} | {due} | {card} | {evidence or '—'} |"


def render_minutes(header: MinutesHeader, summary: SummaryOut) -> str:
    """Title, when, who, then overview, key points, decisions, action items, open questions."""
    out = [f"# {_md(header.title)}", ""]
    when = header.started + (f" to {header.ended}" if header.ended else " (in progress)")
    out += [f"**When:** {when}  ", f"**Language:** {header.language}  "]
    out += [f"**Participants:** {', '.join(_md(p) for p in header.participants) or '—'}", ""]
    if not summary.available:
        out += ["*No summary yet: the summarizer has not published one for this meeting.*", ""]
        return "\n".join(out)
    status = "final" if summary.kind == "final" else "draft (meeting in progress)"
    out += [f"*Summary: {status}, revision {summary.revision}, by {summary.source}.*", ""]
    out += ["## Overview", "", _md(summary.overview) or "*No overview.*", ""]
    out += ["## Key points", "", *_bullets(summary.key_points, "None recorded."), ""]
    out += ["## Decisions", "", *_bullets(summary.decisions, "No decisions recorded."), ""]
    out += ["## Action items", ""]
    if summary.action_items:
        out += ["| Task | Owner | Due | Card | Evidence |", "|---|---|---|---|---|"]
        out += [_action_row(item) for item in summary.action_items]
    else:
        out += ["*No action items.*"]
    out += ["", "## Open questions", "", *_bullets(summary.open_questions, "None."), ""]
    return "\n".join(out)
