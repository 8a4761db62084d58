"""How full a partition's commit metadata is, and what the transcriber does near and past it."""

from __future__ import annotations

import base64
import json
import random
import zlib
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from stream_ingest.admission import Admission
from transcriber.offsets import (
    KAFKA_DEFAULT_METADATA_MAX_BYTES,
    MetadataTooLargeError,
    decode_checkpoints,
    encode_metadata,
    metadata_budget,
    plan_commit,
    publishable,
)
from transcriber.overload import Level, OverloadPolicy
from transcriber.segmenter import Checkpoint
from transcriber.stream import StreamCheckpoint
from vori.events import TranscriberLoad
from vori.kafka.transactions import offset_calls
from vori.local.kafka_broker import OFFSET_METADATA_MAX_BYTES
from vori.settings import OverloadSettings


@pytest.fixture(scope="module")
def contexts(speech_dir: Path) -> list[str]:
    """The last 200 characters of real English transcripts, as prompt contexts are."""
    texts = [
        json.loads(line)["text"]
        for manifest in sorted((speech_dir / "en").glob("*/manifest.jsonl"))
        for line in manifest.read_text().splitlines()
    ]
    rng = random.Random(7)
    out = []
    for _ in range(400):
        text = ""
        while len(text) < 200:
            text += " " + rng.choice(texts)
        out.append(text[-200:])
    return out


def streams(count: int, contexts: list[str]) -> dict[str, StreamCheckpoint]:
    rng = random.Random(count)
    return {
        f"mtg_{rng.getrandbits(80):020x}:usr_{rng.getrandbits(80):020x}:mic": StreamCheckpoint(
            Checkpoint(rng.randrange(10**8), None),
            contexts[i % len(contexts)],
            last_seen_ms=1_796_000_000_000,
        )
        for i in range(count)
    }


def test_the_budget_is_the_broker_limit_less_the_nul_and_never_past_the_protocol() -> None:
    assert metadata_budget(KAFKA_DEFAULT_METADATA_MAX_BYTES) == 4095
    assert metadata_budget(OFFSET_METADATA_MAX_BYTES) == 32766
    assert metadata_budget(1_048_576) == 32766  # a string field carries 0x7fff bytes at most


def test_fill_is_the_share_of_the_limit_whole_contexts_need(contexts: list[str]) -> None:
    few = encode_metadata(streams(10, contexts), max_bytes=32766)
    assert few.full_bytes == len(few.text)  # nothing was cut
    assert 0 < few.fill == len(few.text) / 32766 < 0.1
    more = encode_metadata(streams(100, contexts), max_bytes=32766)
    assert few.fill < more.fill < 1
    # Past the point where whole contexts fit, contexts are cut and fill says by how much.
    cut = encode_metadata(streams(60, contexts), max_bytes=4095)
    assert len(cut.text) <= 4095 < cut.full_bytes
    assert cut.fill > 1
    restored = decode_checkpoints(cut.text)
    assert len(restored) == 60
    assert max(len(cp.context) for cp in restored.values()) < 200


def test_two_hundred_streams_keep_their_contexts_under_vori_brokers_limit(
    contexts: list[str],
) -> None:
    checkpoints = streams(200, contexts)
    encoded = encode_metadata(checkpoints, metadata_budget(OFFSET_METADATA_MAX_BYTES))
    assert encoded.fill < 1
    assert decode_checkpoints(encoded.text) == checkpoints
    with pytest.raises(MetadataTooLargeError):
        encode_metadata(checkpoints, metadata_budget(KAFKA_DEFAULT_METADATA_MAX_BYTES))


def test_past_the_limit_the_partition_is_held_not_raised(contexts: list[str]) -> None:
    fits = plan_commit(120, streams(20, contexts), 4095)
    assert not fits.held
    assert fits.offset == 120
    assert fits.metadata is not None
    assert fits.streams == 20
    too_many = plan_commit(130, streams(300, contexts), 4095)
    assert too_many.held
    assert too_many.metadata is None
    assert too_many.fill > 1
    assert too_many.streams == 300


def test_a_held_partitions_finals_wait_in_order_and_the_others_go_out() -> None:
    outbox = [(0, "a1"), (1, "b1"), (0, "a2"), (2, "c1"), (1, "b2")]
    now, kept = publishable(outbox, {1})
    assert now == ["a1", "a2", "c1"]
    assert kept == [(1, "b1"), (1, "b2")]
    now, kept = publishable(kept, set())  # released: they go out, in their order
    assert now == ["b1", "b2"]
    assert kept == []


def test_offsets_are_cut_into_calls_that_fit_one_offsets_record_batch() -> None:
    offsets = [TopicPartition("audio.frames", p, 0, metadata="x" * 32766) for p in range(40)]
    calls = offset_calls(offsets, 512 * 1024)
    assert [len(c) for c in calls] == [16, 16, 8]
    assert [tp.partition for c in calls for tp in c] == list(range(40))
    assert offset_calls([], 512 * 1024) == []
    small = [TopicPartition("audio.frames", p, 5) for p in range(3)]  # no metadata
    assert offset_calls(small, 512 * 1024) == [small]


def test_a_full_partition_closes_admission_until_it_drains_below_nine_tenths() -> None:
    policy = OverloadPolicy(OverloadSettings(refuse_metadata_fill=0.8))
    assert not policy.update([], metadata_fill=0.5).over_capacity
    full = policy.update([], metadata_fill=0.82)
    assert full.over_capacity
    assert full.metadata_full
    assert full.reported == Level.OVER_CAPACITY
    assert full.changed
    assert full.level == Level.NORMAL  # no lag: partials and finals as usual
    held = policy.update([], metadata_fill=0.75)  # above 0.72: still closed
    assert held.over_capacity
    assert not held.changed
    opened = policy.update([], metadata_fill=0.7)
    assert not opened.over_capacity
    assert opened.changed


def test_ingest_refuses_with_the_transcribers_reason() -> None:
    admission = Admission(ttl_s=10)
    reason = "the commit metadata of audio.frames partition 3 is 84% full with 190 streams"
    admission.observe(
        TranscriberLoad(
            instance="t1", level="over_capacity", lag_s=0.0, over_capacity=True, reason=reason
        ),
        now=100.0,
    )
    refusal = admission.refusal(100.5)
    assert refusal is not None
    assert reason in refusal
    assert "0 s behind" not in refusal


def test_which_finals_went_out_travels_with_the_checkpoint_and_old_commits_still_read() -> None:
    checkpoints = {
        "m:a:mic": StreamCheckpoint(Checkpoint(48000, 32000), "so", published_to=40000),
        "m:b:mic": StreamCheckpoint(Checkpoint(9600), "", ended=True, last_seen_ms=5),
    }
    assert decode_checkpoints(encode_metadata(checkpoints).text) == checkpoints
    # Written by a transcriber before version 2: no published_to.
    raw = {"v": 1, "s": {"m:a:mic": [48000, 32000, "so", 0, 7]}}
    old = base64.b64encode(zlib.compress(json.dumps(raw).encode())).decode()
    assert decode_checkpoints(old) == {
        "m:a:mic": StreamCheckpoint(Checkpoint(48000, 32000), "so", last_seen_ms=7)
    }
