"""Topic creation against the real broker, with partition counts from settings."""

from __future__ import annotations

from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

from vori.events import TOPICS, dead_letter_topic
from vori.kafka.topics import admin_client, ensure_topics, retention_ms
from vori.settings import Settings


def test_every_topic_and_its_dead_letter_topic_exist_with_configured_partitions(
    settings: Settings,
) -> None:
    assert ensure_topics(settings.kafka) == []  # the fixture created them; a rerun creates none
    metadata = admin_client(settings.kafka).list_topics(timeout=10).topics
    for topic in TOPICS:
        expected = settings.kafka.partitions.get(topic, settings.kafka.default_partitions)
        assert len(metadata[topic].partitions) == expected, topic
        assert dead_letter_topic(topic) in metadata
    assert len(metadata["audio.frames"].partitions) == 4


def test_every_topic_has_the_retention_of_the_settings_not_the_brokers(settings: Settings) -> None:
    """Created topics carry retention.ms; a changed setting is applied to existing topics."""
    admin = admin_client(settings.kafka)
    names = [name for topic in TOPICS for name in (topic, dead_letter_topic(topic))]

    def retention() -> dict[str, str]:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in names]
        found = admin.describe_configs(resources, request_timeout=10)
        return {r.name: f.result(timeout=10)["retention.ms"].value for r, f in found.items()}

    ensure_topics(settings.kafka)
    assert retention() == {name: str(retention_ms(settings.kafka, name)) for name in names}
    changed = settings.kafka.model_copy(
        update={"retention_ms": {**settings.kafka.retention_ms, "audio.frames": 86_400_000}}
    )
    try:
        ensure_topics(changed)
        assert retention()["audio.frames"] == "86400000"
    finally:
        ensure_topics(settings.kafka)
    assert retention()["audio.frames"] == str(retention_ms(settings.kafka, "audio.frames"))
