"""The upload lane's live events and the upload routes' body caps."""

from __future__ import annotations

from gateway.body_limit import BodyLimitMiddleware
from gateway.live_events import (
    RECORDING_FAILED,
    RECORDING_PROGRESS,
    RECORDING_TRANSCRIBED,
    live_events_for,
)
from gateway.uploads import MULTIPART_OVERHEAD, body_limits
from vori.events import MeetingEvent
from vori.settings import GatewaySettings


def test_progress_is_live_only_and_the_outcome_durable_once_per_upload() -> None:
    def live(**fields: object) -> list[tuple[str, dict[str, object], str | None]]:
        event = MeetingEvent(meeting_id="mtg_1", upload_id="upl_1", **fields)
        return [(e.type, e.payload, e.dedup_key) for e in live_events_for(event)]

    assert live(type="recording_progress", progress=0.25) == [
        (
            RECORDING_PROGRESS,
            {"upload_id": "upl_1", "status": "transcribing", "progress": 0.25},
            None,
        )
    ]
    assert live(type="recording_transcribed") == [
        (
            RECORDING_TRANSCRIBED,
            {"upload_id": "upl_1", "status": "transcribed", "progress": 1.0},
            "recording:upl_1:transcribed",
        )
    ]
    assert live(type="recording_failed", error="no audio stream") == [
        (
            RECORDING_FAILED,
            {"upload_id": "upl_1", "status": "failed", "error": "no audio stream"},
            "recording:upl_1:failed",
        )
    ]
    assert live_events_for(MeetingEvent(type="recording_progress", meeting_id="mtg_1")) == []


def test_upload_routes_have_caps_of_their_own_and_every_other_route_the_global_one() -> None:
    gateway = GatewaySettings(
        max_body_bytes=4096, upload_part_max_bytes=1 << 20, upload_max_bytes=1 << 30
    )
    limits = BodyLimitMiddleware(app=None, max_bytes=4096, routes=body_limits(gateway))  # type: ignore[arg-type]
    assert limits.limit_for("PATCH", "/api/v1/meetings/mtg_1/uploads/upl_1") == 1 << 20
    assert (
        limits.limit_for("POST", "/api/v1/meetings/mtg_1/recordings")
        == (1 << 30) + MULTIPART_OVERHEAD
    )
    for method, path in (
        ("POST", "/api/v1/meetings/mtg_1/uploads"),  # JSON: the global cap
        ("PATCH", "/api/v1/meetings/mtg_1"),
        ("POST", "/api/v1/meetings/mtg_1/transcript"),
        ("PATCH", "/api/v1/meetings/mtg_1/uploads/upl_1/more"),
        ("PUT", "/api/v1/meetings/mtg_1/recordings/retention"),
    ):
        assert limits.limit_for(method, path) == 4096, (method, path)
