"""How many open streams one audio.frames partition can carry in its commit metadata.

    .venv/bin/python -m bench.commit_metadata [--broker]

The transcriber commits every open stream's checkpoint (segmenter position and prompt
context) with its partition's offset (transcriber/offsets.py), within the brokers'
`offset.metadata.max.bytes`, which it reads at start: Kafka's default is 4,096 B, vori's
own brokers (vori/local/kafka_broker.py, docker-compose.yml) allow 32,767 B, the most
the protocol carries. Contexts are shrunk to fit; past a point even empty contexts do
not fit and the partition is held (its offset and finals wait). This fills one
partition's metadata with streams whose ids look like vori's and whose contexts are 200
characters of real speech: English from the AMI meeting transcripts (each stream a
different window), Korean from the ko/naver transcripts (only 50, so they repeat and
compress better than real meetings would), and records, for each limit, how many
streams fit before the transcriber reports over capacity (`REFUSE_METADATA_FILL`, 80 %
of the limit with whole contexts), with whole contexts, and at all. Pure and quick (~1 min).

`--broker` also starts a real local broker (vori's config) and checks the limits with
it: one transaction commits the largest metadata the transcriber writes, on 40
partitions (in calls of at most 512 KiB, vori/kafka/transactions.py); 32,767 characters
are refused; the broker is restarted and the commits read back (~1 min more).
Writes bench/results/commit-metadata.json.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transcriber.offsets import (  # noqa: E402
    KAFKA_DEFAULT_METADATA_MAX_BYTES,
    MetadataTooLargeError,
    encode_metadata,
    metadata_budget,
)
from transcriber.segmenter import Checkpoint  # noqa: E402
from transcriber.stream import StreamCheckpoint  # noqa: E402
from vori.local.kafka_broker import OFFSET_METADATA_MAX_BYTES  # noqa: E402
from vori.settings import OverloadSettings  # noqa: E402

SPEECH = REPO.parent / "shared" / "data" / "speech"
MEETINGS = REPO.parent / "shared" / "data" / "meetings"
CONTEXT_CHARS = 200  # TranscriberSettings.max_context_chars' default
REFUSE_FILL = OverloadSettings().refuse_metadata_fill
MAX_STREAMS = 4000


def _texts(language: str) -> list[str]:
    texts = []
    for manifest in sorted((SPEECH / language).glob("*/manifest.jsonl")):
        for line in manifest.read_text().splitlines():
            texts.append(json.loads(line)["text"])
    return texts


def _meeting_contexts() -> list[str]:
    """Distinct 200-character windows of what one AMI participant said (real meeting talk,
    no window twice, so compression across streams is what real meetings would give)."""
    out: list[str] = []
    for path in sorted((MEETINGS / "ami").glob("*.json")):
        said: dict[str, str] = {}
        for turn in json.loads(path.read_text())["transcript"]:
            said[turn["speaker"]] = said.get(turn["speaker"], "") + " " + turn["text"]
        for text in said.values():
            out += [text[i : i + CONTEXT_CHARS] for i in range(0, len(text) - 200, 1000)]
    return out


def _streams(language: str, seed: int = 1) -> tuple[list[tuple[str, StreamCheckpoint]], str]:
    """MAX_STREAMS stream checkpoints of a language, and where their contexts come from."""
    rng = random.Random(seed)
    if language == "en":
        contexts = _meeting_contexts()
        rng.shuffle(contexts)
        source = f"{len(contexts)} distinct windows of AMI meeting transcripts"
    else:
        pool = _texts(language)
        source = f"{len(pool)} ko/naver transcripts: they repeat past ~50 streams (optimistic)"

        def context() -> str:
            text = ""
            while len(text) < CONTEXT_CHARS:
                text += " " + rng.choice(pool)
            return text[-CONTEXT_CHARS:]

        contexts = [context() for _ in range(MAX_STREAMS)]
    streams = [
        (
            f"mtg_{rng.getrandbits(80):020x}:usr_{rng.getrandbits(80):020x}:mic",
            StreamCheckpoint(
                Checkpoint(rng.randrange(10**8), None),
                contexts[i % len(contexts)],
                last_seen_ms=1_796_000_000_000,
            ),
        )
        for i in range(MAX_STREAMS)
    ]
    return streams, source


def _most(holds: Callable[[int], bool]) -> int:
    """The largest stream count for which `holds` is true (it is, nearly, monotone)."""
    low, high = 0, MAX_STREAMS
    while low < high:
        middle = (low + high + 1) // 2
        if holds(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _limits(streams: list[tuple[str, StreamCheckpoint]], broker_max: int) -> dict[str, int]:
    budget = metadata_budget(broker_max)

    def whole(n: int) -> bool:
        try:
            encoded = encode_metadata(dict(streams[:n]), budget)
        except MetadataTooLargeError:
            return False
        body = json.loads(zlib.decompress(base64.b64decode(encoded.text)))["s"]
        return all(len(entry[2]) == CONTEXT_CHARS for entry in body.values())

    def fits(n: int) -> bool:
        try:
            encode_metadata(dict(streams[:n]), budget)
        except MetadataTooLargeError:
            return False
        return True

    def admitted(n: int) -> bool:
        try:
            return encode_metadata(dict(streams[:n]), budget).fill < REFUSE_FILL
        except MetadataTooLargeError:
            return False

    return {
        "offset_metadata_max_bytes": broker_max,
        "budget_chars": budget,
        "streams_before_over_capacity": _most(admitted),
        "streams_with_full_context": _most(whole),
        "streams_that_fit": _most(fits),
    }


def _broker_check() -> dict[str, Any]:
    """Commit the largest metadata on 40 partitions in one transaction, restart, read back."""
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

    from tests.helpers.kafka import create_topic
    from tests.helpers.ports import free_port
    from vori.kafka.broker_config import broker_int_config
    from vori.kafka.transactions import OFFSETS_CALL_BYTES, BoundedTransactions
    from vori.local.kafka_broker import KafkaBroker
    from vori.settings import KafkaSettings

    workdir = Path(tempfile.mkdtemp(prefix="vori-metadata-"))
    broker = KafkaBroker(workdir / "kafka", port=free_port(), controller_port=free_port())
    broker.start(timeout_s=120)
    kafka = KafkaSettings(bootstrap_servers=broker.bootstrap_servers)
    out: dict[str, Any] = {}
    try:
        limit = broker_int_config(kafka, "offset.metadata.max.bytes", 4096)
        out["broker_reports"] = {"value": limit.value, "source": limit.source}
        for name in ("message.max.bytes", "offsets.load.buffer.size"):
            other = broker_int_config(kafka, name, -1)
            out[name] = other.value
        partitions, budget = 40, metadata_budget(limit.value)
        create_topic(kafka, "metadata-check", partitions)
        group = f"metadata-check-{uuid.uuid4().hex[:8]}"
        consumer = Consumer(
            {"bootstrap.servers": kafka.bootstrap_servers, "group.id": group}
            | {"enable.auto.commit": False}
        )
        consumer.subscribe(["metadata-check"])
        deadline = time.monotonic() + 60
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.5)
        transactions = BoundedTransactions(kafka, group, call_timeout_s=30)
        transactions.start(60)
        text = ("A" * budget) if budget else ""
        offsets = [TopicPartition("metadata-check", p, 7, metadata=text) for p in range(40)]
        began = time.monotonic()
        committed = transactions.commit([], offsets, consumer.consumer_group_metadata())
        out["transaction"] = {
            "partitions": partitions,
            "metadata_chars_each": budget,
            "calls": -(-partitions * budget // OFFSETS_CALL_BYTES),
            "committed": committed,
            "seconds": round(time.monotonic() - began, 2),
        }
        consumer.close()
        # One character more than the budget: the broker closes the connection (librdkafka
        # then retries for minutes), so it is sent by a plain producer with a short timeout.
        producer = Producer(
            {"bootstrap.servers": kafka.bootstrap_servers, "transactional.id": f"{group}-over"}
        )
        producer.init_transactions(30)
        producer.begin_transaction()
        probe = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group})
        try:
            producer.send_offsets_to_transaction(
                [TopicPartition("metadata-check", 0, 8, metadata="A" * (budget + 1))],
                probe.consumer_group_metadata(),
                10,
            )
            out["one_char_over_budget"] = "accepted"
        except KafkaException as exc:
            out["one_char_over_budget"] = f"refused: {exc.args[0].str()[:120]}"
        probe.close()
        broker.stop()
        broker.start(timeout_s=120)
        reader = Consumer({"bootstrap.servers": kafka.bootstrap_servers, "group.id": group})
        deadline = time.monotonic() + 60
        while True:
            try:
                back = reader.committed(
                    [TopicPartition("metadata-check", p) for p in range(partitions)], timeout=10
                )
                break
            except KafkaException:  # the coordinator is loading the offsets topic
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        reader.close()
        out["after_restart"] = {
            "offsets": sorted({tp.offset for tp in back}),
            "metadata_whole": all((tp.metadata or "") == text for tp in back),
        }
    finally:
        broker.kill()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", action="store_true", help="Also check with a real broker.")
    args = parser.parse_args()
    languages = {language: _streams(language) for language in ("en", "ko")}
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(),
        "context_chars": CONTEXT_CHARS,
        "refuse_metadata_fill": REFUSE_FILL,
        "limits": {
            str(broker_max): {
                language: {"contexts": source, **_limits(streams, broker_max)}
                for language, (streams, source) in languages.items()
            }
            for broker_max in (KAFKA_DEFAULT_METADATA_MAX_BYTES, OFFSET_METADATA_MAX_BYTES)
        },
    }
    if args.broker:
        result["broker"] = _broker_check()
    out = REPO / "bench" / "results" / "commit-metadata.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
