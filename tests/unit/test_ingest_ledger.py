"""Stream positions, dedup on resume, in-flight bounds and ack pacing, without I/O."""

from __future__ import annotations

import pytest

from stream_ingest.ledger import DurableMark, StreamLedger
from stream_ingest.protocol import ProtocolError

FRAME = b"\x01\x00" * 320  # 20 ms


def ledger(position: int = 0, seq: int = 0, client: int | None = None, **kw: float) -> StreamLedger:
    return StreamLedger(
        DurableMark(position, seq, None, None),
        client_position=client,
        max_inflight_bytes=int(kw.get("max_inflight", 10_000)),
        ack_interval_s=kw.get("ack_interval", 0.1),
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
    with pytest.raises(ProtocolError, match="a gap"):
        ledger(position=100, client=200)


def test_in_flight_audio_fills_and_deliveries_free_it() -> None:
    book = ledger(max_inflight=1280)
    chunks = [book.accept(FRAME), book.accept(FRAME)]
    assert book.full
    book.delivered(chunks[0], 0, 10)  # type: ignore[arg-type]
    assert not book.full
    assert book.durable == DurableMark(320, 1, 0, 10)
    assert not book.settled
    book.delivered(chunks[1], 0, 11)  # type: ignore[arg-type]
    assert book.settled
    assert book.inflight_bytes == 0


def test_end_marker_has_no_samples_and_the_next_seq() -> None:
    book = ledger()
    book.accept(FRAME)
    marker = book.end_marker()
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
