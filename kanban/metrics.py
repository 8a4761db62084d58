"""Prometheus metrics of the kanban service (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PROPOSALS = Counter(
    "vori_kanban_proposals_total",
    "tasks.proposed messages handled, by outcome",
    ["outcome"],
)
PROPOSAL_SECONDS = Histogram(
    "vori_kanban_proposal_seconds", "Time to apply one tasks.proposed message"
)
CARD_CHANGES = Counter(
    "vori_kanban_card_changes_total", "Card changes, by kind and by who made them", ["change", "by"]
)
OUTBOX_PUBLISHED = Counter(
    "vori_kanban_changes_published_total", "kanban.changes events confirmed by Kafka"
)
