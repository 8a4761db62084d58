"""Whose a card is and whether it is open: one rule for My tasks (kanban) and for the
gateway's notifications, which must agree on both.

Cards name their assignee as text (what a meeting heard, or what a person typed), so a
card is a person's when its assignee is their display name or e-mail address, compared
without case or surrounding spaces.
"""

from __future__ import annotations

# Column names that mean the work is finished (English and Korean), compared folded.
DONE_COLUMNS = ("done", "complete", "completed", "finished", "closed", "완료")


def fold(text: str | None) -> str:
    """A name or column as compared: no case, no surrounding spaces."""
    return (text or "").strip().casefold()


def names_of(display_name: str, email: str) -> frozenset[str]:
    """What a card's assignee may say for it to be this person's."""
    return frozenset(name for name in (fold(display_name), fold(email)) if name)


def is_done_column(column: str | None) -> bool:
    return fold(column) in DONE_COLUMNS
