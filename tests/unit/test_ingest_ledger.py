"""Stream positions, dedup on resume, in-flight bounds and ack pacing, without I/O."""

from __future__ import annotations

import itertools

import pytest

from stream_ingest.errors import PositionGapError
from stream_ingest.ledger import DurableMark, StreamLedger

FRAME = b"\x01\x00" * 320  # 20 ms


def ledger(position: int = 0, seq: int = 0, client: int | None = None, **kw: float) -> StreamLedger:
    return StreamLedger(
        DurableMark(position, seq, None, None),
        client_position=client,
        max_inflight_bytes=int(kw.get("max_inflight", 10_000)),
        ack_interval_s=kw.get("ack_interval", 0.1),
        chunk_bytes=int(kw.get("chunk_bytes", 0)),
        max_hold_s=kw.get("max_hold", 0.0),
    )


def test_new_stream_numbers_frames_and_positions_from_zero() -> None:
    book = ledger()
    first, second = book.accept(FRAME), book.accept(FRAME)
    assert first is not None
    assert second is not None
    assert (first.seq, first.position, second.seq, second.position) == (0, 0, 1, 320)
    assert book.received == 640


def test_resumed_stream_continues_positions_and_seq() -> None:
    chunk = ledger(position=16_000, seq=50).accept(FRAME)
    assert chunk is not None
    assert (chunk.seq, chunk.position) == (50, 16_000)


def test_audio_resent_below_the_durable_position_is_dropped() -> None:
    book = ledger(position=1000, seq=4, client=500)
    assert book.accept(FRAME) is None  # samples 500-819: all durable
    partial = book.accept(FRAME)  # samples 820-1139: 180 durable, 140 new
    assert partial is not None
    assert (partial.position, partial.samples, partial.seq) == (1000, 140, 4)
    assert partial.pcm == FRAME[-280:]
    whole = book.accept(FRAME)
    assert whole is not None
    assert (whole.position, whole.samples) == (1140, 320)


def test_client_ahead_of_the_durable_position_is_refused() -> None:
    with pytest.raises(PositionGapError, match="a gap"):
        ledger(position=100, client=200)


def test_in_flight_audio_fills_and_deliveries_free_it() -> None:
    book = ledger(max_inflight=1280)
    first, second = book.accept(FRAME), book.accept(FRAME)
    assert first is not None
    assert second is not None
    assert book.full
    book.delivered(first, 0, 10)
    assert not book.full
    assert book.durable == DurableMark(320, 1, 0, 10)
    assert not book.settled
    book.delivered(second, 0, 11)
    assert book.settled
    assert book.inflight_bytes == 0


def test_end_marker_has_no_samples_and_the_next_seq() -> None:
    book = ledger()
    book.accept(FRAME)
    [marker] = book.finish()
    assert (marker.seq, marker.position, marker.pcm) == (1, 320, b"")


def test_acks_advance_with_deliveries_at_most_once_per_interval() -> None:
    book = ledger(ack_interval=0.1)
    assert book.ack_due(now=0.0) is None  # nothing durable yet
    chunk = book.accept(FRAME)
    book.delivered(chunk, 0, 1)  # type: ignore[arg-type]
    assert book.ack_due(now=1.0) == 320
    chunk = book.accept(FRAME)
    book.delivered(chunk, 0, 2)  # type: ignore[arg-type]
    assert book.ack_due(now=1.05) is None  # too soon
    assert book.ack_due(now=1.1) == 640
    assert book.ack_due(now=5.0) is None  # nothing new


def test_unsaved_mark_is_reported_until_saved() -> None:
    book = ledger()
    assert book.unsaved() is None
    chunk = book.accept(FRAME)
    book.delivered(chunk, 2, 7)  # type: ignore[arg-type]
    mark = book.unsaved()
    assert mark == DurableMark(320, 1, 2, 7)
    book.mark_saved(mark)
    assert book.unsaved() is None


# -- coalescing: 20 ms client frames into ~100 ms Kafka messages -------------------------

CHUNK = 3200  # 100 ms


def coalescing(max_inflight: int = 10_000) -> StreamLedger:
    return ledger(chunk_bytes=CHUNK, max_hold=0.1, max_inflight=max_inflight)


def frames_of(pcm: bytes, size: int) -> list[bytes]:
    return [pcm[i : i + size] for i in range(0, len(pcm), size)]


