"""Topic creation with partition counts from settings, and waiting for a broker."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from vori.events import TOPICS, dead_letter_topic
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)


class KafkaUnavailableError(RuntimeError):
    """The broker did not answer in time."""


# Connection-refused chatter while a broker starts is expected; keep it out of the console.
_quiet = logging.getLogger("vori.librdkafka.probe")
_quiet.setLevel(logging.CRITICAL)


def admin_client(kafka: KafkaSettings, *, quiet: bool = False) -> AdminClient:
    return AdminClient(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "client.id": f"{kafka.client_id}-admin",
            "logger": _quiet if quiet else logging.getLogger("vori.librdkafka"),  # type: ignore[dict-item]
        }
    )


def wait_for_kafka(kafka: KafkaSettings, timeout_s: float = 60.0) -> None:
    """Block until the broker answers a metadata request, or raise KafkaUnavailableError."""
    admin = admin_client(kafka, quiet=True)

    @retry(
        retry=retry_if_exception_type(KafkaException),
        wait=wait_exponential(multiplier=0.1, max=1.0),
        stop=stop_after_delay(timeout_s),
        reraise=True,
    )
    def probe() -> None:
        admin.list_topics(timeout=2)

    try:
        probe()
    except KafkaException as exc:
        raise KafkaUnavailableError(
            f"Kafka at {kafka.bootstrap_servers} did not answer within {timeout_s:.0f} s: {exc}"
        ) from exc


def wanted_topics(kafka: KafkaSettings) -> dict[str, int]:
    """Every topic vori uses (and its dead-letter topic) with its partition count."""
    wanted: dict[str, int] = {}
    for topic in TOPICS:
        partitions = kafka.partitions.get(topic, kafka.default_partitions)
        wanted[topic] = partitions
        wanted[dead_letter_topic(topic)] = 1
    return wanted


def retention_ms(kafka: KafkaSettings, topic: str) -> int:
    """The retention.ms vori gives a topic (never the broker's default)."""
    return kafka.retention_ms.get(topic, kafka.default_retention_ms)


def ensure_topics(kafka: KafkaSettings, timeout_s: float = 30.0) -> list[str]:
    """Create the topics that do not exist yet, each with its retention, and set the
    retention of existing ones where it differs; returns the names created."""
    admin = admin_client(kafka)
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    wanted = wanted_topics(kafka)
    _align_retention(admin, [name for name in wanted if name in existing], kafka, timeout_s)
    missing = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=kafka.replication_factor,
            config={"retention.ms": str(retention_ms(kafka, name))},
        )
        for name, partitions in wanted.items()
        if name not in existing
    ]
    if not missing:
        return []
    created: list[str] = []
    for name, future in admin.create_topics(missing, request_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
            created.append(name)
        except KafkaException as exc:
            if exc.args and exc.args[0].code() == exc.args[0].TOPIC_ALREADY_EXISTS:
                continue  # another process created it first
            raise
    log.info("created topics: %s", ", ".join(sorted(created)))
    return created


def _align_retention(
    admin: AdminClient, topics: list[str], kafka: KafkaSettings, timeout_s: float
) -> None:
    """Set retention.ms of existing topics whose value differs from the settings."""
    if not topics:
        return
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in topics]
    changes: list[ConfigResource] = []
    for resource, future in admin.describe_configs(resources, request_timeout=timeout_s).items():
        current = future.result(timeout=timeout_s).get("retention.ms")
        wanted = str(retention_ms(kafka, resource.name))
        if current is None or current.value != wanted:
            entry = ConfigEntry("retention.ms", wanted, incremental_operation=AlterConfigOpType.SET)
            changes.append(
                ConfigResource(ResourceType.TOPIC, resource.name, incremental_configs=[entry])
            )
    if not changes:
        return
    for resource, future in admin.incremental_alter_configs(
        changes, request_timeout=timeout_s
    ).items():
        future.result(timeout=timeout_s)
        log.info("set retention.ms of %s to %s", resource.name, retention_ms(kafka, resource.name))
