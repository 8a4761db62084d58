"""What one gateway process holds while it runs: database, producer, hub, consumers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth_limits import AttemptLimiter, PasswordWork
from gateway.consumers import GatewayConsumers
from gateway.hub import Hub
from gateway.semantic import SemanticSearch
from vori.kafka.producer import EventProducer
from vori.settings import Settings


@dataclass
class GatewayRuntime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    producer: EventProducer
    hub: Hub
    consumers: GatewayConsumers
    kanban: httpx.AsyncClient
    loop: asyncio.AbstractEventLoop
    auth_attempts: AttemptLimiter
    password_work: PasswordWork
    semantic: SemanticSearch | None = None


def kanban_base_url(settings: Settings) -> str:
    """Where the kanban service answers: the configured URL or this host's kanban port."""
    return settings.gateway.kanban_url or f"http://{settings.host}:{settings.kanban.port}"


def audio_ws_base(settings: Settings) -> str:
    """The audio WebSocket base URL clients are told: the ingest's public URL, else the
    gateway's public URL with ws(s) (one TLS proxy in front of both), else this host."""
    if settings.ingest.public_url:
        return settings.ingest.public_url.rstrip("/")
    public = settings.gateway.public_url
    if public:
        scheme, sep, rest = public.rstrip("/").partition("://")
        if sep and scheme in ("https", "http"):
            return ("wss" if scheme == "https" else "ws") + "://" + rest
    return f"ws://{settings.host}:{settings.ingest.port}"
