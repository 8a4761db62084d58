"""The meeting list's paging cursor: what one page hands out, the next page reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.meeting_query import BadCursorError, Position, as_utc, decode_cursor, encode_cursor


def test_a_cursor_round_trips_to_the_microsecond() -> None:
    position = Position(datetime(2026, 11, 30, 9, 5, 7, 123456, tzinfo=UTC), "mtg_ab|c")
    cursor = encode_cursor(position)
    assert "=" not in cursor
    assert decode_cursor(cursor) == position


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "!!!", "bXRnXzE"])
def test_a_cursor_not_handed_out_is_refused(cursor: str) -> None:
    with pytest.raises(BadCursorError, match="X-Next-Cursor"):
        decode_cursor(cursor)


def test_a_cursor_without_a_time_zone_is_refused() -> None:
    import base64

    naive = base64.urlsafe_b64encode(b"2026-11-30T09:05:07|mtg_1").decode()
    with pytest.raises(BadCursorError):
        decode_cursor(naive)


def test_times_without_a_zone_are_utc_and_others_are_kept() -> None:
    assert as_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
    seoul = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert as_utc(seoul) is seoul
