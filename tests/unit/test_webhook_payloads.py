"""Webhook payloads, delivery ids, signatures and target checks: the pure core."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from gateway.webhook_payloads import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_id,
    notice_for,
    payload_body,
    signature,
    signed_headers,
    verify,
)
from gateway.webhook_targets import TargetRefusedError, check_target
from vori.events import (
    CardSnapshot,
    KanbanChange,
    MeetingEvent,
    MeetingSummary,
    TranscriptSegment,
)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _ended() -> MeetingEvent:
    return MeetingEvent(type="ended", meeting_id="mtg_1", at=AT)


def test_only_ended_meetings_final_summaries_and_card_changes_are_notices() -> None:
    assert notice_for(MeetingEvent(type="started", meeting_id="mtg_1")) is None
    rolling = MeetingSummary(meeting_id="mtg_1", kind="rolling", source="rules")
    assert notice_for(rolling) is None
    segment = TranscriptSegment(
        id="s", meeting_id="m", stream_id="x", final=True, start=0, end=1,
        start_sample=0, end_sample=16000, text="hi",
    )  # fmt: skip
    assert notice_for(segment) is None
    ended = notice_for(_ended())
    assert ended is not None
    assert ended.event == "meeting.ended"
    assert ended.board_id is None
    final = notice_for(MeetingSummary(meeting_id="mtg_1", kind="final", source="rules"))
    assert final is not None
    assert final.event == "summary.final"
    card = CardSnapshot(id="crd_1", board_id="brd_1", column="To do", title="Ship it")
    created = notice_for(KanbanChange(board_id="brd_1", change="created", card=card))
    moved = notice_for(KanbanChange(board_id="brd_1", change="moved", card=card))
    assert created is not None
    assert created.event == "card.created"
    assert moved is not None
    assert moved.event == "card.changed"
    assert moved.board_id == "brd_1"
    assert created.event_id != moved.event_id


def test_event_and_delivery_ids_are_the_same_on_a_replay() -> None:
    first, again = notice_for(_ended()), notice_for(_ended())
    assert first is not None
    assert again is not None
    assert first.event_id == again.event_id
    assert delivery_id("whk_a", first.event_id) == delivery_id("whk_a", again.event_id)
    assert delivery_id("whk_a", first.event_id) != delivery_id("whk_b", first.event_id)
    assert payload_body(first, "whk_a") == payload_body(again, "whk_a")


def test_the_body_is_json_naming_the_event_and_its_delivery() -> None:
    notice = notice_for(_ended())
    assert notice is not None
    body = json.loads(payload_body(notice, "whk_a"))
    assert body["type"] == "meeting.ended"
    assert body["meeting_id"] == "mtg_1"
    assert body["delivery_id"] == delivery_id("whk_a", notice.event_id)
    assert body["data"]["ended_at"] == AT.isoformat()


def test_a_receiver_verifies_the_signature_with_plain_hmac() -> None:
    notice = notice_for(_ended())
    assert notice is not None
    body = payload_body(notice, "whk_a")
    headers = signed_headers("whsec_x", notice, "whk_a", 1_700_000_000, body)
    assert headers[DELIVERY_HEADER] == delivery_id("whk_a", notice.event_id)
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == "sha256=" + expected
    assert headers[TIMESTAMP_HEADER] == "1700000000"
    header = headers[SIGNATURE_HEADER]
    assert verify("whsec_x", 1_700_000_000, body, header, now=1_700_000_010)
    assert not verify("whsec_y", 1_700_000_000, body, header, now=1_700_000_010)
    assert not verify("whsec_x", 1_700_000_000, body + b" ", header, now=1_700_000_010)
    # A captured request replayed later, or with another timestamp, fails.
    assert not verify("whsec_x", 1_700_000_000, body, header, now=1_700_001_000)
    assert signature("whsec_x", 1_700_000_001, body) != header


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "http://user:pw@example.com/",
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://[::1",
        "http://[zz]/",
        "http://a..b/",
        "http://example.com:99999/",
    ],
)
def test_non_http_and_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefusedError):
        check_target(url, allow_private=False)


def test_internal_targets_pass_when_the_setting_allows_them() -> None:
    check_target("http://127.0.0.1:9/hook", allow_private=True)
    check_target("https://93.184.215.14/hook", allow_private=False)
    with pytest.raises(TargetRefusedError):
        check_target("gopher://127.0.0.1/", allow_private=True)
