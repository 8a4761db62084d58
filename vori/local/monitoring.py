"""`vori up --monitoring`: a local Prometheus over the stack's own metrics endpoints.

The scrape targets come from the services' settings (`Service.metrics_url`), so changed
ports are followed; the alert rules are the deployment's (infra/prometheus/alerts.yml)
when run from a checkout. Prometheus itself is Debian's `prometheus` package where
installed: `vori up` starts it beside the services and stops it with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from vori.services import Service
from vori.settings import Settings

ALERT_RULES = Path(__file__).resolve().parents[2] / "infra" / "prometheus" / "alerts.yml"


def prometheus_config(
    settings: Settings, services: list[Service], alert_rules: Path | None = ALERT_RULES
) -> dict[str, Any]:
    """One scrape job per running service that exports metrics, named as the service (the
    alert rules and dashboards select by these job names)."""
    jobs = []
    for service in services:
        if service.metrics_url is None:
            continue
        url = urlsplit(service.metrics_url(settings))
        if not url.port:  # a metrics port of 0 switches the endpoint off
            continue
        jobs.append(
            {
                "job_name": service.name,
                "metrics_path": url.path,
                "static_configs": [{"targets": [url.netloc]}],
            }
        )
    config: dict[str, Any] = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "scrape_configs": jobs,
    }
    if alert_rules is not None and alert_rules.is_file():
        config["rule_files"] = [str(alert_rules)]
    return config


def write_prometheus_config(settings: Settings, services: list[Service], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prometheus.yml"
    path.write_text(yaml.safe_dump(prometheus_config(settings, services), sort_keys=False))
    return path


def prometheus_command(binary: str, config: Path, data: Path, host: str, port: int) -> list[str]:
    return [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address={host}:{port}",
    ]
