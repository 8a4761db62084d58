"""Webhooks API: a board's owner and members register URLs that hear about its meetings.

`POST /api/v1/webhooks` (the secret is in this answer only), `GET /api/v1/webhooks`,
`DELETE /api/v1/webhooks/{id}` and `GET /api/v1/webhooks/{id}/deliveries`. A webhook of a
board the caller does not work (owner or explicit member) answers 404, as if it did not
exist. Delivery is gateway/webhook_delivery.py.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from gateway.deps import PrincipalDep, RuntimeDep, SessionDep
from gateway.webhook_payloads import WebhookEvent
from gateway.webhook_targets import TargetRefusedError, check_target
from vori.auth import Principal, board_worked_by, new_id, works_board
from vori.db.tables import Webhook, WebhookDelivery

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

WEBHOOK_NOT_FOUND = "webhook not found"
MAX_WEBHOOKS_PER_BOARD = 20


class WebhookCreate(BaseModel):
    board_id: str = Field(max_length=40, description="The board whose meetings and cards it hears.")
    url: str = Field(min_length=8, max_length=2000, description="http:// or https:// target.")
    events: list[WebhookEvent] = Field(min_length=1, max_length=4)


class WebhookOut(BaseModel):
    id: str
    board_id: str
    url: str
    events: list[WebhookEvent]
    created_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown only in this answer.")


class DeliveryOut(BaseModel):
    id: str = Field(description="The X-Vori-Delivery id, the same on every retry and replay.")
    event: WebhookEvent
    meeting_id: str | None
    status: Literal["pending", "delivered", "failed"] = Field(
        description="pending, delivered or failed (gave up)."
    )
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.id,
        board_id=hook.board_id,
        url=hook.url,
        events=list(hook.events),
        created_at=hook.created_at,
    )


def _managed(session: SessionDep, webhook_id: str, principal: Principal) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or not works_board(session, hook.board_id, principal.user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, WEBHOOK_NOT_FOUND)
    return hook


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(
    body: WebhookCreate, principal: PrincipalDep, session: SessionDep, runtime: RuntimeDep
) -> WebhookCreated:
    """Register a webhook on a board the caller works; the answer holds its secret once."""
    if not works_board(session, body.board_id, principal.user_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "board not found")
    try:
        check_target(body.url, allow_private=runtime.settings.gateway.webhook_allow_private_targets)
    except TargetRefusedError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    existing = session.scalars(select(Webhook.id).where(Webhook.board_id == body.board_id)).all()
    if len(existing) >= MAX_WEBHOOKS_PER_BOARD:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a board has at most {MAX_WEBHOOKS_PER_BOARD} webhooks"
        )
    hook = Webhook(
        id=new_id("whk"),
        board_id=body.board_id,
        url=body.url,
        events=sorted(set(body.events)),
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=principal.user_id,
    )
    session.add(hook)
    session.commit()
    session.refresh(hook)
    return WebhookCreated(**_out(hook).model_dump(), secret=hook.secret)


@router.get("", response_model=list[WebhookOut])
def list_webhooks(
    principal: PrincipalDep,
    session: SessionDep,
    board_id: Annotated[str | None, Query(max_length=40)] = None,
) -> list[WebhookOut]:
    """The webhooks of every board the caller works (or of one of them)."""
    query = select(Webhook).where(Webhook.board_id.in_(board_worked_by(principal.user_id)))
    if board_id is not None:
        query = query.where(Webhook.board_id == board_id)
    return [_out(hook) for hook in session.scalars(query.order_by(Webhook.created_at))]


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: str, principal: PrincipalDep, session: SessionDep) -> Response:
    """Remove a webhook and its delivery log; deliveries in flight finish."""
    session.delete(_managed(session, webhook_id, principal))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut])
def list_deliveries(
    webhook_id: str,
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The webhook's latest deliveries, newest first: status, attempts, last answer."""
    hook = _managed(session, webhook_id, principal)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .limit(limit)
    )
    return [DeliveryOut.model_validate(row, from_attributes=True) for row in rows]
