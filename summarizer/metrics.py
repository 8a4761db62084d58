"""Prometheus metrics of the summarizer process (served by `vori summarizer` on
SUMMARIZER__METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

SUMMARIES = Counter(
    "vori_summarizer_summaries_total",
    "Summaries published, by kind (rolling or final) and source (llm or rules).",
    ["kind", "source"],
)
SUMMARY_SECONDS = Histogram(
    "vori_summarizer_summary_seconds",
    "Time to compute and publish one summary, by kind.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 90.0, 180.0, 360.0),
)
LLM_FALLBACKS = Counter(
    "vori_summarizer_llm_fallbacks_total",
    "Summaries for which the LLM was configured but the rules answered, by kind.",
    ["kind"],
)
LLM_REQUESTS = Histogram(
    "vori_summarizer_llm_request_seconds",
    "One chat-completions request, by outcome (ok, invalid answer, error).",
    ["outcome"],
    buckets=(0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 90.0, 180.0),
)
