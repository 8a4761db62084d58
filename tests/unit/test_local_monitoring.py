"""`vori up --monitoring`: the local Prometheus's configuration, from the settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from vori.local.monitoring import ALERT_RULES, prometheus_config, write_prometheus_config
from vori.services import SERVICES
from vori.settings import load_settings


def _targets(config: dict[str, object]) -> dict[str, str]:
    jobs = config["scrape_configs"]
    assert isinstance(jobs, list)
    return {job["job_name"]: job["static_configs"][0]["targets"][0] for job in jobs}


def test_every_service_with_metrics_is_scraped_where_its_settings_put_it() -> None:
    settings = load_settings(gateway={"port": 18000}, summarizer={"metrics_port": 0})
    config = prometheus_config(settings, list(SERVICES.values()))
    targets = _targets(config)
    assert targets["gateway"] == f"{settings.host}:18000", "a changed port is followed"
    assert targets["transcriber"] == f"{settings.host}:{settings.transcriber.metrics_port}"
    assert "summarizer" not in targets, "a metrics port of 0 is off"
    assert "analytics-live" not in targets, "a service without metrics has no job"
    assert config["rule_files"] == [str(ALERT_RULES)]
    # The alert rules select services by job name: every job they name is one of ours.
    rules = yaml.safe_load(ALERT_RULES.read_text())
    named = {
        job
        for group in rules["groups"]
        for rule in group["rules"]
        for job in SERVICES
        if f'job="{job}"' in rule["expr"]
    }
    assert named <= set(targets) | {"summarizer"}


def test_promtool_accepts_the_written_configuration(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "Debian's prometheus package (installed by .ci/run)"
    path = write_prometheus_config(load_settings(), list(SERVICES.values()), tmp_path)
    checked = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
