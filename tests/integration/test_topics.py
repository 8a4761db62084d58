"""Topic creation against the real broker, with partition counts from settings."""

from __future__ import annotations

from vori.events import TOPICS, dead_letter_topic
from vori.kafka.topics import admin_client, ensure_topics
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
