"""Re-transcription's pure parts: which old segments a job replaces, and a meeting's archived
streams read back from the object store in order, gaps as silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gateway.live_events import TRANSCRIPT_REPLACED, live_events_for
from transcriber.archive_audio import ArchiveError, archived_chunks, decode_stream, job_streams
from vori.events import (
    ArchivedStream,
    MeetingEvent,
    RetranscriptionRequested,
    of_job,
    original_stream,
    replaced_by_job,
    retranscription_stream_id,
)
from vori.objectstore import LocalObjectStore
from vori.recordings import chunk_key, encode_flac


def test_a_job_replaces_live_and_other_jobs_segments_of_its_streams_only() -> None:
    live = "m1:u1:mic"
    ours = retranscription_stream_id("job2", live)
    earlier = retranscription_stream_id("job1", live)
    assert original_stream(ours) == ("job2", live)
    assert original_stream(live) == (None, live)
    assert replaced_by_job(live, "job2", [live])
    assert replaced_by_job(earlier, "job2", [live])
    assert not replaced_by_job(ours, "job2", [live])
    assert not replaced_by_job("upload:up1:ch0", "job2", [live])
    assert not replaced_by_job("m1:u2:mic", "job2", [live])
    assert of_job(ours, "job2")  # a failed job2 takes back what it sent, nothing else
    assert not of_job(earlier, "job2")
    assert not of_job(live, "job2")
    assert not of_job("upload:job2:ch0", "job2")


def _pcm(samples: np.ndarray) -> bytes:
    return samples.astype("<i2").tobytes()


def test_archived_streams_decode_in_order_with_gaps_as_silence(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    rng = np.random.default_rng(7)
    first, third = rng.integers(-3000, 3000, 1600), rng.integers(-3000, 3000, 800)
    store.put(chunk_key("m1", "m1:u1:mic", 3200), encode_flac(_pcm(third)), "audio/flac")
    store.put(chunk_key("m1", "m1:u1:mic", 0), encode_flac(_pcm(first)), "audio/flac")
    store.put(chunk_key("m1", "m1:u2:mic", 0), encode_flac(_pcm(first)), "audio/flac")
    store.put(chunk_key("m2", "m2:u1:mic", 0), encode_flac(_pcm(first)), "audio/flac")

    chunks = archived_chunks(store, "m1")
    assert list(chunks) == ["m1:u1:mic", "m1:u2:mic"]
    audio = decode_stream(store, "m1:u1:mic", chunks["m1:u1:mic"], tmp_path / "a.pcm", 10**6)
    samples = np.asarray(audio.read())
    assert audio.samples == 4000
    assert np.array_equal(samples[:1600], first)
    assert not samples[1600:3200].any()  # the missing chunk is silence, in place
    assert np.array_equal(samples[3200:], third)

    with pytest.raises(ArchiveError, match="longer"):
        decode_stream(store, "m1:u1:mic", chunks["m1:u1:mic"], tmp_path / "b.pcm", 3000)


def test_job_streams_name_the_job_and_keep_the_speakers(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    store.put(chunk_key("m1", "m1:u1:mic", 0), encode_flac(_pcm(np.ones(800))), "audio/flac")
    job = RetranscriptionRequested(
        job_id="job1",
        meeting_id="m1",
        model="base",
        streams=[ArchivedStream(stream_id="m1:u1:mic", participant_id="u1", speaker="Ann")],
        requested_by="u1",
    )
    ((stream, samples),) = job_streams(store, job, tmp_path, 10**6)
    assert stream.stream_id == "retx:job1:m1:u1:mic"
    assert (stream.speaker, stream.participant_id) == ("Ann", "u1")
    assert len(samples) == 800

    empty = job.model_copy(update={"meeting_id": "m9"})
    with pytest.raises(ArchiveError, match="no archived audio"):
        job_streams(store, empty, tmp_path, 10**6)


def test_the_replacement_reaches_live_clients_once_per_job() -> None:
    event = MeetingEvent(
        type="transcript_replaced",
        meeting_id="m1",
        upload_id="job1",
        replaced_streams=["m1:u1:mic"],
    )
    (live,) = live_events_for(event)
    assert live.type == TRANSCRIPT_REPLACED
    assert live.payload == {"job_id": "job1", "replaced_streams": ["m1:u1:mic"]}
    assert live.dedup_key == "replaced:job1"  # durable, and a replay is numbered once
    assert live_events_for(event.model_copy(update={"upload_id": None})) == []
