"""The pure cores of playback: streams mixed on the meeting clock, byte ranges over an
upload's parts, and an uploaded file's content type."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from gateway.byte_ranges import (
    PartSlice,
    UnsatisfiableRangeError,
    byte_range,
    slices_over_parts,
)
from gateway.mixing import Piece, mix, wav
from gateway.recording_audio import audio_type


def pcm(*values: int) -> bytes:
    return np.array(values, dtype="<i2").tobytes()


def samples(data: bytes) -> list[int]:
    return [int(value) for value in np.frombuffer(data, dtype="<i2")]


def test_pieces_are_summed_at_their_place_on_the_meeting_clock() -> None:
    ana = Piece(at=2, pcm=pcm(10, 20, 30, 40))  # meeting samples 2..5
    bea = Piece(at=4, pcm=pcm(1, 2, 3))  # meeting samples 4..6
    assert samples(mix([ana, bea], 0, 8)) == [0, 0, 10, 20, 31, 42, 3, 0]
    # A window that cuts both pieces takes only what overlaps it.
    assert samples(mix([ana, bea], 3, 3)) == [20, 31, 42]
    # Nobody recorded there: silence, the window's length all the same.
    assert samples(mix([ana, bea], 100, 4)) == [0, 0, 0, 0]
    assert mix([], 0, 0) == b""


def test_a_sum_beyond_16_bits_is_clipped_not_wrapped() -> None:
    loud = [Piece(0, pcm(30_000, -30_000)), Piece(0, pcm(30_000, -30_000))]
    assert samples(mix(loud, 0, 2)) == [32_767, -32_768]
    with pytest.raises(ValueError, match="a window of -1 samples"):
        mix(loud, 0, -1)


def test_the_mix_is_a_16khz_mono_wav() -> None:
    data = wav(pcm(1, -1, 5))
    with wave.open(io.BytesIO(data)) as read:
        assert (read.getnchannels(), read.getsampwidth(), read.getframerate()) == (1, 2, 16000)
        assert samples(read.readframes(10)) == [1, -1, 5]


def test_a_single_range_header_is_read_against_the_size() -> None:
    assert byte_range("bytes=0-41", 100) == (0, 41)
    assert byte_range("bytes=90-", 100) == (90, 99)
    assert byte_range("bytes=90-500", 100) == (90, 99)
    assert byte_range("bytes=-10", 100) == (90, 99)
    assert byte_range("bytes=-500", 100) == (0, 99)
    for bad in ("bytes=100-", "bytes=5-2", "bytes=-", "items=0-1", "bytes=0-1,4-5"):
        with pytest.raises(UnsatisfiableRangeError):
            byte_range(bad, 100)


def test_a_range_over_parts_takes_each_part_s_share() -> None:
    offsets = [0, 10, 25]  # parts of 10, 15 and 5 bytes: a file of 30
    assert slices_over_parts(offsets, 30, 0, 29) == [
        PartSlice(0, 0, 10),
        PartSlice(1, 0, 15),
        PartSlice(2, 0, 5),
    ]
    # Across the first boundary: the last byte of part 0 and the first two of part 1.
    assert slices_over_parts(offsets, 30, 9, 11) == [PartSlice(0, 9, 1), PartSlice(1, 0, 2)]
    assert slices_over_parts(offsets, 30, 12, 20) == [PartSlice(1, 2, 9)]
    assert slices_over_parts(offsets, 30, 25, 25) == [PartSlice(2, 0, 1)]
    file = bytes(range(30))
    parts = [file[0:10], file[10:25], file[25:30]]
    for first in range(30):
        for last in range(first, 30):
            got = b"".join(
                parts[s.index][s.start : s.start + s.length]
                for s in slices_over_parts(offsets, 30, first, last)
            )
            assert got == file[first : last + 1]


def test_parts_that_do_not_tile_the_file_or_a_range_outside_it_are_refused() -> None:
    for offsets in ([], [5, 10], [0, 10, 10]):
        with pytest.raises(ValueError, match="do not tile"):
            slices_over_parts(offsets, 30, 0, 1)
    with pytest.raises(ValueError, match="not within"):
        slices_over_parts([0, 10], 30, 20, 30)
    with pytest.raises(ValueError, match="not within"):  # a part past the file's end
        slices_over_parts([0, 40], 30, 0, 1)


def test_an_uploaded_file_s_type_comes_from_its_bytes_then_its_name() -> None:
    assert audio_type("call.bin", b"RIFF\x00\x00\x00\x00WAVE") == "audio/wav"
    assert audio_type("call", b"fLaC\x00\x00") == "audio/flac"
    assert audio_type("call", b"OggS\x00") == "audio/ogg"
    assert audio_type("call", b"\x00\x00\x00\x20ftypM4A ") == "audio/mp4"
    assert audio_type("call", b"\x1a\x45\xdf\xa3") == "audio/webm"
    assert audio_type("call", b"ID3\x04") == "audio/mpeg"
    assert audio_type("talk.mp3", b"\x00" * 16) == "audio/mpeg"
    assert audio_type("talk", b"\x00" * 16) == "application/octet-stream"
