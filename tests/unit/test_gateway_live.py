"""The pure core of the live events: translation, auth frame, ordering, partials, queues."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from gateway.hub import Delivery, Hub, Subscriber
from gateway.live_events import (
    DeliveryCursor,
    ProtocolError,
    live_events_for,
    parse_auth_frame,
    segment_payload,
)
from gateway.meeting_clock import stream_offset
from gateway.partials import LivePartials
from gateway.schemas import SegmentOut
from vori.events import (
    CardSnapshot,
    KanbanChange,
    MeetingEvent,
    MeetingSummary,
    TranscriptSegment,
    segment_id_for,
)

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def seg(start: int, text: str, *, final: bool, revision: int = 0) -> TranscriptSegment:
    stream = "mtg_1:usr_1:mic"
    return TranscriptSegment(
        id=segment_id_for(stream, start),
        meeting_id="mtg_1",
        stream_id=stream,
        speaker="Ana",
        final=final,
        revision=revision,
        start=start / 16000,
        end=start / 16000 + 1,
        start_sample=start,
        end_sample=start + 16000,
        text=text,
    )


def test_finals_are_durable_and_keyed_by_segment_id_partials_are_not() -> None:
    [final] = live_events_for(seg(0, "hello", final=True))
    [partial] = live_events_for(seg(0, "hel", final=False))
    assert final.type == "transcript.final"
    assert final.dedup_key == f"final:{segment_id_for('mtg_1:usr_1:mic', 0)}"
    assert final.payload["segment"]["speaker"] == "Ana"
    assert partial.type == "transcript.partial"
    assert not partial.durable


def test_a_segment_shows_clients_its_fields_less_meeting_timings_and_version() -> None:
    segment = seg(16000, "hello", final=True)
    payload = segment_payload(segment)
    assert set(payload) == {
        "id", "stream_id", "participant_id", "speaker", "speaker_id", "start", "end",
        "start_sample", "end_sample", "text", "stable_text", "words", "language", "confidence",
        "model", "final", "revision",
    }  # fmt: skip
    assert (payload["start"], payload["end_sample"], payload["final"]) == (1.0, 32000, True)


def test_a_live_segment_has_the_transcript_apis_meeting_times() -> None:
    """Bob joined 20 s into the meeting: his stream's 0:11 is the meeting's 0:31, live as
    after a reload (gateway/transcripts.py places stored lines with the same offset)."""
    created = AT
    joined = datetime(2026, 11, 23, 10, 0, 20, 250000, tzinfo=UTC)
    offset = stream_offset(created, joined)
    segment = seg(11 * 16000, "hello", final=True)
    for live in (live_events_for(segment, offset), live_events_for(_partial(segment), offset)):
        payload = live[0].payload["segment"]
        assert (payload["start"], payload["meeting_start"], payload["meeting_end"]) == (
            11.0,
            31.25,
            32.25,
        )
        assert set(payload) >= set(SegmentOut.model_fields) - {"edited", "original_text"} - {
            "correction_version"
        }
    # A stream that joined before the meeting's row existed starts at the meeting's 0.
    assert stream_offset(joined, created) == 0.0
    # Unknown stream: the stream's clock, as before.
    assert "meeting_start" not in live_events_for(segment)[0].payload["segment"]


def _partial(segment: TranscriptSegment) -> TranscriptSegment:
    return segment.model_copy(update={"final": False})


def test_lifecycle_summary_and_card_changes_become_live_events() -> None:
    joined = MeetingEvent(type="participant_joined", meeting_id="m", stream_id="s", at=AT)
    started = MeetingEvent(type="started", meeting_id="m", at=AT)
    ended = MeetingEvent(type="ended", meeting_id="m", at=AT)
    assert [e.type for e in live_events_for(joined)] == ["participant.joined"]
    assert live_events_for(started) == []
    assert live_events_for(ended)[0].dedup_key == "ended"
    summary = MeetingSummary(meeting_id="m", kind="final", revision=2, source="rules")
    [updated] = live_events_for(summary)
    assert updated.type == "summary.updated"
    assert updated.dedup_key is not None
    assert updated.dedup_key.startswith("summary:final:2:")
    card = CardSnapshot(id="c", board_id="b", column="To do", title="t", version=4)
    [task] = live_events_for(KanbanChange(board_id="b", change="moved", card=card))
    assert (task.type, task.meeting_id) == ("task.upserted", None), "a card of no meeting"
    assert task.dedup_key == "task:c:4:moved"
    removed = MeetingEvent(type="member_removed", meeting_id="m", participant_id="u1", at=AT)
    [gone] = live_events_for(removed)
    assert (gone.type, gone.payload, gone.durable) == ("member.removed", {"user_id": "u1"}, False)


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        (None, 4400, "first frame must be a JSON text auth message"),
        ("{oops", 4400, "first frame: malformed JSON: Expecting property name"),
        ("[]", 4400, "first frame: a control message must be a JSON object, not an array"),
        ("[" * 5000 + "]" * 5000, 4400, "first frame: malformed JSON: nested deeper than 32"),
        ('{"type": "hello"}', 4400, 'first frame must be {"type": "auth", ...}'),
        ('{"type": "auth"}', 4401, "missing token"),
        ('{"type": "auth", "token": 5}', 4401, "token must be a string"),
        ('{"type": "auth", "token": "t", "since": "3"}', 4400, "since must be"),
        ('{"type": "auth", "token": "t", "since": true}', 4400, "since must be"),
    ],
)
def test_bad_auth_frames_are_refused_with_a_code(text: str | None, code: int, reason: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_auth_frame(text)
    assert refused.value.code == code
    assert refused.value.reason.startswith(reason)


def test_auth_frame_with_since() -> None:
    auth = parse_auth_frame('{"type": "auth", "token": "t", "since": 12}')
    assert (auth.token, auth.since) == ("t", 12)


def test_cursor_sends_each_seq_once_in_order_and_fills_gaps() -> None:
    cursor = DeliveryCursor(5)
    assert cursor.plan(5) == "skip"
    assert cursor.plan(6) == "send"
    assert cursor.plan(8) == "fill"
    cursor.advance(8)
    assert cursor.plan(7) == "skip"
    cursor.advance(3)
    assert cursor.last_seq == 8


def _payload(segment: TranscriptSegment) -> dict[str, object]:
    return live_events_for(segment)[0].payload


def test_partials_keep_the_newest_and_the_final_clears_them() -> None:
    partials = LivePartials()
    assert partials.observe(
        "transcript.partial", "mtg_1", _payload(seg(0, "a", final=False, revision=2))
    )
    assert not partials.observe(
        "transcript.partial", "mtg_1", _payload(seg(0, "old", final=False, revision=1))
    )
    assert [p["text"] for p in partials.current("mtg_1")] == ["a"]
    partials.observe("transcript.final", "mtg_1", _payload(seg(0, "a b", final=True)))
    assert partials.current("mtg_1") == []
    # A partial of the finished utterance arriving late is stale; the next utterance is not.
    assert not partials.observe("transcript.partial", "mtg_1", _payload(seg(0, "a", final=False)))
    assert partials.observe("transcript.partial", "mtg_1", _payload(seg(32000, "c", final=False)))
    partials.observe("meeting.ended", "mtg_1", {"ended_at": AT.isoformat()})
    assert partials.current("mtg_1") == []


def _delivery(seq: int | None, received: float = 0.0) -> Delivery:
    return Delivery("m", "summary.updated", AT.isoformat(), {"summary": {}}, seq, received)


def test_a_subscriber_that_falls_behind_overflows_by_count_or_by_age() -> None:
    now = [0.0]
    by_count = Subscriber("m", max_queue=2, max_lag_s=60, clock=lambda: now[0])
    assert by_count.offer(_delivery(1))
    assert by_count.offer(_delivery(2))
    assert not by_count.offer(_delivery(3))
    assert by_count.overflowed.is_set()
    assert by_count.overflow_reason == "client too slow: 2 events not read"
    assert len(by_count) == 0, "an overflowed queue is freed"

    by_age = Subscriber("m", max_queue=100, max_lag_s=1.0, clock=lambda: now[0])
    assert by_age.offer(_delivery(1, received=0.0))
    now[0] = 0.5
    assert by_age.offer(_delivery(2, received=0.5))
    now[0] = 1.6
    assert not by_age.offer(_delivery(3, received=1.6))
    assert by_age.overflow_reason == "client too slow: events waiting for 2 s"


def test_hub_fans_out_per_meeting_and_drops_only_the_slow_subscriber() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop(), max_queue=3, max_lag_s=60)
        fast, slow, other = hub.subscribe("m"), hub.subscribe("m"), hub.subscribe("x")
        for seq in range(1, 4):
            hub.dispatch(_delivery(seq))
            assert (await fast.next()).seq == seq
        hub.dispatch(_delivery(4))
        assert slow.overflowed.is_set()
        assert not fast.overflowed.is_set()
        assert hub.subscriber_count("m") == 1
        assert len(other) == 0
        assert (await fast.next()).seq == 4

    asyncio.run(scenario())


def test_hub_revokes_only_the_removed_persons_subscribers_and_tells_the_others() -> None:
    async def scenario() -> None:
        hub = Hub(asyncio.get_running_loop(), max_queue=10, max_lag_s=60)
        bea, bea_again = hub.subscribe("m", "u_bea"), hub.subscribe("m", "u_bea")
        cy = hub.subscribe("m", "u_cy")
        elsewhere = hub.subscribe("x", "u_bea")
        hub.dispatch(_delivery(1, received=time.monotonic()))
        hub.dispatch(Delivery("m", "member.removed", AT.isoformat(), {"user_id": "u_bea"}))
        assert bea.revoked.is_set()
        assert bea_again.revoked.is_set()
        assert len(bea) == 0, "nothing more reaches a removed member"
        assert not cy.revoked.is_set()
        assert not elsewhere.revoked.is_set()
        assert hub.subscriber_count("m") == 1
        assert [(await cy.next()).type, (await cy.next()).type] == [
            "summary.updated",
            "member.removed",
        ]

    asyncio.run(scenario())
