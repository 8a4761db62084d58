"""Local engine launchers: clear one-line errors when Java or Maven is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from vori.local.kafka_broker import KafkaBroker, MissingToolError, base64_uuid, resolve_classpath
from vori.settings import KafkaSettings


def test_missing_maven_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(MissingToolError, match=r"^mvn not found: install Maven"):
        resolve_classpath(tmp_path / "jars")


def test_missing_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    broker = KafkaBroker(tmp_path / "kafka", port=1, controller_port=2)
    with pytest.raises(MissingToolError, match=r"^java not found: install Java 17"):
        broker._java("cp", "kafka.Kafka")


def test_broker_settings_come_from_the_bootstrap_address(tmp_path: Path) -> None:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:29092", controller_port=29093)
    broker = KafkaBroker.from_settings(kafka, tmp_path)
    assert (broker.host, broker.port, broker.controller_port) == ("127.0.0.1", 29092, 29093)
    config = broker._write_config().read_text()
    assert "listeners=PLAINTEXT://127.0.0.1:29092,CONTROLLER://127.0.0.1:29093" in config
    assert "auto.create.topics.enable=false" in config


def test_cluster_ids_are_kafka_style_and_never_look_like_options() -> None:
    for _ in range(1000):
        cluster_id = base64_uuid()
        assert len(cluster_id) == 22
        assert "=" not in cluster_id
        assert not cluster_id.startswith("-")
