"""Prometheus scrape config, alert rules and Grafana dashboards, checked against the code.

Every PromQL expression is parsed by a real PromQL parser, and every metric and label it
names must be exported by the services' code: a renamed metric breaks this test instead
of leaving a silent empty panel or an alert that can never fire.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

import gateway.metrics
import kanban.metrics
import stream_ingest.metrics
import summarizer.metrics
import vori.db.metrics
import vori.kafka.metrics
import vori.metrics
from gateway.body_limit import BodyLimitMiddleware
from tests.helpers.compose import (
    REPO,
    builds_from_this_repo,
    effective_command,
    effective_environment,
    load_compose,
    read_dockerfile,
)
from tests.helpers.monitoring import (
    DASHBOARDS,
    GRAFANA,
    PROMETHEUS,
    Series,
    alert_rules,
    all_queries,
    parse,
    problems_of,
    read_yaml,
    registry_series,
    unexported_by_endpoints,
)
from transcriber.metrics import TranscriberMetrics
from vori.services import SERVICES
from vori.settings import Settings, known_env_vars, load_settings

OPERATOR_ENV = {
    "VORI_DOMAIN": "vori.example.com",
    "VORI_TLS": "internal",
    "VORI_JWT_SECRET": "0123456789abcdef" * 4,
    "POSTGRES_PASSWORD": "fedcba9876543210" * 2,
    "GRAFANA_ADMIN_PASSWORD": "a-grafana-password-from-env",
    "MINIO_ROOT_PASSWORD": "a-minio-password-from-env",
}
# Long-running containers that export no Prometheus metrics yet, and why.
NOT_SCRAPED = {
    "analytics-live": "the Spark Structured Streaming job; no metrics endpoint of its own yet",
}
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")

# Modules whose import registers the process-wide metrics (kept referenced for ruff).
METRIC_MODULES = (
    gateway.metrics,
    kanban.metrics,
    stream_ingest.metrics,
    summarizer.metrics,
    vori.db.metrics,
    vori.kafka.metrics,
    vori.metrics,
)


def exported_series() -> Series:
    """Every series the services' code can export, with the labels of each."""
    series = registry_series(REGISTRY)
    series.update(registry_series(TranscriberMetrics().registry))
    return series


