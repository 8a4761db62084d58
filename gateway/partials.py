"""The latest partial segment of each speaking stream, for clients that connect mid-utterance.

Pure state, fed the live events of one gateway process in the order they reach it.
"""

from __future__ import annotations

from typing import Any

from gateway.live_events import FINAL, MEETING_ENDED, PARTIAL, PARTICIPANT_LEFT


class LivePartials:
    """Per meeting and stream, the newest partial not yet overtaken by a final."""

    def __init__(self) -> None:
        self._partials: dict[str, dict[str, dict[str, Any]]] = {}
        # Per meeting and stream, the end sample of the latest final: older partials are stale.
        self._final_through: dict[str, dict[str, int]] = {}

    def observe(self, type_: str, meeting_id: str, payload: dict[str, Any]) -> bool:
        """Record an event; False for a partial that is stale and must not be shown."""
        if type_ == PARTIAL:
            return self._partial(meeting_id, payload["segment"])
        if type_ == FINAL:
            self._final(meeting_id, payload["segment"])
        elif type_ == PARTICIPANT_LEFT:
            stream_id = payload["participant"].get("stream_id")
            if stream_id:
                self._partials.get(meeting_id, {}).pop(stream_id, None)
                self._final_through.get(meeting_id, {}).pop(stream_id, None)
        elif type_ == MEETING_ENDED:
            self._partials.pop(meeting_id, None)
            self._final_through.pop(meeting_id, None)
        return True

    def current(self, meeting_id: str) -> list[dict[str, Any]]:
        """The partial segments of a meeting's streams right now."""
        return list(self._partials.get(meeting_id, {}).values())

    def _partial(self, meeting_id: str, segment: dict[str, Any]) -> bool:
        stream_id = segment["stream_id"]
        if segment["start_sample"] < self._final_through.get(meeting_id, {}).get(stream_id, 0):
            return False  # an utterance that already has its final
        streams = self._partials.setdefault(meeting_id, {})
        previous = streams.get(stream_id)
        if (
            previous is not None
            and previous["id"] == segment["id"]
            and previous["revision"] > segment["revision"]
        ):
            return False  # an older revision overtaken on the way
        streams[stream_id] = segment
        return True

    def _final(self, meeting_id: str, segment: dict[str, Any]) -> None:
        stream_id = segment["stream_id"]
        finals = self._final_through.setdefault(meeting_id, {})
        through = max(finals.get(stream_id, 0), segment["end_sample"])
        finals[stream_id] = through
        streams = self._partials.get(meeting_id, {})
        partial = streams.get(stream_id)
        if partial is not None and (
            partial["id"] == segment["id"] or partial["start_sample"] < through
        ):
            del streams[stream_id]
        if not streams:
            self._partials.pop(meeting_id, None)
