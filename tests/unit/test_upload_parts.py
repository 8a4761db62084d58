"""The bookkeeping of resumable uploads, the progress merge, the multipart reader, the keys."""

from __future__ import annotations

import pytest

from gateway.upload_multipart import (
    Field,
    FileData,
    FileStart,
    MultipartError,
    MultipartReader,
    boundary_of,
)
from gateway.upload_parts import (
    AlreadyStored,
    Progress,
    Received,
    Refused,
    StorePart,
    merge_progress,
    plan_part,
)
from vori.recordings import BadRecordingKeyError, parse_chunk_key
from vori.uploads import part_key, part_offset, upload_prefix, uploads_meeting

PART_MAX = 100


def _refusal(plan: object) -> tuple[int, int, str]:
    assert isinstance(plan, Refused), plan
    return plan.status, plan.received, plan.reason


def test_parts_are_taken_in_order_until_the_declared_size() -> None:
    state = Received(size=250, part_offsets=(), received=0)
    assert plan_part(state, 0, 100, PART_MAX) == StorePart(0, 100)
    state = Received(250, (0,), 100)
    assert plan_part(state, 100, 100, PART_MAX) == StorePart(100, 200)
    state = Received(250, (0, 100), 200)
    assert plan_part(state, 200, 50, PART_MAX) == StorePart(200, 250)
    assert Received(250, (0, 100, 200), 250).complete


def test_a_part_sent_again_after_a_lost_reply_is_acknowledged_not_stored() -> None:
    state = Received(250, (0, 100), 200)
    assert plan_part(state, 100, 100, PART_MAX) == AlreadyStored(200)
    assert plan_part(state, 0, 100, PART_MAX) == AlreadyStored(200)
    # The last part again, once the upload is whole: still the same answer.
    whole = Received(250, (0, 100, 200), 250)
    assert plan_part(whole, 200, 50, PART_MAX) == AlreadyStored(250)


def test_a_wrong_offset_is_refused_with_the_current_one() -> None:
    state = Received(250, (0, 100), 200)
    assert _refusal(plan_part(state, 300, 10, PART_MAX))[:2] == (409, 200)
    # A start of a stored part with another length is not a retry of it.
    assert _refusal(plan_part(state, 100, 60, PART_MAX))[:2] == (409, 200)
    assert _refusal(plan_part(state, 50, 50, PART_MAX))[:2] == (409, 200)


def test_oversized_empty_and_overlong_parts_are_refused() -> None:
    state = Received(250, (), 0)
    assert _refusal(plan_part(state, 0, PART_MAX + 1, PART_MAX))[0] == 413
    assert _refusal(plan_part(state, 0, 0, PART_MAX))[0] == 400
    status, received, reason = _refusal(plan_part(Received(250, (0, 100), 200), 200, 60, PART_MAX))
    assert (status, received) == (413, 200)
    assert "declared size 250" in reason


def test_an_empty_part_at_the_end_of_a_whole_upload_asks_to_finish_it() -> None:
    assert plan_part(Received(250, (0, 100, 200), 250), 250, 0, PART_MAX) == AlreadyStored(250)


def test_progress_only_grows_and_a_replay_changes_nothing() -> None:
    queued = Progress("queued", 0.0)
    first = merge_progress(queued, "recording_progress", 0.4, None)
    assert first == Progress("transcribing", 0.4)
    assert merge_progress(first, "recording_progress", 0.4, None) is None
    assert merge_progress(first, "recording_progress", 0.2, None) is None
    second = merge_progress(first, "recording_progress", 0.7, None)
    assert second == Progress("transcribing", 0.7)


def test_transcribed_is_final_and_failed_only_gives_way_to_transcribed() -> None:
    done = merge_progress(Progress("transcribing", 0.5), "recording_transcribed", None, None)
    assert done == Progress("transcribed", 1.0)
    for report in ("recording_progress", "recording_failed", "recording_transcribed"):
        assert merge_progress(done, report, 0.3, "late") is None
    failed = merge_progress(Progress("transcribing", 0.5), "recording_failed", None, "no audio")
    assert failed == Progress("failed", 0.5, "no audio")
    assert merge_progress(failed, "recording_progress", 0.9, None) is None
    assert merge_progress(failed, "recording_failed", None, "again") is None
    assert merge_progress(failed, "recording_transcribed", None, None) == Progress(
        "transcribed", 1.0
    )


def test_part_keys_sort_in_byte_order_and_name_their_offset() -> None:
    keys = [part_key("mtg_1", "upl_2", offset) for offset in (0, 8_388_608, 16_777_216)]
    assert keys == sorted(keys)
    assert keys[1] == "uploads/mtg_1/upl_2/part-000008388608"
    assert [part_offset(key) for key in keys] == [0, 8_388_608, 16_777_216]
    assert keys[0].startswith(upload_prefix("mtg_1", "upl_2"))
    assert uploads_meeting(keys[0]) == "mtg_1"
    assert uploads_meeting("mtg_1/mtg_1:usr_1:mic/000000000000.flac") is None
    assert parse_chunk_key(keys[0]) is None  # never taken for a streamed chunk
    with pytest.raises(BadRecordingKeyError):
        part_key("../x", "upl_2", 0)
    with pytest.raises(BadRecordingKeyError):
        part_offset("mtg_1/whatever")


def _form(boundary: str, *parts: tuple[str, str | None, bytes]) -> bytes:
    body = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode()


def test_the_multipart_reader_streams_the_file_and_keeps_the_fields() -> None:
    audio = bytes(range(256)) * 40
    body = _form("XyZ", ("end", None, b"true"), ("file", "C:\\calls\\call.m4a", audio))
    reader = MultipartReader(boundary_of("multipart/form-data; boundary=XyZ"))
    events = []
    for start in range(0, len(body), 333):  # in pieces that cut headers and data anywhere
        events.extend(reader.feed(body[start : start + 333]))
    reader.finish()
    assert events[0] == Field("end", "true")
    assert events[1] == FileStart("call.m4a")
    data = b"".join(e.data for e in events if isinstance(e, FileData))
    assert data == audio
    assert sum(isinstance(e, FileData) for e in events) > 1


def test_the_multipart_reader_refuses_what_is_not_an_upload() -> None:
    with pytest.raises(MultipartError, match="multipart/form-data"):
        boundary_of("application/json")
    with pytest.raises(MultipartError, match="boundary"):
        boundary_of("multipart/form-data")
    reader = MultipartReader(b"XyZ")
    reader.feed(_form("XyZ", ("file", "a.wav", b"RIFF"))[:30])
    with pytest.raises(MultipartError, match="closing boundary"):
        reader.finish()
    small = MultipartReader(b"XyZ", field_max_bytes=8)
    with pytest.raises(MultipartError, match="over 8 bytes"):
        small.feed(_form("XyZ", ("end", None, b"x" * 20)))
