"""Prometheus metrics of the ingest process (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

open_streams = Gauge("vori_ingest_open_streams", "Audio streams open in this process.")
inflight_bytes = Gauge(
    "vori_ingest_inflight_bytes", "Audio accepted but not yet confirmed by Kafka, all streams."
)
audio_bytes = Counter("vori_ingest_audio_bytes_total", "PCM bytes produced to audio.frames.")
frames = Counter("vori_ingest_frames_total", "Audio frames produced to audio.frames.")
deduplicated_samples = Counter(
    "vori_ingest_deduplicated_samples_total", "Re-sent samples dropped because already durable."
)
paced_seconds = Counter(
    "vori_ingest_paced_seconds_total",
    "Seconds streams were read more slowly for sending faster than MAX_SPEED x real time.",
)
paused_reads = Counter(
    "vori_ingest_backpressure_pauses_total", "Times a stream stopped reading its socket."
)
closes = Counter("vori_ingest_closes_total", "Closed audio sockets by close code.", ["code"])
delivery_seconds = Histogram(
    "vori_ingest_delivery_seconds",
    "From producing a frame to Kafka's delivery report.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
