"""After an ingest process died holding a stream, find how much of it Kafka really has.

The database row lags Kafka by at most one flush interval; the frames delivered in that
gap lie in the stream's partition after the recorded offset. Reading them back gives the
true durable position, so the resumed client neither re-sends audio twice nor skips any.
"""

from __future__ import annotations

import json
import logging
import time
import zlib

from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition

from stream_ingest.ledger import DurableMark
from vori.events import AUDIO_FRAMES, META_HEADER
from vori.settings import KafkaSettings

log = logging.getLogger(__name__)

# Frames produced after the row was last written carry a later timestamp; the margin
# covers clock differences between ingest hosts.
CLOCK_MARGIN_S = 60.0


def partition_for(stream_id: str, partitions: int) -> int:
    """The partition librdkafka's default partitioner (consistent_random: CRC32) picks."""
    return zlib.crc32(stream_id.encode()) % partitions


def recover_mark(
    kafka: KafkaSettings, stream_id: str, mark: DurableMark, updated_at_epoch: float
) -> DurableMark:
    """The stream's durable mark after reading what Kafka holds beyond `mark`."""
    consumer = Consumer(
        {
            "bootstrap.servers": kafka.bootstrap_servers,
            "group.id": f"{kafka.client_id}-ingest-recovery",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        if mark.partition is not None and mark.offset is not None:
            start = TopicPartition(AUDIO_FRAMES, mark.partition, mark.offset + 1)
        else:
            count = len(
                consumer.list_topics(AUDIO_FRAMES, timeout=10).topics[AUDIO_FRAMES].partitions
            )
            since_ms = int((updated_at_epoch - CLOCK_MARGIN_S) * 1000)
            wanted = TopicPartition(AUDIO_FRAMES, partition_for(stream_id, count), since_ms)
            [start] = consumer.offsets_for_times([wanted], timeout=10)
            if start.offset < 0:  # nothing that recent: the stream never reached Kafka
                start = TopicPartition(AUDIO_FRAMES, wanted.partition, OFFSET_END)
        _low, high = consumer.get_watermark_offsets(start, timeout=10)
        if start.offset == OFFSET_END or start.offset >= high:
            return mark
        consumer.assign([start])
        recovered = _scan(consumer, stream_id.encode(), mark, high)
    finally:
        consumer.close()
    if recovered != mark:
        log.warning("stream %s: recovered %s from Kafka (row had %s)", stream_id, recovered, mark)
    return recovered


def _scan(consumer: Consumer, key: bytes, mark: DurableMark, high: int) -> DurableMark:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        error = message.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                return mark
            raise KafkaException(error)
        offset = message.offset() or 0
        if message.key() == key:
            meta = dict(message.headers() or []).get(META_HEADER)
            if meta is not None:
                fields = json.loads(meta)
                samples = len(message.value() or b"") // 2
                mark = DurableMark(
                    fields["position"] + samples, fields["seq"] + 1, message.partition(), offset
                )
        if offset >= high - 1:
            return mark
    raise TimeoutError(f"reading {key.decode()} back from Kafka took over 60 s")
