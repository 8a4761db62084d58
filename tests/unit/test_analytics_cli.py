"""`vori analytics run --since`: the spans and dates it accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer

from vori.cli.analytics import parse_since

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("12h", NOW - timedelta(hours=12)),
        ("2w", NOW - timedelta(weeks=2)),
        ("1.5d", NOW - timedelta(hours=36)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T09:00+09:00", datetime(2026, 11, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_since_accepts_spans_and_dates(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["30", "d30", "yesterday", "30m"])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_since(text, NOW)
