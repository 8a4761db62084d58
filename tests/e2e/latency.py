"""Speech-to-screen latency from a page's recorded WebSocket traffic (pure functions).

The audio socket tells when each stream sample left the page: after `ready` at position
P, every binary frame carries the next samples. A live frame leaves right after it was
captured, so the earliest (send time - frame end / rate) over all frames is the moment
stream sample 0 was spoken, and sample s was spoken s / rate later (resent frames leave
late and never win the minimum). A word's end time in the final segment, in stream
seconds, then gives when it was said; the events socket gives when the page first
showed it in a partial (the first partial of that utterance with that many words) and
when its final arrived.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

RATE = 16000


@dataclass
class WordLatency:
    word: str
    spoken_ms: float
    partial_ms: float | None
    final_ms: float
    last_of_utterance: bool = False


@dataclass
class PageLatency:
    stream_id: str | None
    words: list[WordLatency] = field(default_factory=list)

    def median_partial_s(self) -> float | None:
        values = [w.partial_ms for w in self.words if w.partial_ms is not None]
        return statistics.median(values) / 1000 if values else None

    def median_end_to_final_s(self) -> float | None:
        """From the end of an utterance's last word to its final on screen."""
        values = [w.final_ms for w in self.words if w.last_of_utterance]
        return statistics.median(values) / 1000 if values else None

    def median_final_s(self) -> float | None:
        values = [w.final_ms for w in self.words]
        return statistics.median(values) / 1000 if values else None


def capture_clock(wire: list[dict[str, Any]]) -> tuple[str | None, float | None]:
    """The stream id and the wall-clock ms at which stream sample 0 was spoken."""
    position: dict[int, int] = {}
    stream_id: str | None = None
    origin: float | None = None
    for entry in wire:
        if entry.get("channel") != "audio":
            continue
        socket = int(entry["socket"])
        if entry["dir"] == "in" and "data" in entry:
            message = json.loads(entry["data"])
            if message.get("type") == "ready":
                position[socket] = int(message["position"])
                stream_id = str(message["stream_id"])
        elif entry["dir"] == "out" and "bytes" in entry and socket in position:
            position[socket] += int(entry["bytes"]) // 2
            start = float(entry["t"]) - position[socket] * 1000 / RATE
            origin = start if origin is None else min(origin, start)
    return stream_id, origin


def page_latency(wire: list[dict[str, Any]]) -> PageLatency:
    """Per-word latency of the page's own speech, as that page showed it."""
    stream_id, origin = capture_clock(wire)
    result = PageLatency(stream_id)
    if stream_id is None or origin is None:
        return result
    partials: dict[str, list[tuple[float, int]]] = {}
    finals: dict[str, tuple[float, dict[str, Any]]] = {}
    for entry in wire:
        if entry.get("channel") != "events" or entry["dir"] != "in":
            continue
        event = json.loads(entry["data"])
        segment = event.get("segment")
        if not segment or segment.get("stream_id") != stream_id:
            continue
        if event["type"] == "transcript.partial":
            partials.setdefault(segment["id"], []).append(
                (float(entry["t"]), len(segment["text"].split()))
            )
        elif event["type"] == "transcript.final" and segment["id"] not in finals:
            finals[segment["id"]] = (float(entry["t"]), segment)
    for segment_id, (arrived, segment) in finals.items():
        shown = partials.get(segment_id, [])
        words = segment.get("words") or []
        for index, word in enumerate(words):
            spoken = origin + float(word["end"]) * 1000
            first = next((t for t, count in shown if count > index), None)
            result.words.append(
                WordLatency(
                    word=str(word["word"]).strip(),
                    spoken_ms=spoken,
                    partial_ms=None if first is None else first - spoken,
                    final_ms=arrived - spoken,
                    last_of_utterance=index == len(words) - 1,
                )
            )
    return result
