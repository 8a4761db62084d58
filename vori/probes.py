"""Reachability probes of Kafka and PostgreSQL, shared by every service's /readyz."""

from __future__ import annotations

from confluent_kafka import KafkaException
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from vori.kafka.topics import admin_client
from vori.settings import KafkaSettings


def kafka_reachable(kafka: KafkaSettings, timeout_s: float = 2.0) -> bool:
    """Whether the broker answers a metadata request in time."""
    try:
        admin_client(kafka, quiet=True).list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return True


def database_reachable(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True
