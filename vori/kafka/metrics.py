"""Prometheus metrics of the shared consumer loop, one set per process for every group."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMER_LAG = Gauge(
    "vori_kafka_consumer_lag",
    "Messages between a partition's high watermark and this consumer's position.",
    ["group", "topic", "partition"],
)
MESSAGES = Counter(
    "vori_kafka_messages_total",
    "Messages the consumer loop finished, by group, topic and outcome (handled or dead_lettered).",
    ["group", "topic", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "vori_kafka_handler_seconds",
    "Time the handler took for one message, retries included.",
    ["group", "topic"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 120.0),
)
PRODUCE_SECONDS = Histogram(
    "vori_kafka_produce_seconds",
    "From producing an event to Kafka's delivery report (acks=all), by topic.",
    ["topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0),
)
PRODUCE_ERRORS = Counter(
    "vori_kafka_produce_errors_total",
    "Delivery reports with an error, by topic (the event was not written).",
    ["topic"],
)
