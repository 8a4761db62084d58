"""`since` of the board analytics: an ISO date or a look-back, aligned to its week's Monday."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.analytics import parse_since

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("value", "monday"),
    [
        ("2026-11-18", date(2026, 11, 16)),  # a Wednesday
        ("2026-11-16", date(2026, 11, 16)),  # a Monday stays
        ("2026-11-22T23:59:00+09:00", date(2026, 11, 16)),  # the date as written, a Sunday
        ("3d", date(2026, 11, 23)),
        ("4d", date(2026, 11, 16)),
        ("1w", date(2026, 11, 16)),
        (" 12W ", date(2026, 8, 31)),
        ("0d", date(2026, 11, 23)),
    ],
)
def test_since_is_the_monday_of_its_week(value: str, monday: date) -> None:
    assert parse_since(value, TODAY) == monday


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_since_means_every_week(value: str | None) -> None:
    assert parse_since(value, TODAY) is None


@pytest.mark.parametrize("value", ["last week", "30", "d30", "2026-02-30", "1.5w", "-2w"])
def test_a_bad_since_says_what_is_accepted(value: str) -> None:
    with pytest.raises(ValueError, match=r"ISO date .* nor a look-back such as 30d or 12w"):
        parse_since(value, TODAY)


def test_a_look_back_past_ten_years_is_refused() -> None:
    assert parse_since("3660d", TODAY) == date(2016, 11, 14)
    with pytest.raises(ValueError, match="more than 3660 days"):
        parse_since("523w", TODAY)
