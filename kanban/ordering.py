"""Ordering of cards in a column and of columns on a board (pure)."""

from __future__ import annotations

from collections.abc import Sequence


def place(order: Sequence[str], item: str, index: int | None) -> list[str]:
    """`order` with `item` moved (or inserted) at `index`, clamped; None appends."""
    rest = [x for x in order if x != item]
    at = len(rest) if index is None else max(0, min(index, len(rest)))
    return [*rest[:at], item, *rest[at:]]


def without(order: Sequence[str], item: str) -> list[str]:
    """`order` with `item` taken out (closing the gap)."""
    return [x for x in order if x != item]
