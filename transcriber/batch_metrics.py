"""Prometheus metrics of the batch transcriber (beside the consumer loop's lag and counts)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

AUDIO_SECONDS = Counter(
    "vori_batch_audio_seconds_total",
    "Seconds of uploaded audio transcribed (each channel counts), by model.",
    ["model"],
)
SEGMENTS = Counter("vori_batch_segments_total", "Final segments published for uploads.")
UPLOADS = Counter(
    "vori_batch_uploads_total",
    "Uploads finished, by outcome (transcribed, failed).",
    ["outcome"],
)
UPLOADS_IN_PROGRESS = Gauge(
    "vori_batch_uploads_in_progress", "Uploads being transcribed by this process now."
)
YIELDING = Gauge(
    "vori_batch_yielding",
    "1 while the batch lane waits because a live transcriber reports overload.",
)
YIELD_SECONDS = Counter(
    "vori_batch_yield_seconds_total",
    "Seconds the batch lane waited for live transcribers to be back at normal load.",
)
