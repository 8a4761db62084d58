"""What the brokers are configured with, read through the admin API (DescribeConfigs).

A client that depends on a broker limit asks for it instead of assuming Kafka's default:
the transcriber sizes its commit metadata by `offset.metadata.max.bytes`. Every broker
of the cluster is asked and the smallest value counts (any of them may become the group
coordinator). Where the answer cannot be had (no DESCRIBE_CONFIGS permission on the
cluster, as on some managed services, or no broker answering in time), the caller's
fallback is used and the reason logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

from vori.kafka.topics import admin_client
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerLimit:
    """An integer broker setting and where its value came from."""

    name: str
    value: int
    source: str  # "broker" (the smallest of all brokers' values) or "fallback: <why>"

    @property
    def from_broker(self) -> bool:
        return self.source == "broker"


def broker_int_config(
    kafka: KafkaSettings, name: str, fallback: int, timeout_s: float = 10.0
) -> BrokerLimit:
    """The smallest value of an integer config over the cluster's brokers, else `fallback`."""
    try:
        admin = admin_client(kafka)
        brokers = sorted(admin.list_topics(timeout=timeout_s).brokers)
        if not brokers:
            return _fallback(name, fallback, "the cluster lists no broker")
        resources = [ConfigResource(ResourceType.BROKER, str(b)) for b in brokers]
        values: list[int] = []
        for future in admin.describe_configs(resources, request_timeout=timeout_s).values():
            entry = future.result(timeout=timeout_s).get(name)
            if entry is None or entry.value is None:
                return _fallback(name, fallback, "a broker does not report it")
            values.append(int(entry.value))
    except (KafkaException, ValueError, TimeoutError) as exc:
        return _fallback(name, fallback, f"{type(exc).__name__}: {exc}")
    return BrokerLimit(name, min(values), "broker")


def _fallback(name: str, fallback: int, why: str) -> BrokerLimit:
    log.warning("could not read the brokers' %s (%s): assuming %d", name, why, fallback)
    return BrokerLimit(name, fallback, f"fallback: {why}")
