"""Prometheus metrics of one transcriber process."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from vori.metrics import serve_metrics

_LATENCY_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 30.0)


class TranscriberMetrics:
    """Decode latency, final latency, queue depth, real-time factor, streams, drops."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.decode_seconds = Histogram(
            "vori_transcriber_decode_seconds",
            "Wall time of one decode call.",
            ["kind", "model"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.final_latency = Histogram(
            "vori_transcriber_final_latency_seconds",
            "From the utterance's last captured sample to its final being committed to Kafka.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.real_time_factor = Histogram(
            "vori_transcriber_real_time_factor",
            "Decode seconds per second of audio, per final.",
            ["model"],
            buckets=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0),
            registry=r,
        )
        self.queue_depth = Gauge(
            "vori_transcriber_queue_depth", "Decode jobs waiting.", ["model"], registry=r
        )
        self.backlog_seconds = Gauge(
            "vori_transcriber_backlog_seconds", "Audio waiting for its final decode.", registry=r
        )
        self.streams_open = Gauge(
            "vori_transcriber_streams_open", "Streams with state in this process.", registry=r
        )
        self.partitions_paused = Gauge(
            "vori_transcriber_partitions_paused", "1 while reading is paused for load.", registry=r
        )
        self.partials_dropped = Counter(
            "vori_transcriber_partials_dropped_total",
            "Partial requests dropped as stale or superseded.",
            registry=r,
        )
        self.segments = Counter(
            "vori_transcriber_segments_total", "Segments published.", ["kind"], registry=r
        )
        self.rejected = Counter(
            "vori_transcriber_rejected_total",
            "Decodes whose text a hallucination guard dropped.",
            ["reason"],
            registry=r,
        )
        self.early_finals = Counter(
            "vori_transcriber_early_finals_total",
            "Finals decoded early, during the pause that closed them: used, or not the "
            "final's (the utterance went on) and decoded again.",
            ["outcome"],
            registry=r,
        )
        self.lag_seconds = Gauge(
            "vori_transcriber_lag_seconds",
            "How far behind the audio the furthest-behind stream's transcript is.",
            registry=r,
        )
        self.overload_level = Gauge(
            "vori_transcriber_overload_level",
            "Overload policy level: 0 normal, 1 shedding partials, 2 cheaper finals, "
            "3 over capacity (ingest refuses new streams).",
            registry=r,
        )
        self.meetings_lagging = Gauge(
            "vori_transcriber_meetings_lagging",
            "Meetings whose transcript is behind by LAGGING_S or more.",
            registry=r,
        )
        self.detected_languages = Counter(
            "vori_transcriber_detected_languages_total",
            "Languages detected on the utterances of `auto` meetings (finals and partials).",
            ["language"],
            registry=r,
        )
        self.partials_shed = Counter(
            "vori_transcriber_partials_shed_total",
            "Partials not decoded because the transcriber was behind.",
            registry=r,
        )
        self.commits = Counter(
            "vori_transcriber_commits_total", "Transactions committed.", registry=r
        )
        self.metadata_limit_bytes = Gauge(
            "vori_transcriber_commit_metadata_limit_bytes",
            "Commit metadata one audio.frames partition may carry (the brokers' "
            "offset.metadata.max.bytes, read at start).",
            registry=r,
        )
        self.metadata_fill = Gauge(
            "vori_transcriber_commit_metadata_fill_ratio",
            "Share of the limit the fullest partition's stream checkpoints need with whole "
            "contexts (from REFUSE_METADATA_FILL new streams are refused; above 1 contexts "
            "are cut).",
            registry=r,
        )
        self.metadata_held_partitions = Gauge(
            "vori_transcriber_commit_metadata_held_partitions",
            "Partitions whose checkpoints do not fit their commit metadata: their offsets and "
            "finals wait.",
            registry=r,
        )
        self.metadata_held = Counter(
            "vori_transcriber_commit_metadata_holds_total",
            "Times a partition was held because its checkpoints did not fit.",
            registry=r,
        )

    def serve(self, port: int, host: str) -> int:
        """Serve /metrics on host:port in a background thread: these metrics and the
        process-wide ones (the consumer loop's lag); returns the bound port."""
        return serve_metrics(host, port, self.registry, REGISTRY)
