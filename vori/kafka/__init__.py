"""Kafka plumbing shared by every service: one producer factory, one consumer loop, topics."""

from vori.kafka.consumer import ConsumerLoop, MessageContext, PoisonMessageError
from vori.kafka.producer import EventProducer, create_producer
from vori.kafka.topics import ensure_topics, wait_for_kafka

__all__ = [
    "ConsumerLoop",
    "EventProducer",
    "MessageContext",
    "PoisonMessageError",
    "create_producer",
    "ensure_topics",
    "wait_for_kafka",
]