def test_five_20ms_frames_make_one_100ms_chunk_in_order() -> None:
    audio = bytes(range(256)) * 25  # 6400 bytes: two chunks' worth, every byte placed
    book = coalescing()
    out = [book.accept(frame, now=0.02 * i) for i, frame in enumerate(frames_of(audio, 640))]
    chunks = [c for c in out if c is not None]
    assert [out.index(c) for c in chunks] == [4, 9]  # cut on the frame that fills it
    assert [(c.seq, c.position, c.samples) for c in chunks] == [(0, 0, 1600), (1, 1600, 1600)]
    assert b"".join(c.pcm for c in chunks) == audio
    assert chunks[0].received_at == 0.08
    assert book.pending_bytes == 0
    assert book.flush_at is None


def test_pending_audio_counts_as_in_flight_and_keeps_the_stream_unsettled() -> None:
    book = coalescing(max_inflight=1280)
    assert book.accept(FRAME, now=1.0) is None
    assert book.accept(FRAME, now=1.02) is None
    assert book.full  # back-pressure sees audio that is not yet produced
    assert not book.settled
    assert book.durable.position == 0
    assert book.ack_due(now=9.0) is None  # nothing is acked before Kafka confirms it


def test_a_chunk_waits_at_most_max_hold_then_is_cut_with_what_is_there() -> None:
    book = coalescing()
    assert book.flush_at is None
    book.accept(FRAME, now=5.0)
    book.accept(FRAME, now=5.02)
    assert book.flush_at == 5.1  # from the first pending sample, not the last
    chunk = book.flush()
    assert chunk is not None
    assert (chunk.seq, chunk.position, chunk.samples, chunk.received_at) == (0, 0, 640, 5.02)
    assert book.flush() is None
    assert book.flush_at is None
    later = [book.accept(FRAME, now=6.0 + 0.02 * i) for i in range(5)]
    assert later[-1] is not None
    assert (later[-1].seq, later[-1].position) == (1, 640)


def test_a_long_frame_is_one_chunk_with_what_was_pending() -> None:
    book = coalescing()
    book.accept(FRAME)  # 20 ms pending
    chunk = book.accept(b"\x02\x00" * 3200)  # a 200 ms frame
    assert chunk is not None
    assert (chunk.position, chunk.samples) == (0, 320 + 3200)
    assert chunk.pcm == FRAME + b"\x02\x00" * 3200


def test_finish_cuts_pending_audio_before_the_end_marker() -> None:
    book = coalescing()
    book.accept(FRAME)
    book.accept(FRAME[:100])  # a short last frame
    audio, marker = book.finish()
    assert (audio.seq, audio.position, audio.pcm) == (0, 0, FRAME + FRAME[:100])
    assert (marker.seq, marker.position, marker.pcm) == (1, 370, b"")
    book.delivered(audio, 0, 1)
    assert not book.settled
    book.delivered(marker, 0, 2)
    assert book.settled
    assert book.durable == DurableMark(370, 2, 0, 2)


def test_acks_cover_only_confirmed_chunks_never_pending_frames() -> None:
    book = coalescing()
    chunk = None
    for i in range(7):  # 140 ms: one chunk of 100 ms and 40 ms pending
        chunk = book.accept(FRAME, now=0.02 * i) or chunk
    assert chunk is not None
    assert book.ack_due(now=1.0) is None  # the chunk is produced, not yet confirmed
    book.delivered(chunk, 0, 5)
    assert book.ack_pending
    assert book.ack_due(now=1.0) == 1600  # not 2240: 40 ms still wait for their chunk
    assert not book.ack_pending
    assert book.next_ack_at == 1.1


def test_resume_dedup_then_coalesce_keeps_positions_and_seq_exact() -> None:
    """A resumed client re-sends 30 ms already durable: dropped, the rest coalesced from
    the durable position with the next seq."""
    book = ledger(position=16_000, seq=40, client=15_520, chunk_bytes=CHUNK, max_hold=0.1)
    pcm = bytes(range(200)) * 32  # 6400 bytes = 3200 samples from sample 15,520
    out = [book.accept(frame) for frame in frames_of(pcm, 640)]
    chunks = [c for c in out if c is not None]
    tail = book.flush()
    assert tail is not None
    chunks.append(tail)
    assert [c.seq for c in chunks] == list(range(40, 40 + len(chunks)))
    assert chunks[0].position == 16_000
    for before, after in itertools.pairwise(chunks):
        assert after.position == before.end_position
    assert b"".join(c.pcm for c in chunks) == pcm[480 * 2 :]
    assert book.received == 15_520 + 3200


def test_without_coalescing_every_frame_is_its_own_chunk() -> None:
    book = ledger()  # chunk_bytes 0
    chunks = [book.accept(FRAME), book.accept(FRAME)]
    assert [(c.seq, c.position) for c in chunks if c is not None] == [(0, 0), (1, 320)]
    assert book.flush_at is None
