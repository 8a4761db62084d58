"""Prometheus metrics of the archiver (beside the consumer loop's lag and message counts)."""

from __future__ import annotations

from prometheus_client import Counter

CHUNKS_WRITTEN = Counter(
    "vori_archiver_chunks_written_total", "FLAC chunks put into the recordings store."
)
BYTES_WRITTEN = Counter(
    "vori_archiver_bytes_written_total", "Bytes of FLAC put into the recordings store."
)
SAMPLES_WRITTEN = Counter(
    "vori_archiver_samples_written_total",
    "Audio samples in the chunks put into the store (a rewritten chunk counts again).",
)
MEETINGS_DELETED = Counter(
    "vori_archiver_meetings_deleted_total",
    "Meetings whose audio the archiver deleted, by reason (deleted, expired, orphaned).",
    ["reason"],
)
