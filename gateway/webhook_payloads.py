"""Webhook payloads and their signatures: a pure core, data in and data out.

An event of interest becomes a `Notice` (which webhook event it is, its board or meeting,
a stable event id and the JSON data); a notice and a webhook give the delivery id and the
body; a secret, a timestamp and the body give the signature headers. Receivers verify
`X-Vori-Signature: sha256=HMAC(secret, f"{X-Vori-Timestamp}.{body}")` and drop requests
with an old timestamp or a delivery id they have seen (docs/protocol.md, Webhooks).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from vori.events import Event, KanbanChange, MeetingEvent, MeetingSummary

WebhookEvent = Literal["meeting.ended", "summary.final", "card.created", "card.changed"]
WEBHOOK_EVENTS: tuple[str, ...] = get_args(WebhookEvent)
SIGNATURE_HEADER = "X-Vori-Signature"
TIMESTAMP_HEADER = "X-Vori-Timestamp"
DELIVERY_HEADER = "X-Vori-Delivery"
EVENT_HEADER = "X-Vori-Event"


@dataclass(frozen=True)
class Notice:
    """One thing that webhooks hear about; `event_id` is the same whenever it is replayed."""

    event: WebhookEvent
    event_id: str
    occurred_at: datetime
    meeting_id: str | None
    board_id: str | None
    data: dict[str, Any]


def _event_id(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:24]
    return f"evt_{digest}"


def notice_for(event: Event) -> Notice | None:
    """The webhook notice of a Kafka event, or None for events no webhook hears about.

    A meeting event or summary names no board: the caller finds the meeting's board.
    """
    if isinstance(event, MeetingEvent) and event.type == "ended":
        return Notice(
            "meeting.ended",
            _event_id("meeting.ended", event.meeting_id),
            event.at,
            event.meeting_id,
            None,
            {"meeting_id": event.meeting_id, "ended_at": event.at.isoformat()},
        )
    if isinstance(event, MeetingSummary) and event.kind == "final":
        data = event.model_dump(mode="json", exclude={"version"})
        return Notice(
            "summary.final",
            _event_id("summary.final", event.meeting_id, event.revision),
            event.created_at,
            event.meeting_id,
            None,
            data,
        )
    if isinstance(event, KanbanChange):
        name: WebhookEvent = "card.created" if event.change == "created" else "card.changed"
        card = event.card
        return Notice(
            name,
            _event_id(name, event.change, card.id, card.version),
            event.at,
            event.meeting_id or card.meeting_id,
            event.board_id,
            {
                "change": event.change,
                "actor": event.actor,
                "card": card.model_dump(mode="json"),
            },
        )
    return None


def delivery_id(webhook_id: str, event_id: str) -> str:
    """The id of one notice's delivery to one webhook: the same on every retry and replay."""
    digest = hashlib.sha256(f"{webhook_id}|{event_id}".encode()).hexdigest()[:24]
    return f"dlv_{digest}"


def payload_body(notice: Notice, webhook_id: str) -> bytes:
    """The JSON body POSTed for a notice: identical bytes on every attempt."""
    body = {
        "id": notice.event_id,
        "delivery_id": delivery_id(webhook_id, notice.event_id),
        "webhook_id": webhook_id,
        "type": notice.event,
        "occurred_at": notice.occurred_at.isoformat(),
        "board_id": notice.board_id,
        "meeting_id": notice.meeting_id,
        "data": notice.data,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under the secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str, timestamp: int, body: bytes, header: str, *, now: float, tolerance_s: float = 300
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent."""
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def signed_headers(
    secret: str, notice: Notice, webhook_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The headers of one attempt (the timestamp, and so the signature, is per attempt)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "vori-webhooks/1",
        EVENT_HEADER: notice.event,
        DELIVERY_HEADER: delivery_id(webhook_id, notice.event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
