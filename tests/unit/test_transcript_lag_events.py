"""A transcriber's load report becomes one live `transcript.lag` event per listed meeting."""

from __future__ import annotations

from gateway.live_events import TRANSCRIPT_LAG, live_events_for
from vori.events import MeetingLag, TranscriberLoad


def test_each_listed_meeting_hears_how_far_behind_it_is_and_when_it_caught_up() -> None:
    report = TranscriberLoad(
        instance="t1",
        level="degraded",
        lag_s=3.2,
        meetings=[
            MeetingLag(meeting_id="a", lag_s=3.2, streams_behind=2),
            MeetingLag(meeting_id="b", lag_s=0.0),
        ],
    )
    lagging, caught_up = live_events_for(report)
    assert (lagging.type, lagging.meeting_id) == (TRANSCRIPT_LAG, "a")
    assert lagging.payload == {"lagging": True, "lag_s": 3.2, "streams_behind": 2}
    assert not lagging.durable  # live only: a reconnecting client hears the next report
    assert caught_up.meeting_id == "b"
    assert caught_up.payload["lagging"] is False


def test_a_report_without_lagging_meetings_reaches_nobody() -> None:
    assert live_events_for(TranscriberLoad(instance="t1", level="normal", lag_s=0.1)) == []