def _container_settings(spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings a container of this compose service loads."""
    env = effective_environment(spec, read_dockerfile())
    with monkeypatch.context() as patch:
        for variable in known_env_vars():
            patch.delenv(variable, raising=False)
        for variable, value in env.items():
            patch.setenv(variable, value)
        return load_settings()


# -- tests -----------------------------------------------------------------------------


def test_prometheus_discovers_every_replica_of_every_service_through_dns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env of the checkout
    compose = load_compose(OPERATOR_ENV)
    config = read_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    image = read_dockerfile()
    scraped: set[str] = set()
    for name, spec in compose["services"].items():
        if not builds_from_this_repo(spec):
            continue
        service = SERVICES.get(effective_command(spec, image)[1])
        if service is None or name in NOT_SCRAPED:
            continue  # one-shot containers (init), and the known exceptions
        assert service.metrics_url is not None, f"{service.name} exports no metrics"
        url = urlsplit(service.metrics_url(_container_settings(spec, monkeypatch)))
        job = jobs.get(name)
        assert job is not None, f"compose service {name} is not scraped"
        assert "static_configs" not in job, f"{name}: static targets cannot follow --scale"
        [discovery] = job["dns_sd_configs"]
        assert discovery["type"] == "A", "A records list every replica on the compose network"
        assert discovery["names"] == [name]
        assert discovery["port"] == url.port, f"{name} serves /metrics on {url.port}"
        assert job.get("metrics_path", "/metrics") == url.path
        # Reachable from Prometheus on the internal network, published nowhere.
        assert str(url.port) in [str(port) for port in spec.get("expose", [])], name
        assert not spec.get("ports"), name
        assert "backend" in spec["networks"], name
        scraped.add(name)
    assert "backend" in compose["services"]["prometheus"]["networks"]
    assert scraped >= {"gateway", "stream-ingest", "kanban", "transcriber", "summarizer"}


def test_the_local_prometheus_config_scrapes_what_vori_up_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in known_env_vars():
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings()  # the defaults `vori up` runs with
    local = read_yaml(PROMETHEUS / "local.yml")
    deployed = read_yaml(PROMETHEUS / "prometheus.yml")
    targets = {
        job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
        for job in local["scrape_configs"]
    }
    wanted = {
        name: service.metrics_url(settings)
        for name, service in SERVICES.items()
        if service.metrics_url is not None
    }
    assert set(targets) == set(wanted)
    for name, url in wanted.items():
        assert targets[name] == [urlsplit(url).netloc], name
    assert set(targets) <= {job["job_name"] for job in deployed["scrape_configs"]}
    assert (PROMETHEUS / local["rule_files"][0]).resolve() == PROMETHEUS / "alerts.yml"


def test_prometheus_loads_the_alert_rules_that_compose_mounts() -> None:
    compose = load_compose(OPERATOR_ENV)
    mounts = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in compose["services"]["prometheus"]["volumes"]
    }
    config = read_yaml(PROMETHEUS / "prometheus.yml")
    assert mounts["/etc/prometheus/prometheus.yml"] == "./infra/prometheus/prometheus.yml"
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    assert mounts["/etc/prometheus/alerts.yml"] == "./infra/prometheus/alerts.yml"


def test_every_alert_rule_is_complete_and_valid_promql() -> None:
    rules = alert_rules()
    assert len(rules) >= 5
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names are unique"
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert DURATION.match(str(rule["for"])), f"{rule['alert']}: for {rule['for']!r}"
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]
        parse(rule["expr"])  # raises ValueError on a syntax or type error


def test_alerts_cover_the_failures_an_operator_must_hear_about() -> None:
    exprs = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    assert any(e.strip().startswith("up{") and "== 0" in e for e in exprs.values())
    latency = next(e for e in exprs.values() if "vori_transcriber_final_latency" in e)
    assert "histogram_quantile(0.95" in latency
    assert latency.rstrip().endswith("> 3")
    assert any("vori_kafka_consumer_lag" in e and "deriv(" in e for e in exprs.values())
    assert any('status=~"5.."' in e for e in exprs.values())
    assert any("vori_summarizer_llm_fallbacks_total" in e for e in exprs.values())
    # The runbook names every alert.
    operations = (REPO / "docs" / "operations.md").read_text()
    for name in exprs:
        assert f"`{name}`" in operations, f"docs/operations.md says nothing about {name}"


def test_every_metric_and_label_that_alerts_and_dashboards_name_is_exported() -> None:
    series = exported_series()
    problems = [
        f"{where}: {problem}"
        for where, expr in all_queries()
        for problem in problems_of(expr, series)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="Debian's prometheus package")
def test_promtool_accepts_the_config_the_rules_and_the_rules_unit_tests(tmp_path: Path) -> None:
    # The config names the rules where compose mounts them; point it at the repository's.
    config = read_yaml(PROMETHEUS / "prometheus.yml")
    config["rule_files"] = [str(PROMETHEUS / "alerts.yml")]
    checked = tmp_path / "prometheus.yml"
    checked.write_text(json.dumps(config))  # JSON is YAML
    for args in (
        ["check", "config", str(checked)],
        ["check", "config", str(PROMETHEUS / "local.yml")],
        ["check", "rules", str(PROMETHEUS / "alerts.yml")],
        # Each alert fires on its failure and not on a healthy system (alerts.test.yml).
        ["test", "rules", str(PROMETHEUS / "alerts.test.yml")],
    ):
        result = subprocess.run(
            ["promtool", *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"
    tested = read_yaml(PROMETHEUS / "alerts.test.yml")["tests"]
    fired = {
        case["alertname"]
        for test in tested
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    assert fired == {rule["alert"] for rule in alert_rules()}, "every alert has a firing test"


def test_the_name_check_catches_a_misspelt_metric_and_label() -> None:
    series = exported_series()
    assert problems_of("rate(vori_http_requests_total[5m])", series) == []
    assert problems_of("rate(vori_http_request_total[5m])", series) == [
        "metric vori_http_request_total is exported by no service"
    ]
    assert problems_of('vori_kafka_consumer_lag{group="x", partiton="1"}', series) == [
        "vori_kafka_consumer_lag has no label partiton"
    ]
    assert problems_of("sum by (model) (vori_transcriber_streams_open)", series) == [
        "grouping by model, which none of ['vori_transcriber_streams_open'] has"
    ]
    with pytest.raises(ValueError, match="unclosed left parenthesis"):
        parse("histogram_quantile(0.95, sum by (le) (vori_http_request_duration_seconds_bucket)")


def test_the_scrape_check_wants_each_service_metric_from_its_own_service() -> None:
    # What test_vori_up checks on the real endpoints, here on the code's registries.
    series = exported_series()
    everything = dict.fromkeys(
        ("gateway", "stream-ingest", "kanban", "transcriber", "summarizer"), series
    )
    assert unexported_by_endpoints(everything) == []
    without_transcriber = {**everything, "transcriber": {}}
    missing = unexported_by_endpoints(without_transcriber)
    assert missing
    assert all("on the transcriber endpoint" in line for line in missing)
    assert any("vori_transcriber_final_latency_seconds_bucket" in line for line in missing)


def test_grafana_provisions_the_dashboards_against_the_provisioned_datasource() -> None:
    [datasource] = read_yaml(GRAFANA / "datasources" / "prometheus.yml")["datasources"]
    [provider] = read_yaml(GRAFANA / "dashboards" / "vori.yml")["providers"]
    compose = load_compose(OPERATOR_ENV)
    assert (
        "./infra/grafana/provisioning:/etc/grafana/provisioning:ro"
        in (compose["services"]["grafana"]["volumes"])
    )
    assert provider["type"] == "file"
    in_container = Path(provider["options"]["path"])
    assert in_container.relative_to("/etc/grafana/provisioning") == Path("dashboards/json")
    titles = {json.loads(path.read_text())["uid"]: path for path in DASHBOARDS}
    assert {"vori-overview", "vori-transcriber", "vori-live"} <= set(titles)
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        assert board["panels"], path.name
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids are unique"
        for panel in board["panels"]:
            position = panel["gridPos"]
            assert position["x"] + position["w"] <= 24, f"{path.name}: {panel['title']}"
            if panel["type"] == "row":
                continue
            assert panel["targets"], f"{path.name}: {panel['title']} has no query"
            refs = [panel["datasource"]] + [target["datasource"] for target in panel["targets"]]
            for ref in refs:
                assert ref == {"type": "prometheus", "uid": datasource["uid"]}, panel["title"]


def test_the_overview_shows_what_the_issue_asks_for() -> None:
    board = json.loads((GRAFANA / "dashboards" / "json" / "overview.json").read_text())
    text = " ".join(t["expr"] for p in board["panels"] for t in p.get("targets", []))
    for needle in (
        "up{",
        "vori_http_requests_total",
        "vori_http_request_duration_seconds_bucket",
        'status=~"5.."',
        "vori_ingest_open_streams",
        "histogram_quantile(0.5, sum by (le) (rate(vori_transcriber_final_latency_seconds_bucket",
        "histogram_quantile(0.95, sum by (le) (rate(vori_transcriber_final_latency_seconds",
        "vori_transcriber_real_time_factor_bucket",
        "vori_kafka_consumer_lag",
        "vori_summarizer_summaries_total",
        "vori_summarizer_llm_fallbacks_total",
    ):
        assert needle in text, needle


# -- the HTTP middleware on a real ASGI app --------------------------------------------


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _app(*inner: Middleware) -> Starlette:
    """A small app behind the metrics middleware (outermost) and `inner` middleware."""

    async def item(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def broken(_request: Any) -> PlainTextResponse:
        raise RuntimeError("boom")

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return Starlette(
        routes=[
            Route("/items/{item_id}", item),
            Route("/broken", broken),
            WebSocketRoute("/ws/{room}", echo),
        ],
        middleware=[Middleware(vori.metrics.MetricsMiddleware), *inner],
    )


def test_requests_are_counted_by_route_template_not_raw_path() -> None:
    labels = {"method": "GET", "route": "/items/{item_id}", "status": "200"}
    before = _sample("vori_http_requests_total", labels)
    timed = {"method": "GET", "route": "/items/{item_id}"}
    timed_before = _sample("vori_http_request_duration_seconds_count", timed)
    with TestClient(_app()) as client:
        for item_id in ("a", "b", "c"):
            assert client.get(f"/items/{item_id}").status_code == 200
        assert client.get("/nowhere/at/all").status_code == 404
        assert client.post("/items/x").status_code == 405
    assert _sample("vori_http_requests_total", labels) == before + 3
    assert _sample("vori_http_request_duration_seconds_count", timed) == timed_before + 3
    assert (
        _sample(
            "vori_http_requests_total", {"method": "GET", "route": "<unmatched>", "status": "404"}
        )
        >= 1
    )
    assert (
        _sample(
            "vori_http_requests_total",
            {"method": "POST", "route": "/items/{item_id}", "status": "405"},
        )
        >= 1
    )
    assert (
        REGISTRY.get_sample_value(
            "vori_http_requests_total", {"method": "GET", "route": "/items/a", "status": "200"}
        )
        is None
    )


def test_an_unhandled_error_counts_as_a_500() -> None:
    labels = {"method": "GET", "route": "/broken", "status": "500"}
    before = _sample("vori_http_requests_total", labels)
    with TestClient(_app(), raise_server_exceptions=False) as client:
        assert client.get("/broken").status_code == 500
    assert _sample("vori_http_requests_total", labels) == before + 1


def test_websocket_connections_are_counted_and_closed_ones_leave_the_gauge() -> None:
    route = {"route": "/ws/{room}"}
    opened = _sample("vori_websocket_connections_total", route)
    with TestClient(_app()) as client, client.websocket_connect("/ws/42") as websocket:
        assert _sample("vori_websocket_connections_open", route) == 1
        websocket.send_text("hello")
        assert websocket.receive_text() == "hello"
    assert _sample("vori_websocket_connections_total", route) == opened + 1
    assert _sample("vori_websocket_connections_open", route) == 0
    assert _sample("vori_websocket_connection_seconds_count", route) >= 1


@pytest.mark.parametrize("service", ["gateway", "kanban", "stream_ingest"])
def test_each_http_service_answers_at_exactly_the_scraped_path(
    service: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env; the gateway's web app is not built here
    module = __import__(f"{service}.app", fromlist=["create_app"])
    app = module.create_app(load_settings())
    client = TestClient(app)  # no lifespan: /metrics needs neither Kafka nor PostgreSQL
    answer = client.get("/metrics", follow_redirects=False)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE vori_http_requests_total counter" in answer.text
    assert "vori_kafka_consumer_lag" in answer.text


def test_a_request_refused_before_routing_still_gets_its_route_template() -> None:
    app = _app(Middleware(BodyLimitMiddleware, max_bytes=1024))
    labels = {"method": "POST", "route": "/items/{item_id}", "status": "413"}
    before = _sample("vori_http_requests_total", labels)
    with TestClient(app) as client:
        assert client.post("/items/7", content=b"x" * 4096).status_code == 413
    assert _sample("vori_http_requests_total", labels) == before + 1


def test_vori_up_names_a_taken_summarizer_metrics_port_before_starting() -> None:
    import socket

    from vori.cli.up import _busy_ports

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = load_settings(summarizer={"metrics_port": port})
        assert ("summarizer metrics", port) in _busy_ports(settings)
    assert ("summarizer metrics", port) not in _busy_ports(settings)
