"""Prometheus metrics of the gateway, created once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "vori_gateway_events_consumed_total",
    "Kafka events the gateway consumed, by consumer (persist or live) and topic.",
    ["consumer", "topic"],
)
EVENTS_FANNED_OUT = Counter(
    "vori_gateway_events_fanned_out_total",
    "Events sent to events-WebSocket clients, by event type.",
    ["type"],
)
CONNECTED_CLIENTS = Gauge(
    "vori_gateway_event_clients", "Events-WebSocket clients connected to this process."
)
FANOUT_LATENCY = Histogram(
    "vori_gateway_fanout_latency_seconds",
    "From an event reaching the gateway (consumed from Kafka) to its send to a client.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
)
SLOW_CLIENTS_DROPPED = Counter(
    "vori_gateway_slow_clients_dropped_total",
    "Events-WebSocket clients closed because they read too slowly.",
)
SEGMENTS_STORED = Counter(
    "vori_gateway_final_segments_stored_total", "Final segments newly written to PostgreSQL."
)
EVENT_LOG_APPENDS = Counter(
    "vori_gateway_event_log_appends_total",
    "Durable events numbered in the event log (replays that were already there excluded).",
)
FANOUT_HELD = Gauge(
    "vori_gateway_fanout_held_events",
    "Events whose fan-out work this process put off: no client here waited for them yet, "
    "and the persistence group had not yet committed past them (gateway/fanout.py).",
)
WEBHOOK_ATTEMPTS = Counter(
    "vori_gateway_webhook_attempts_total",
    "Webhook requests made, by outcome: delivered, retry (5xx, 408, 429, timeout, no "
    "connection) or refused (any other answer, or a target refused).",
    ["outcome"],
)
WEBHOOK_GIVEN_UP = Counter(
    "vori_gateway_webhook_deliveries_given_up_total",
    "Webhook deliveries recorded as failed after their last attempt.",
)
