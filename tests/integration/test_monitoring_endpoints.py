"""The /metrics endpoints as Prometheus scrapes them: a real gateway on Kafka and
PostgreSQL, and the metrics servers of the two workers that have no HTTP app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import summarizer.metrics  # registers the summarizer's metrics, as `vori summarizer` does
from tests.helpers.gateway import GatewayServer, create_meeting, register, serve_gateway, wait_for
from tests.helpers.monitoring import exposition_series
from transcriber.metrics import TranscriberMetrics
from vori.events import MEETING_EVENTS
from vori.metrics import serve_metrics
from vori.settings import Settings

MEETING_ROUTE = "/api/v1/meetings/{meeting_id}"


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings)


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def _value(text: str, name: str, **labels: str) -> float:
    return sum(v for found, v in _samples(text, name) if labels.items() <= found.items())


def test_a_gateway_request_is_counted_under_its_route_template(gateway: GatewayServer) -> None:
    with httpx.Client(base_url=gateway.url, timeout=15) as client:
        owner = register(client, "Mina")
        meeting = create_meeting(client, owner)
        before = client.get("/metrics").text
        for _ in range(3):
            answer = client.get(f"/api/v1/meetings/{meeting['id']}", headers=owner.headers)
            assert answer.status_code == 200, answer.text
        missing = client.get("/api/v1/meetings/no-such-meeting", headers=owner.headers)
        assert missing.status_code == 404
        ok = {"method": "GET", "route": MEETING_ROUTE, "status": "200"}
        expected = _value(before, "vori_http_requests_total", **ok) + 3
        scraped = [client.get("/metrics")]

        def counted() -> bool:
            # The middleware counts a request once its response is sent, so the client can
            # read the third answer before it is counted (seen once in CI: 17 for 18).
            if _value(scraped[0].text, "vori_http_requests_total", **ok) >= expected:
                return True
            scraped[0] = client.get("/metrics")
            return False

        wait_for(counted, 5.0, "the three requests to be counted")
        after = scraped[0]
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    assert _value(after.text, "vori_http_requests_total", **ok) == expected
    timed = {"method": "GET", "route": MEETING_ROUTE}
    assert _value(after.text, "vori_http_request_duration_seconds_count", **timed) >= 3
    routes = {labels["route"] for labels, _ in _samples(after.text, "vori_http_requests_total")}
    assert "/api/v1/auth/register" in routes
    assert not [route for route in routes if meeting["id"] in route or "no-such" in route]
    not_found = {"method": "GET", "route": MEETING_ROUTE, "status": "404"}
    assert _value(after.text, "vori_http_requests_total", **not_found) >= 1
    # The gateway's database pool (summed over the engines alive in this process).
    assert _value(after.text, "vori_db_pool_size") >= 5  # pool_size of create_db_engine


def test_the_gateway_reports_its_producer_and_consumer_groups(gateway: GatewayServer) -> None:
    group = gateway.settings.gateway.persist_group  # the fixture names its own groups
    last: list[str] = [""]
    with httpx.Client(base_url=gateway.url, timeout=15) as client:
        create_meeting(client, register(client, "Jun"))  # a meeting.events message

        def reported() -> bool:
            last[0] = text = client.get("/metrics").text
            handled = _value(text, "vori_kafka_messages_total", group=group, topic=MEETING_EVENTS)
            lag = _samples(text, "vori_kafka_consumer_lag")
            produced = _value(text, "vori_kafka_produce_seconds_count", topic=MEETING_EVENTS)
            return (
                handled >= 1
                and produced >= 1
                and any(labels["group"] == group for labels, _ in lag)
            )

        # The lag gauges are refreshed every 5 s by the consumer loop.
        try:
            wait_for(reported, timeout=30, message="the persist group's lag and messages")
        except AssertionError:
            kafka = [line for line in last[0].splitlines() if line.startswith("vori_kafka")]
            raise AssertionError("\n".join(kafka)) from None


def _scrape(port: int) -> str:
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert answer.status_code == 200
    return answer.text


def test_the_transcriber_serves_its_own_and_the_process_metrics() -> None:
    metrics = TranscriberMetrics()
    metrics.final_latency.observe(1.2)
    port = metrics.serve(0, "127.0.0.1")
    text = _scrape(port)
    series: dict[str, Any] = exposition_series(text)
    assert _value(text, "vori_transcriber_final_latency_seconds_count") == 1
    for name in (
        "vori_transcriber_decode_seconds_bucket",
        "vori_transcriber_real_time_factor_bucket",
        "vori_transcriber_backlog_seconds",
        "vori_kafka_consumer_lag",  # the shared consumer loop's, from the default registry
        "process_resident_memory_bytes",
    ):
        assert name in series, name


def test_the_summarizer_metrics_server_answers_on_loopback() -> None:
    assert summarizer.metrics.SUMMARIES  # imported above for its registrations
    port = serve_metrics("127.0.0.1", 0)
    series = exposition_series(_scrape(port))
    for name in (
        "vori_summarizer_summaries_total",
        "vori_summarizer_summary_seconds_bucket",
        "vori_summarizer_llm_fallbacks_total",
        "vori_summarizer_llm_request_seconds_bucket",
        "vori_kafka_consumer_lag",
    ):
        assert name in series, name
