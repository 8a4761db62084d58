"""A meeting's archived streams read back from the object store for re-transcription.

The archiver (stream_ingest.archive) keeps each stream as FLAC chunks keyed by their first
sample (vori/recordings.py). A stream is decoded chunk by chunk, in order, into one
temporary file of PCM s16le and read memory-mapped, as an upload's channels are
(transcriber/upload_audio.py), so an hour-long stream never sits in memory. A missing
chunk (a gap in the archive) becomes silence, so that every sample keeps its position on
the stream's timeline and the new segments line up with the audio the web app plays.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from transcriber.batch import StreamOf
from transcriber.pcm import Samples
from vori.events import ArchivedStream, RetranscriptionRequested, retranscription_stream_id
from vori.objectstore import ObjectStore
from vori.recordings import decode_flac, meeting_prefix, parse_chunk_key

_BYTES = 2  # s16le


class ArchiveError(Exception):
    """The meeting's archive cannot be re-transcribed (nothing archived, a bad chunk)."""


@dataclass(frozen=True)
class ArchivedAudio:
    """One archived stream decoded into `path` (PCM s16le mono, `samples` long)."""

    stream_id: str
    path: Path
    samples: int

    def read(self) -> Samples:
        if self.samples == 0:
            return np.zeros(0, dtype="<i2")
        return np.memmap(self.path, dtype="<i2", mode="r", shape=(self.samples,))


def archived_chunks(store: ObjectStore, meeting_id: str) -> dict[str, list[tuple[int, str]]]:
    """Each archived stream of the meeting: its chunks' (first sample, key), in order."""
    streams: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for info in store.list_objects(meeting_prefix(meeting_id)):
        ref = parse_chunk_key(info.key)
        if ref is not None and ref.meeting_id == meeting_id:
            streams[ref.stream_id].append((ref.start_sample, info.key))
    return {stream: sorted(chunks) for stream, chunks in sorted(streams.items())}


def decode_stream(
    store: ObjectStore,
    stream_id: str,
    chunks: list[tuple[int, str]],
    path: Path,
    max_samples: int,
) -> ArchivedAudio:
    """A stream's chunks as one mono stream in `path`; gaps are filled with silence."""
    written = 0
    with path.open("wb") as out:
        for start, key in chunks:
            if start > max_samples:
                raise ArchiveError(f"stream {stream_id} is longer than the batch lane allows")
            data = store.read(key)
            if data is None:
                raise ArchiveError(f"chunk {key} vanished from the archive")
            try:
                pcm = decode_flac(data)
            except av.FFmpegError as exc:  # one bad chunk fails the job, with its key
                raise ArchiveError(f"chunk {key} does not decode: {exc}") from exc
            if start > written:
                out.write(b"\0" * ((start - written) * _BYTES))
                written = start
            skip = (written - start) * _BYTES  # an overlap: keep what is already written
            out.write(pcm[skip:])
            written = max(written, start + len(pcm) // _BYTES)
    return ArchivedAudio(stream_id, path, written)


def job_streams(
    store: ObjectStore, job: RetranscriptionRequested, workdir: Path, max_samples: int
) -> list[tuple[StreamOf, Samples]]:
    """Every archived stream of the job's meeting, decoded, under the job's stream id and
    with the original stream's speaker and participant."""
    chunks = archived_chunks(store, job.meeting_id)
    if not chunks:
        raise ArchiveError("the meeting has no archived audio to transcribe")
    who = {s.stream_id: s for s in job.streams}
    streams = []
    for index, (stream_id, stream_chunks) in enumerate(chunks.items()):
        audio = decode_stream(
            store, stream_id, stream_chunks, workdir / f"stream{index}.pcm", max_samples
        )
        known = who.get(stream_id) or ArchivedStream(stream_id=stream_id)
        stream = StreamOf(
            retranscription_stream_id(job.job_id, stream_id),
            index,
            known.speaker,
            known.participant_id,
            known.room,
        )
        streams.append((stream, audio.read()))
    return streams
