"""The PromQL of vori's alert rules and Grafana dashboards, and what the services export.

Expressions are parsed by a real PromQL parser (`promql-parser`); the metric and label
names they use are checked against series names derived from Prometheus metric families,
whether those come from a registry in this process or from a scraped /metrics page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import promql_parser
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "infra" / "prometheus"
GRAFANA = REPO / "infra" / "grafana" / "provisioning"
DASHBOARDS = sorted((GRAFANA / "dashboards" / "json").glob("*.json"))
# Labels Prometheus attaches to every scraped series.
TARGET_LABELS = frozenset({"job", "instance"})
# Grafana's interval variables, replaced by durations so that the parser accepts them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}

Series = dict[str, set[str]]  # series name -> the labels it carries


# -- the files -------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_rules() -> list[dict[str, Any]]:
    groups = read_yaml(PROMETHEUS / "alerts.yml")["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, PromQL) of every panel target and query variable."""
    queries: list[tuple[str, str, str]] = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                queries.append((path.name, panel["title"], target["expr"]))
        for variable in board.get("templating", {}).get("list", []):
            query = variable["query"]["query"]
            values = re.fullmatch(r"label_values\((?P<expr>.+), (?P<label>\w+)\)", query)
            assert values, f"{path.name}: variable {variable['name']} is not label_values()"
            queries.append((path.name, f"${variable['name']}", values.group("expr")))
    return queries


def all_queries() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert rule and dashboard query."""
    found = [(f"alert {rule['alert']}", str(rule["expr"])) for rule in alert_rules()]
    found += [(f"{board} / {title}", expr) for board, title, expr in dashboard_queries()]
    return found


# -- PromQL ----------------------------------------------------------------------------


def parse(expr: str) -> Any:
    """The expression's syntax tree; ValueError on a syntax or type error."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    expr = expr.replace('"$instance"', '".*"')  # the transcriber dashboard's variable
    return promql_parser.parse(expr)


def _children(node: Any) -> Iterator[Any]:
    for attribute in ("lhs", "rhs", "expr", "vector_selector", "param"):
        child = getattr(node, attribute, None)
        if child is not None:
            yield child
    yield from getattr(node, "args", None) or []


def selectors(node: Any) -> Iterator[Any]:
    """Every vector selector (`name{matchers}`) in a syntax tree."""
    if isinstance(node, promql_parser.VectorSelector):
        yield node
        return
    for child in _children(node):
        yield from selectors(child)


def aggregations(node: Any) -> Iterator[Any]:
    """Every aggregation (`sum by (...) (...)`) in a syntax tree."""
    if isinstance(node, promql_parser.AggregateExpr):
        yield node
    for child in _children(node):
        yield from aggregations(child)


def metric_names(expr: str) -> set[str]:
    return {selector.name for selector in selectors(parse(expr))}


def problems_of(expr: str, series: Series) -> list[str]:
    """What this expression names that the services do not export: metrics, labels."""
    tree = parse(expr)
    found: list[str] = []
    for selector in selectors(tree):
        name = selector.name
        if name == "up":  # Prometheus's own series for each target
            labels: set[str] = set(TARGET_LABELS)
        elif name not in series:
            found.append(f"metric {name} is exported by no service")
            continue
        else:
            labels = series[name] | TARGET_LABELS
        for matcher in selector.matchers.matchers:
            if matcher.name not in labels | {"__name__"}:
                found.append(f"{name} has no label {matcher.name}")
    for aggregation in aggregations(tree):
        if aggregation.modifier is None:
            continue
        inside = {s.name for s in selectors(aggregation.expr)}
        available = set(TARGET_LABELS)
        for name in inside:
            available |= series.get(name, set())
        for label in aggregation.modifier.labels:
            if label not in available:
                found.append(f"grouping by {label}, which none of {sorted(inside)} has")
    return found


# -- what is exported ------------------------------------------------------------------


def _series_names(family: str, kind: str) -> list[str]:
    if kind == "counter":
        return [family + "_total"]
    if kind == "histogram":
        return [family + "_bucket", family + "_count", family + "_sum"]
    if kind == "summary":
        return [family + "_count", family + "_sum"]
    return [family]


def _add(series: Series, family: Any, labels: Iterable[str]) -> None:
    for name in _series_names(family.name, family.type):
        series.setdefault(name, set()).update(labels)
        if name.endswith("_bucket"):
            series[name].add("le")
    for sample in family.samples:
        series.setdefault(sample.name, set()).update(sample.labels)


def registry_series(registry: CollectorRegistry) -> Series:
    """Every series a registry can export, including labelled metrics never used yet."""
    series: Series = {}
    for collector in list(registry._collector_to_names):
        # A labelled metric without children has no samples: its label names are only on
        # the collector.
        labels = tuple(getattr(collector, "_labelnames", ()))
        for family in collector.collect():
            _add(series, family, labels)
    return series


def exposition_series(text: str) -> Series:
    """Every series a scraped /metrics page declares (a `# TYPE` line is enough)."""
    series: Series = {}
    for family in text_string_to_metric_families(text):
        _add(series, family, ())
    return series


# Which service's endpoint must export a metric, by its name's prefix.
OWNER_PREFIXES = {
    "vori_gateway_": "gateway",
    "vori_ingest_": "stream-ingest",
    "vori_kanban_": "kanban",
    "vori_transcriber_": "transcriber",
    "vori_summarizer_": "summarizer",
}


def unexported_by_endpoints(scraped: dict[str, Series]) -> list[str]:
    """Metrics that alerts and dashboards name but the scraped endpoints (service name ->
    its series) do not export; a service's own metrics must come from that service."""
    missing: list[str] = []
    everything: set[str] = set().union(*(set(series) for series in scraped.values()))
    for where, expr in all_queries():
        for name in sorted(metric_names(expr) - {"up"}):
            owner = next((s for p, s in OWNER_PREFIXES.items() if name.startswith(p)), None)
            exported = scraped.get(owner, {}) if owner else everything
            if name not in exported:
                endpoint = f"the {owner} endpoint" if owner else "any endpoint"
                missing.append(f"{where}: {name} is not on {endpoint}")
    return missing
